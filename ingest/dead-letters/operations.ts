/**
 * Operating on dead letters: list, inspect, re-drive.
 *
 * The dead-letter log is the source of truth and `dead_letters` its projection;
 * what happened to a letter since is recorded in `dead_letter_redrives`, one
 * row per re-drive. A re-drive validates the letter's raw text again with the
 * current catalog: a letter valid now goes to the events log (with a
 * `continuity-redrive-of` header naming the letter), and its event id makes it
 * count once however often it is re-driven; a letter still invalid stays, with
 * the new reason.
 *
 * Status of a letter, from its latest re-drive:
 *   open      never re-driven
 *   failing   re-driven, still invalid (the reason shown is the new one)
 *   redriven  re-driven and appended to the events log, not in `events` yet
 *   resolved  its event is in `events`
 */
import { randomUUID } from 'node:crypto';
import type { AppendRecord, EventLog } from '../../event-log/event-log.ts';
import { ContinuityError } from '../../errors/registry.ts';
import { eventKey, type Catalog, type ContinuityEvent, type FieldError, parseEventLine, serializeEvent } from '../../schemas/index.ts';
import { toClickHouseDateTime, type Warehouse } from '../../warehouse/warehouse.ts';

export const LETTER_STATUSES = ['open', 'failing', 'redriven', 'resolved'] as const;
export type LetterStatus = (typeof LETTER_STATUSES)[number];

/** Header on an event appended by a re-drive: the id of the letter it came from. */
export const REDRIVE_HEADER = 'continuity-redrive-of';

export interface LetterSummary {
  id: string;
  received_at: string;
  origin: string;
  line: number | null;
  status: LetterStatus;
  /** The current reason: the latest re-drive's when it still fails, else the original one. */
  reason: string;
  /** The reason the letter was rejected with. */
  original_reason: string;
  redrives: number;
  /** The event id once a re-drive found the letter valid. */
  event_id: string | null;
}

export interface RedriveRecord {
  redrive_id: string;
  redriven_at: string;
  outcome: 'appended' | 'duplicate' | 'failing';
  event_id: string | null;
  log_partition: number | null;
  log_offset: number | null;
  errors: FieldError[];
  reason: string;
}

export interface LetterDetails extends LetterSummary {
  errors: FieldError[];
  raw: string;
  log_partition: number;
  log_offset: number;
  history: RedriveRecord[];
}

export interface ListOptions {
  status?: readonly LetterStatus[];
  origin?: string;
  ids?: readonly string[];
  /** Default 100. */
  limit?: number;
  /** Letters after this one in (received_at, id) order, for paging. */
  after?: { received_at: string; id: string };
}

const STATUS_SQL = `multiIf(
      r.outcome = '', 'open',
      r.outcome = 'failing', 'failing',
      r.outcome = 'duplicate' OR r.event_id IN (SELECT id FROM events WHERE id IN (SELECT event_id FROM dead_letter_redrives WHERE event_id IS NOT NULL)), 'resolved',
      'redriven')`;

/** Latest re-drive per letter; a tuple, so a NULL event id of the latest row is not skipped over. */
const LATEST_REDRIVE = `
    SELECT letter_id, latest.1 AS outcome, latest.2 AS reason, latest.3 AS event_id, redrives
    FROM (
      SELECT letter_id, argMax(tuple(outcome, reason, event_id), (redriven_at, redrive_id)) AS latest, count() AS redrives
      FROM dead_letter_redrives GROUP BY letter_id
    )`;

interface SummaryRow {
  id: string;
  received_at: string;
  origin: string;
  line: number | null;
  status: LetterStatus;
  original_reason: string;
  new_reason: string;
  redrives: number | string;
  event_id: string | null;
}

function toSummary(row: SummaryRow): LetterSummary {
  return {
    id: row.id,
    received_at: row.received_at,
    origin: row.origin,
    line: row.line === null ? null : Number(row.line),
    status: row.status,
    reason: row.status === 'failing' ? row.new_reason : row.original_reason,
    original_reason: row.original_reason,
    redrives: Number(row.redrives),
    event_id: row.event_id && row.event_id !== '' ? row.event_id : null,
  };
}

