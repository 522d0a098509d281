export interface EventsLoaderConfig {
  /** Consumer group. Default `continuity-warehouse`. */
  groupId?: string;
  /** Target table. Default `events`. */
  table?: string;
  /** Most records per insert. Default 150,000. */
  batchRecords?: number;
}

export const eventsLoaderDefaults = { groupId: 'continuity-warehouse', table: 'events', batchRecords: 150_000 } as const;
