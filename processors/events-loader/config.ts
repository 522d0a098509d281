export interface EventsLoaderConfig {
  /** Consumer group. Default `continuity-warehouse`. */
  groupId?: string;
  /** Target table. Default `events`. */
  table?: string;
  /** Records per insert. Default 50,000. */
  batchRecords?: number;
}

export const eventsLoaderDefaults = { groupId: 'continuity-warehouse', table: 'events', batchRecords: 50_000 } as const;
