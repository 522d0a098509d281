/**
 * Events topic → table `events`. Records are validated again here: the log may
 * hold events written by any Kafka producer, and older schema versions are
 * upcast on read. What fails goes to the dead-letter log with its reason.
 */
import type { EventLog, LogRecord } from '../../event-log/event-log.ts';
import { deadLetterRecord, newDeadLetter } from '../../ingest/dead-letters.ts';
import { parseEventLine, type Catalog, type ContinuityEvent } from '../../schemas/index.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import { startLoader, type Loader, type RowResult } from '../loader.ts';
import { eventsLoaderDefaults, type EventsLoaderConfig } from './config.ts';

/** `2020-01-23 17:02:03.000`: the form DateTime64(3, 'UTC') reads without guessing. */
export function toClickHouseDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
}

export function eventRow(event: ContinuityEvent, record: Pick<LogRecord, 'partition' | 'offset' | 'timestamp'>): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    schema_version: event.schema_version,
    occurred_at: toClickHouseDateTime(Date.parse(event.occurred_at)),
    org: event.org,
    region: event.region,
    quantity: event.quantity,
    customer_ref: event.customer_ref ?? null,
    source: event.source,
    data: event.data,
    log_partition: record.partition,
    log_offset: record.offset,
    ingested_at: toClickHouseDateTime(record.timestamp),
  });
}

export function eventRecordToRow(record: LogRecord, catalog: Catalog): RowResult {
  const result = parseEventLine(record.value.toString('utf8'), catalog);
  if (!result.ok) return { ok: false, errors: result.errors };
  return { ok: true, id: result.event.id, row: eventRow(result.event, record) };
}

export async function startEventsLoader(
  options: EventsLoaderConfig & { log: EventLog; deadLetters: EventLog; warehouse: Warehouse; catalog: Catalog },
): Promise<Loader> {
  return startLoader({
    name: 'events',
    log: options.log,
    warehouse: options.warehouse,
    groupId: options.groupId ?? eventsLoaderDefaults.groupId,
    table: options.table ?? eventsLoaderDefaults.table,
    batchRecords: options.batchRecords ?? eventsLoaderDefaults.batchRecords,
    toRow: (record) => eventRecordToRow(record, options.catalog),
    async deadLetter(record, errors) {
      const letter = newDeadLetter({
        origin: `processor:${options.log.topic}`,
        line: null,
        errors: [...errors, { field: '$log', reason: `record ${record.partition}:${record.offset} of ${options.log.topic}` }],
        raw: record.value.toString('utf8'),
      });
      await options.deadLetters.append([deadLetterRecord(letter)]);
    },
  });
}
