export interface EventsLoaderConfig {
  /** Consumer group. Default `continuity-warehouse`. */
  groupId?: string;
  /** Target table. Default `events`. */
  table?: string;
  /** Most records per insert. Default 125,000. */
  batchRecords?: number;
}

export const eventsLoaderDefaults = { groupId: 'continuity-warehouse', table: 'events', batchRecords: 125_000 } as const;
