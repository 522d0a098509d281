/**
 * Events topic → table `events`. Records are validated again here: the log may
 * hold events written by any Kafka producer, and older schema versions are
 * upcast on read. What fails goes to the dead-letter log with its reason.
 */
import type { EventLog, LogRecord } from '../../event-log/event-log.ts';
import { deadLetterRecord, newDeadLetter } from '../../ingest/dead-letters.ts';
import { EVENT_TYPES, latestSchemaVersion, parseEventLine, serializeEvent, type Catalog } from '../../schemas/index.ts';
import { isCalendarDate } from '../../schemas/time.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import { startLoader, type Loader, type RowInPlace, type RowResult } from '../loader.ts';
import { eventsLoaderDefaults, type EventsLoaderConfig } from './config.ts';

/** Header our ingest puts on records it validated and wrote in canonical form. */
export const VALIDATED_HEADER = 'continuity-validated';

const ID_AT = 7; // after `{"id":"`
/** Bytes an event id may hold ([0-9A-Za-z-]): one load per byte. */
const ID_BYTE = byteClass(/[0-9A-Za-z-]/);

function byteClass(pattern: RegExp): Uint8Array {
  const table = new Uint8Array(256);
  for (let b = 0; b < 128; b++) if (pattern.test(String.fromCharCode(b))) table[b] = 1;
  return table;
}

/**
 * What follows the id in a canonical record of each type at its latest schema
 * version, up to the opening quote of `occurred_at`: one comparison finds the
 * type and checks the version. A record of an older version matches none.
 */
const AFTER_ID = EVENT_TYPES.map((type) => Buffer.from(`","type":"${type}","schema_version":${latestSchemaVersion(type)},"occurred_at":"`));
const TYPE_AT = '","type":"'.length;

/** Length of the `AFTER_ID` pattern at `at`, or -1. */
function afterIdLength(value: Buffer, at: number, end: number): number {
  const first = value[at + TYPE_AT];
  for (const pattern of AFTER_ID) {
    if (pattern[TYPE_AT] !== first || at + pattern.length > end) continue;
    let i = 0;
    while (i < pattern.length && value[at + i] === pattern[i]) i++;
    if (i === pattern.length) return i;
  }
  return -1;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Two decimal digits at `at`, or NaN. */
function digits2(v: Buffer, at: number): number {
  const a = v[at] - 0x30;
  const b = v[at + 1] - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` → ms, read off the bytes. Anything
 * else, and a day the month does not have, goes to `Date.parse`, so both
 * paths agree on every input.
 */
function instantAt(v: Buffer, from: number, to: number): number {
  const n = to - from;
  if ((n === 25 || n === 29 || n === 20 || n === 24) && v[from + 4] === 0x2d && v[from + 7] === 0x2d && v[from + 10] === 0x54 && v[from + 13] === 0x3a && v[from + 16] === 0x3a) {
    const year = digits2(v, from) * 100 + digits2(v, from + 2);
    const month = digits2(v, from + 5);
    const day = digits2(v, from + 8);
    const hour = digits2(v, from + 11);
    const minute = digits2(v, from + 14);
    const second = digits2(v, from + 17);
    let at = from + 19;
    let ms = 0;
    if (v[at] === 0x2e) {
      const a = v[at + 1] - 0x30;
      ms = a >= 0 && a <= 9 ? a * 100 + digits2(v, at + 2) : NaN;
      at += 4;
    }
    let offsetMinutes = NaN;
    if (v[at] === 0x5a && at + 1 === to) offsetMinutes = 0;
    else if ((v[at] === 0x2b || v[at] === 0x2d) && v[at + 3] === 0x3a && at + 6 === to) {
      const h = digits2(v, at + 1);
      const m = digits2(v, at + 4);
      if (h <= 23 && m <= 59) offsetMinutes = (v[at] === 0x2d ? -1 : 1) * (h * 60 + m);
    }
    if (year >= 0 && isCalendarDate(year, month, day) && hour <= 23 && minute <= 59 && second <= 59 && ms >= 0 && offsetMinutes === offsetMinutes) {
      return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + ms;
    }
  }
  return Date.parse(v.toString('latin1', from, to));
}

/**
 * The id and instant of a record our ingest validated and wrote in canonical
 * form, `value[start, end)` (no parse: the four leading fields are read off the
 * bytes), or null when the record is not one (then it is parsed and validated
 * as any other producer's).
 */
export function trustedEventRow(value: Buffer, start: number, end: number, headers: Readonly<Record<string, string>>, out: RowInPlace): boolean {
  if (headers[VALIDATED_HEADER] !== '1') return false;
  if (end - start < 64 || value[end - 1] !== 0x7d || value[start] !== 0x7b || value[start + 1] !== 0x22 || value[start + 2] !== 0x69 || value[start + 3] !== 0x64 || value[start + 4] !== 0x22 || value[start + 5] !== 0x3a || value[start + 6] !== 0x22) return false;
  const idStart = start + ID_AT;
  let at = idStart;
  const idLimit = Math.min(end, idStart + 37);
  while (at < idLimit && ID_BYTE[value[at]] === 1) at++;
  const idEnd = at;
  if (idEnd - idStart < 26 || idEnd - idStart > 36) return false;
  const matched = afterIdLength(value, idEnd, end);
  if (matched < 0) return false;
  at = idEnd + matched;
  const timeStart = at;
  while (at < end && at - timeStart <= 35 && value[at] !== 0x22) at++;
  if (at >= end || value[at] !== 0x22) return false;
  const time = instantAt(value, timeStart, at);
  if (!Number.isFinite(time)) return false;
  out.idStart = idStart;
  out.idEnd = idEnd;
  out.time = time;
  out.coordinates = true;
  return true;
}

/**
 * Records our own ingest validated are taken as they are (no parse), unless an
 * older schema version must be upcast; anything else (another Kafka producer,
 * an old version) is parsed and validated again. ClickHouse parses the row
 * once, with `occurred_at`'s offset honoured (`date_time_input_format = best_effort`).
 */
export function eventRecordToRow(record: LogRecord, catalog: Catalog): RowResult {
  const trusted: RowInPlace = { idStart: 0, idEnd: 0, time: 0, coordinates: true };
  if (trustedEventRow(record.value, 0, record.value.length, record.headers, trusted)) {
    return { ok: true, id: record.value.toString('latin1', trusted.idStart, trusted.idEnd), time: trusted.time, row: record.value, coordinates: true };
  }
  const result = parseEventLine(record.value.toString('utf8'), catalog);
  if (!result.ok) return { ok: false, errors: result.errors };
  return { ok: true, id: result.event.id, time: Date.parse(result.event.occurred_at), row: serializeEvent(result.event), coordinates: true };
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
    rowInPlace: trustedEventRow,
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