export async function listDeadLetters(warehouse: Warehouse, options: ListOptions = {}): Promise<LetterSummary[]> {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: options.limit ?? 100 };
  if (options.status && options.status.length > 0) {
    where.push('status IN {status:Array(String)}');
    params.status = [...options.status];
  }
  if (options.origin) {
    where.push('d.origin = {origin:String}');
    params.origin = options.origin;
  }
  if (options.ids) {
    where.push('d.id IN {ids:Array(String)}');
    params.ids = [...options.ids];
  }
  if (options.after) {
    where.push('(d.received_at, d.id) > (toDateTime64({after_at:String}, 3, \'UTC\'), {after_id:String})');
    params.after_at = options.after.received_at;
    params.after_id = options.after.id;
  }
  const rows = await warehouse.rows<SummaryRow>(
    `SELECT d.id AS id, toString(d.received_at) AS received_at, d.origin AS origin, d.line AS line, ${STATUS_SQL} AS status,
            d.reason AS original_reason, r.reason AS new_reason, r.redrives AS redrives, r.event_id AS event_id
     FROM dead_letters AS d LEFT JOIN (${LATEST_REDRIVE}) AS r ON r.letter_id = d.id
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY d.received_at, d.id
     LIMIT {limit:UInt64}`,
    params,
  );
  return rows.map(toSummary);
}

export async function countDeadLetters(warehouse: Warehouse): Promise<Record<LetterStatus, number>> {
  const rows = await warehouse.rows<{ status: LetterStatus; n: number | string }>(
    `SELECT ${STATUS_SQL} AS status, count() AS n FROM dead_letters AS d LEFT JOIN (${LATEST_REDRIVE}) AS r ON r.letter_id = d.id GROUP BY status`,
  );
  const out = Object.fromEntries(LETTER_STATUSES.map((s) => [s, 0])) as Record<LetterStatus, number>;
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}

export async function showDeadLetter(warehouse: Warehouse, id: string): Promise<LetterDetails> {
  const [summary] = await listDeadLetters(warehouse, { ids: [id], limit: 1 });
  if (!summary) throw new ContinuityError('CONT_ERR_NOT_FOUND', `no dead letter ${JSON.stringify(id)} in the dead_letters table`);
  const [letter] = await warehouse.rows<{ errors: FieldError[]; raw: string; log_partition: number; log_offset: number | string }>(
    'SELECT errors, raw, log_partition, log_offset FROM dead_letters WHERE id = {id:String} LIMIT 1',
    { id },
  );
  const history = await warehouse.rows<RedriveRecord & { log_offset: number | string | null }>(
    `SELECT redrive_id, toString(redriven_at) AS redriven_at, outcome, event_id, log_partition, log_offset, errors, reason
     FROM dead_letter_redrives WHERE letter_id = {id:String} ORDER BY redriven_at, redrive_id`,
    { id },
  );
  return {
    ...summary,
    errors: letter.errors.map(fieldError),
    raw: letter.raw,
    log_partition: Number(letter.log_partition),
    log_offset: Number(letter.log_offset),
    history: history.map((h) => ({ ...h, log_offset: h.log_offset === null ? null : Number(h.log_offset), errors: h.errors.map(fieldError) })),
  };
}

/** A named tuple comes back as an object or, in older output settings, as a pair. */
function fieldError(e: FieldError | [string, string]): FieldError {
  return Array.isArray(e) ? { field: e[0], reason: e[1] } : e;
}

// ---------------------------------------------------------------- re-drive

export interface RedriveOptions {
  /** Letters to re-drive. Default: every open or failing letter. */
  ids?: readonly string[];
  /** Only letters of this origin (`http`, `file:<name>`, `processor:<topic>` …). */
  origin?: string;
  /** Re-drive letters already redriven or resolved too (their event ids still count once). Default false. */
  force?: boolean;
  /** Validate and report, append and record nothing. */
  dryRun?: boolean;
  /** Letters per round. Default 5,000. */
  chunk?: number;
}

export interface RedriveReport {
  redriveId: string;
  dryRun: boolean;
  /** Letters looked at. */
  selected: number;
  /** Valid now and appended to the events log. */
  appended: number;
  /** Valid now; their event was already loaded (or appended by another letter of this re-drive). */
  duplicates: number;
  /** Still invalid, with the new reason. */
  failing: { id: string; reason: string }[];
  /** Letters asked for by id that were skipped because they are already redriven or resolved (use force). */
  skipped: string[];
  /** Letters asked for by id that are not in `dead_letters`. */
  missing: string[];
}

