export interface DeadLetterLoaderConfig {
  /** Consumer group. Default `continuity-dead-letters`. */
  groupId?: string;
  /** Target table. Default `dead_letters`. */
  table?: string;
}

export const deadLetterLoaderDefaults = { groupId: 'continuity-dead-letters', table: 'dead_letters', batchRecords: 10_000 } as const;
