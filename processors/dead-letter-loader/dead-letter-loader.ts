/** Dead-letter log → table `dead_letters`, for dashboards and analysts. */
import type { EventLog, LogRecord } from '../../event-log/event-log.ts';
import { parseDeadLetter } from '../../ingest/dead-letters.ts';
import { toClickHouseDateTime, type Warehouse } from '../../warehouse/warehouse.ts';
import { startLoader, type Loader, type RowResult } from '../loader.ts';
import { deadLetterLoaderDefaults, type DeadLetterLoaderConfig } from './config.ts';

export function deadLetterRecordToRow(record: LogRecord): RowResult {
  let letter;
  try {
    letter = parseDeadLetter(record);
  } catch (error) {
    // A dead letter that is not even JSON is still kept, as its raw bytes.
    letter = {
      id: `${record.partition}:${record.offset}`,
      received_at: new Date(record.timestamp).toISOString(),
      origin: 'unknown',
      line: null,
      errors: [{ field: '$', reason: `unreadable dead letter: ${(error as Error).message}` }],
      reason: 'unreadable dead letter',
      raw: record.value.toString('utf8'),
    };
  }
  return {
    ok: true,
    id: letter.id,
    row: JSON.stringify({
      id: letter.id,
      received_at: toClickHouseDateTime(Date.parse(letter.received_at)),
      origin: letter.origin,
      line: letter.line,
      errors: letter.errors.map((e) => ({ field: e.field, reason: e.reason })),
      reason: letter.reason,
      raw: letter.raw,
      log_partition: record.partition,
      log_offset: record.offset,
    }),
  };
}

export async function startDeadLetterLoader(options: DeadLetterLoaderConfig & { deadLetters: EventLog; warehouse: Warehouse }): Promise<Loader> {
  return startLoader({
    name: 'dead-letters',
    log: options.deadLetters,
    warehouse: options.warehouse,
    groupId: options.groupId ?? deadLetterLoaderDefaults.groupId,
    table: options.table ?? deadLetterLoaderDefaults.table,
    batchRecords: deadLetterLoaderDefaults.batchRecords,
    // The dead-letter log has one partition: more members would only wait.
    concurrency: 1,
    toRow: deadLetterRecordToRow,
  });
}