export interface RedriveContext {
  log: EventLog;
  warehouse: Warehouse;
  catalog: Catalog;
}


export async function redriveDeadLetters(ctx: RedriveContext, options: RedriveOptions = {}): Promise<RedriveReport> {
  const { warehouse, log, catalog } = ctx;
  const report: RedriveReport = { redriveId: randomUUID(), dryRun: options.dryRun === true, selected: 0, appended: 0, duplicates: 0, failing: [], skipped: [], missing: [] };
  const eligible: LetterStatus[] = options.force ? [...LETTER_STATUSES] : ['open', 'failing'];
  const chunk = options.chunk ?? 5_000;

  if (options.ids) {
    const found = await listDeadLetters(warehouse, { ids: options.ids, limit: options.ids.length });
    const byId = new Map(found.map((l) => [l.id, l]));
    report.missing = options.ids.filter((id) => !byId.has(id));
    report.skipped = found.filter((l) => !eligible.includes(l.status)).map((l) => l.id);
  }

  const seenEvents = new Set<string>();
  let after: ListOptions['after'];
  for (;;) {
    const letters = await listDeadLetters(warehouse, { ids: options.ids, origin: options.origin, status: eligible, limit: chunk, after });
    if (letters.length === 0) break;
    after = { received_at: letters[letters.length - 1].received_at, id: letters[letters.length - 1].id };
    report.selected += letters.length;
    const raws = new Map(
      (await warehouse.rows<{ id: string; raw: string }>('SELECT id, raw FROM dead_letters WHERE id IN {ids:Array(String)}', { ids: letters.map((l) => l.id) })).map((r) => [r.id, r.raw]),
    );

    const valid: { letter: LetterSummary; event: ContinuityEvent }[] = [];
    const rows: (Omit<RedriveRecord, 'redriven_at' | 'redrive_id'> & { letter_id: string })[] = [];
    for (const letter of letters) {
      const result = parseEventLine(raws.get(letter.id) ?? '', catalog);
      if (result.ok) valid.push({ letter, event: result.event });
      else {
        const reason = result.errors.map((e) => `${e.field}: ${e.reason}`).join('; ');
        report.failing.push({ id: letter.id, reason });
        rows.push({ letter_id: letter.id, outcome: 'failing', event_id: null, log_partition: null, log_offset: null, errors: result.errors, reason });
      }
    }

    const loaded = new Set(
      valid.length === 0
        ? []
        : (await warehouse.rows<{ id: string }>('SELECT id FROM events WHERE id IN {ids:Array(String)}', { ids: valid.map((v) => v.event.id) })).map((r) => r.id),
    );
    const toAppend: { letter: LetterSummary; event: ContinuityEvent }[] = [];
    for (const v of valid) {
      if (loaded.has(v.event.id) || seenEvents.has(v.event.id)) {
        report.duplicates++;
        rows.push({ letter_id: v.letter.id, outcome: 'duplicate', event_id: v.event.id, log_partition: null, log_offset: null, errors: [], reason: '' });
      } else {
        seenEvents.add(v.event.id);
        toAppend.push(v);
      }
    }
    if (!report.dryRun && toAppend.length > 0) {
      const records: AppendRecord[] = toAppend.map(({ letter, event }) => ({ key: eventKey(event), value: serializeEvent(event), headers: { [REDRIVE_HEADER]: letter.id } }));
      // Appended before the outcome is recorded: a crash in between leaves the
      // letter open, and re-driving it again appends an event id the
      // processors then drop as a duplicate.
      const placed = await log.append(records);
      toAppend.forEach(({ letter, event }, i) =>
        rows.push({ letter_id: letter.id, outcome: 'appended', event_id: event.id, log_partition: placed[i].partition, log_offset: placed[i].offset, errors: [], reason: '' }),
      );
    }
    report.appended += toAppend.length;

    if (!report.dryRun && rows.length > 0) {
      const at = toClickHouseDateTime(Date.now());
      await warehouse.insertRaw(
        'dead_letter_redrives',
        'JSONEachRow',
        rows.map((r) => JSON.stringify({ ...r, redrive_id: report.redriveId, redriven_at: at, errors: r.errors.map((e) => ({ field: e.field, reason: e.reason })) })).join('\n'),
      );
    }
    if (letters.length < chunk) break;
  }
  return report;
}
