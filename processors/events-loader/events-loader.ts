/**
 * Events topic → table `events`. Records are validated again here: the log may
 * hold events written by any Kafka producer, and older schema versions are
 * upcast on read. What fails goes to the dead-letter log with its reason.
 */
import type { EventLog, LogRecord } from '../../event-log/event-log.ts';
import { deadLetterRecord, newDeadLetter } from '../../ingest/dead-letters.ts';
import { isEventType, latestSchemaVersion, parseEventLine, serializeEvent, type Catalog, type ContinuityEvent } from '../../schemas/index.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import { startLoader, type Loader, type RowResult } from '../loader.ts';
import { eventsLoaderDefaults, type EventsLoaderConfig } from './config.ts';

/** `2020-01-23 17:02:03.000`: the form DateTime64(3, 'UTC') reads without guessing. */
export function toClickHouseDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
}

/** Header our ingest puts on records it validated and wrote in canonical form. */
export const VALIDATED_HEADER = 'continuity-validated';

// The canonical form (serializeEvent) starts with these four fields, in this order.
const CANONICAL_PREFIX = /^\{"id":"([0-9A-Za-z-]{26,36})","type":"([a-z_.]+)","schema_version":(\d+),"occurred_at":"([0-9T:.+Z-]{20,35})"/;

let lastTimestamp = -1;
let lastSuffixHead = '';

/** `,"ingested_at":…,"log_offset":…}`: the log coordinates appended to the event's JSON (ASCII). */
function coordinates(record: Pick<LogRecord, 'partition' | 'offset' | 'timestamp'>): string {
  if (record.timestamp !== lastTimestamp) {
    lastTimestamp = record.timestamp;
    lastSuffixHead = `,"ingested_at":"${toClickHouseDateTime(record.timestamp)}"`;
  }
  return `${lastSuffixHead},"log_partition":${record.partition},"log_offset":${record.offset}}`;
}

/**
 * The row is the event's canonical JSON with its log coordinates appended:
 * ClickHouse parses it once, with `occurred_at`'s offset honoured
 * (`date_time_input_format = best_effort`).
 */
export function eventRow(event: ContinuityEvent, record: Pick<LogRecord, 'partition' | 'offset' | 'timestamp'>): string {
  const json = serializeEvent(event);
  return json.slice(0, -1) + coordinates(record);
}

/**
 * Records our own ingest validated are taken as they are (no parse), unless an
 * older schema version must be upcast; anything else (another Kafka producer,
 * an old version) is parsed and validated again.
 */
export function eventRecordToRow(record: LogRecord, catalog: Catalog): RowResult {
  const value = record.value;
  if (record.headers[VALIDATED_HEADER] === '1' && value[value.length - 1] === 0x7d) {
    const m = CANONICAL_PREFIX.exec(value.toString('latin1', 0, Math.min(value.length, 160)));
    if (m && isEventType(m[2]) && Number(m[3]) === latestSchemaVersion(m[2])) {
      const time = Date.parse(m[4]);
      if (Number.isFinite(time)) return { ok: true, id: m[1], time, row: [value.subarray(0, value.length - 1), coordinates(record)] };
    }
  }
  const result = parseEventLine(value.toString('utf8'), catalog);
  if (!result.ok) return { ok: false, errors: result.errors };
  return { ok: true, id: result.event.id, time: Date.parse(result.event.occurred_at), row: eventRow(result.event, record) };
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
    timeColumn: 'occurred_at',
    insertSettings: { date_time_input_format: 'best_effort' },
    async deadLetter(items) {
      const letters = items.map(({ record, errors }) =>
        newDeadLetter({
          origin: `processor:${options.log.topic}`,
          line: null,
          errors: [...errors, { field: '$log', reason: `record ${record.partition}:${record.offset} of ${options.log.topic}` }],
          raw: record.value.toString('utf8'),
        }),
      );
      await options.deadLetters.append(letters.map(deadLetterRecord));
    },
  });
}
