/**
 * Replay: rebuild warehouse projections from the log without taking the live
 * tables down.
 *
 *   plan ─> seeding ─> building ─────────────> swapping ─> swapped ─> (cleaned)
 *           shadow     the usual loaders,      EXCHANGE     previous table kept
 *           tables     new consumer groups,    TABLES       as <table>_before_<id>
 *                      into the shadow tables
 *
 * A shadow table is created from the live table's current definition
 * (`CREATE TABLE … AS …`), so a projection or column a migration added is built
 * from the log. The shadow is filled by the same loaders as the live table,
 * under the replay's own consumer groups; their dedupe by id then runs against
 * the shadow. Rows keep their log coordinates and `ingested_at` comes from the
 * log record, so a replay of the same log with the same code yields identical
 * rows. The live tables are only read (to copy rows below a later start
 * position) until the exchange, which is atomic in ClickHouse's Atomic database
 * engine: readers see the old table or the new one, never a half-built one.
 *
 * The state (tables, groups, start offsets) is a row of the warehouse table
 * `replays`, written before each step, so a replay interrupted anywhere is
 * resumed or abandoned with nothing to repair by hand.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AppendRecord, EventLog } from '../../event-log/event-log.ts';
import { ContinuityError, isContinuityError } from '../../errors/registry.ts';
import { deadLetterRecord, type DeadLetter } from '../../ingest/dead-letters.ts';
import type { Catalog } from '../../schemas/index.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import { deadLetterLoaderDefaults, startDeadLetterLoader } from '../dead-letter-loader/index.ts';
import { eventsLoaderDefaults, startEventsLoader } from '../events-loader/index.ts';
import type { Loader, LoaderStats } from '../loader.ts';
import { type FromPosition, formatFromPosition, replayDefaults, type ReplayOptions, type ReplayTable } from './config.ts';
import { startPositions, type StartPositions } from './positions.ts';
import { loadReplay, loadReplays, type ReplayState, saveReplay, type TargetPlan, UNFINISHED } from './state.ts';

export interface ReplayContext {
  /** The events log. */
  log: EventLog;
  /** The dead-letter log. */
  deadLetters: EventLog;
  warehouse: Warehouse;
  /** The catalog events are validated against while replaying (the current one). */
  catalog: Catalog;
  /** Groups of the live processors. Default `continuity-warehouse` and `continuity-dead-letters`. */
  liveGroups?: { events?: string; deadLetters?: string };
  /**
   * Runs `fn` while the live processors of this process are stopped, and starts
   * them again after it. Given by the service, whose processors write the live
   * tables. Absent: on the embedded log the caller holds the data directory, so
   * no processor runs; on Kafka the replay waits, before the exchange, until the
   * live groups have no running member.
   */
  pauseLive?: <T>(fn: () => Promise<T>) => Promise<T>;
}

export interface TableProgress {
  table: ReplayTable;
  written: number;
  duplicates: number;
  deadLettered: number;
  /** Records of the log the replay's group has not committed yet. */
  lag: number;
}

export interface ReplayProgress {
  id: string;
  phase: 'seeding' | 'building' | 'waiting for the live processors to stop' | 'final catch-up' | 'swapping';
  tables: TableProgress[];
  written: number;
  lag: number;
  /** Records per second loaded by this run. */
  rate: number;
  /** Seconds until caught up at the current rate; null while unknown. */
  etaSeconds: number | null;
  elapsedMs: number;
}

export interface RunOptions {
  /** Exchange the tables once caught up. Default true; false stops caught up, resumable. */
  swap?: boolean;
  /** Drop the previous tables right after the exchange instead of keeping them. Default false. */
  dropOld?: boolean;
  onProgress?: (progress: ReplayProgress) => void;
  /** Aborting stops the loaders; the replay stays resumable. */
  signal?: AbortSignal;
  /** Called with the shadow tables complete, right before the exchange. */
  beforeSwap?: (state: ReplayState) => Promise<void>;
  /**
   * Swap even when a rebuilt table has fewer rows than the live one (records
   * the current code or catalog rejects, now dead letters). Default false: the
   * replay then stops before the exchange, resumable with this set, or abandoned.
   */
  allowFewerRows?: boolean;
  /** How often progress is measured, ms. Default 250. */
  progressMs?: number;
}

export interface PartitionPlan {
  partition: number;
  logStart: number;
  end: number;
  liveCommitted: number;
  start: number;
}

export interface TablePlan {
  table: ReplayTable;
  live: string;
  shadow: string;
  before: string;
  topic: string;
  group: string;
  liveGroup: string;
  partitions: PartitionPlan[];
  /** Records the replay reads from the log. */
  replayRecords: number;
  /** Rows of the live table copied as they are (below the start positions). */
  copyRows: number;
  liveRows: number;
}

export interface ReplayPlan {
  id: string;
  from: string;
  logKind: string;
  tables: TablePlan[];
}

export interface TableChecksum {
  rows: number;
  /** XOR and wrapping sum of a 64-bit hash of every row: order-free, and the sum sees duplicates. */
  xor: string;
  sum: string;
  /** Columns left out of the hash, and why; every other column (MATERIALIZED ones too) is in it. */
  excluded: { column: string; why: string }[];
}

// ---------------------------------------------------------------- helpers

function liveGroupOf(ctx: ReplayContext, table: ReplayTable): string {
  return table === 'events'
    ? (ctx.liveGroups?.events ?? eventsLoaderDefaults.groupId)
    : (ctx.liveGroups?.deadLetters ?? deadLetterLoaderDefaults.groupId);
}

function logOf(ctx: ReplayContext, table: ReplayTable): EventLog {
  return table === 'events' ? ctx.log : ctx.deadLetters;
}

/** `20200124_101500_ab12`: sorts by start time, valid inside an identifier. */
export function newReplayId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  return `${stamp}_${randomBytes(2).toString('hex')}`;
}

function namesFor(id: string, table: ReplayTable) {
  return { shadow: `${table}_replay_${id}`, before: `${table}_before_${id}`, group: `${replayDefaults.groupPrefix}${id}-${table}` };
}

/** The table's definition with its own name taken out, to compare two tables' structure. */
async function definition(warehouse: Warehouse, table: string): Promise<string> {
  const [row] = await warehouse.rows<{ statement: string }>(`SHOW CREATE TABLE ${table}`);
  // The table's own comment (last line) says nothing about its structure.
  return row.statement.replace(/^CREATE TABLE \S+/, 'CREATE TABLE _').replace(/\nCOMMENT '(?:[^'\\]|\\.)*'$/, '');
}

async function tableExists(warehouse: Warehouse, table: string): Promise<boolean> {
  const [row] = await warehouse.rows<{ n: number | string }>('SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = {t:String}', { t: table });
  return Number(row.n) > 0;
}

async function dataPaths(warehouse: Warehouse, table: string): Promise<string[] | null> {
  const rows = await warehouse.rows<{ data_paths: string[] }>('SELECT data_paths FROM system.tables WHERE database = currentDatabase() AND name = {t:String}', { t: table });
  return rows.length === 0 ? null : rows[0].data_paths;
}

const samePaths = (a: string[] | null | undefined, b: string[] | null | undefined) => !!a && !!b && a.length > 0 && a.join('\n') === b.join('\n');

/** Rows of `table` below the per-partition start offsets. */
const BELOW_START = 'log_offset < arrayElement({start:Array(UInt64)}, log_partition + 1)';

async function countBelow(warehouse: Warehouse, table: string, start: number[]): Promise<number> {
  if (start.every((s) => s === 0)) return 0;
  const [row] = await warehouse.rows<{ n: number | string }>(`SELECT count() AS n FROM ${table} WHERE ${BELOW_START}`, { start });
  return Number(row.n);
}

async function rowCount(warehouse: Warehouse, table: string): Promise<number> {
  const [row] = await warehouse.rows<{ n: number | string }>(`SELECT count() AS n FROM ${table}`);
  return Number(row.n);
}

/**
 * Columns that record when a row was written (`DEFAULT now()`, e.g.
 * `events.loaded_at`): a replay writes every row anew, so they differ by
 * design and a checksum meant to compare projections leaves them out.
 */
export async function writeTimeColumns(warehouse: Warehouse, table: string): Promise<string[]> {
  const rows = await warehouse.rows<{ name: string }>(
    `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {t:String}
       AND default_kind = 'DEFAULT' AND match(default_expression, '^(now|now64|today)\\(')`,
    { t: table },
  );
  return rows.map((r) => r.name);
}

/**
 * A checksum of every row of a table over every column (MATERIALIZED ones
 * included) except the write-time columns, which are listed in the result:
 * equal checksums mean the same multiset of rows. The hash is taken over each
 * row rendered as JSON, so it does not depend on how parts store it.
 */
export async function tableChecksum(warehouse: Warehouse, table: string): Promise<TableChecksum> {
  const exclude = await writeTimeColumns(warehouse, table);
  const except = exclude.length > 0 ? ` EXCEPT (${exclude.join(', ')})` : '';
  // The setting is written into the query, not passed as a client setting:
  // chDB applies client settings to its session, where they would stay.
  const [row] = await warehouse.rows<{ rows: string; xor: string; sum: string }>(
    `SELECT toString(count()) AS rows, toString(groupBitXor(h)) AS xor, toString(sum(h)) AS sum
     FROM (SELECT cityHash64(formatRow('JSONEachRow', *${except})) AS h FROM ${table})
     SETTINGS asterisk_include_materialized_columns = 1`,
  );
  return {
    rows: Number(row.rows),
    xor: row.xor,
    sum: row.sum,
    excluded: exclude.map((column) => ({ column, why: 'records when the row was written (DEFAULT now): a replay writes every row anew' })),
  };
}

function deterministicUuid(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  // Version nibble 8 ("custom", RFC 9562) and the RFC variant.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Where the replay's events loader puts records it cannot load: the dead-letter
 * log, like the live processor, but each letter gets an id derived from the
 * record and the reason, so replaying twice keeps one letter; and a record the
 * live processor already dead-lettered for the same reason gets none.
 */
function replayDeadLetterSink(deadLetters: EventLog, warehouse: Warehouse): EventLog {
  async function append(records: AppendRecord[]) {
    const letters = records.map((record) => JSON.parse(record.value.toString()) as DeadLetter);
    // One look-up per batch of rejections: which of them the live processor already recorded.
    const known = new Set(
      (
        await warehouse.rows<{ key: string }>(
          "SELECT concat(origin, '\\n', reason) AS key FROM dead_letters WHERE (origin, reason) IN (SELECT tupleElement(t, 1), tupleElement(t, 2) FROM (SELECT arrayJoin(arrayZip({origins:Array(String)}, {reasons:Array(String)})) AS t))",
          { origins: letters.map((l) => l.origin), reasons: letters.map((l) => l.reason) },
        )
      ).map((r) => r.key),
    );
    const kept = letters
      .filter((l) => !known.has(`${l.origin}\n${l.reason}`))
      .map((l) => deadLetterRecord({ ...l, id: deterministicUuid(`${l.origin}\n${l.reason}\n${l.raw}`) }));
    return kept.length > 0 ? deadLetters.append(kept) : [];
  }
  return new Proxy(deadLetters, {
    get(target, property) {
      if (property === 'append') return append;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function replayError(message: string): ContinuityError {
  return new ContinuityError('CONT_ERR_REPLAY_STATE', message);
}

async function unfinished(warehouse: Warehouse): Promise<ReplayState[]> {
  return (await loadReplays(warehouse)).filter((r) => UNFINISHED.includes(r.status));
}

async function pick(warehouse: Warehouse, id: string | undefined, wanted: (r: ReplayState) => boolean, what: string): Promise<ReplayState> {
  if (id) {
    const state = await loadReplay(warehouse, id);
    if (!state) throw new ContinuityError('CONT_ERR_NOT_FOUND', `no replay ${JSON.stringify(id)} (continuity replay --status lists them)`);
    return state;
  }
  const candidates = (await loadReplays(warehouse)).filter(wanted);
  if (candidates.length === 0) throw new ContinuityError('CONT_ERR_NOT_FOUND', `no replay to ${what}`);
  return candidates[candidates.length - 1];
}

// ---------------------------------------------------------------- plan

async function planTable(ctx: ReplayContext, id: string, table: ReplayTable, from: FromPosition): Promise<{ plan: TablePlan; positions: StartPositions }> {
  const log = logOf(ctx, table);
  const liveGroup = liveGroupOf(ctx, table);
  // A partition:offset names a partition of the events log; the dead-letter log
  // is then taken as the live table has it, plus what arrives meanwhile.
  const positions = await startPositions(log, liveGroup, from, table === 'events' || from.kind !== 'offset');
  const names = namesFor(id, table);
  const partitions = positions.end.map((end, partition) => ({
    partition,
    logStart: positions.logStart[partition],
    end,
    liveCommitted: positions.liveCommitted[partition],
    start: positions.start[partition],
  }));
  const [copyRows, liveRows] = await Promise.all([countBelow(ctx.warehouse, table, positions.start), rowCount(ctx.warehouse, table)]);
  return {
    positions,
    plan: {
      table,
      live: table,
      ...names,
      topic: log.topic,
      liveGroup,
      partitions,
      replayRecords: partitions.reduce((s, p) => s + Math.max(0, p.end - p.start), 0),
      copyRows,
      liveRows,
    },
  };
}

/** What a replay would do, touching nothing: `--dry-run`. */
export async function planReplay(ctx: ReplayContext, options: ReplayOptions = {}): Promise<ReplayPlan> {
  const id = newReplayId();
  const from = options.from ?? replayDefaults.from;
  const tables = options.tables ?? replayDefaults.tables;
  const planned = [];
  for (const table of tables) planned.push((await planTable(ctx, id, table, from)).plan);
  return { id, from: formatFromPosition(from), logKind: ctx.log.kind, tables: planned };
}

// ---------------------------------------------------------------- steps

/** Creates the shadow tables, positions the replay's groups and copies the rows below the start positions. Idempotent. */
async function seed(ctx: ReplayContext, state: ReplayState): Promise<ReplayState> {
  const { warehouse } = ctx;
  for (const target of state.targets) {
    await warehouse.command(`CREATE TABLE IF NOT EXISTS ${target.shadow} AS ${target.live}`);
    const shadowDdl = await definition(warehouse, target.shadow);
    if (shadowDdl !== target.ddl) throw replayError(`${target.shadow} does not have the definition ${target.live} had when replay ${state.id} started; abandon it and start again`);
    const log = logOf(ctx, target.table);
    for (const [partition, offset] of target.start.entries()) await log.resetOffsets(target.group, { to: 'offset', partition, offset });
    // A crash half-way through the copy leaves part of it: start the copy over.
    await warehouse.command(`TRUNCATE TABLE ${target.shadow}`);
    if (target.start.some((s) => s > 0)) {
      await warehouse.command(`INSERT INTO ${target.shadow} SELECT * FROM ${target.live} WHERE ${BELOW_START}`, { start: target.start });
    }
    target.copied = await countBelow(warehouse, target.shadow, target.start);
  }
  return saveReplay(warehouse, { ...state, status: 'building', message: '' });
}

interface Running {
  /** Loaders still running. */
  loaders: Map<ReplayTable, Loader>;
  /** Counters of every loader this run started, kept after it stops. */
  stats: Map<ReplayTable, LoaderStats>;
  failure: unknown;
}

async function startLoaders(ctx: ReplayContext, state: ReplayState, options: ReplayOptions): Promise<Running> {
  const running: Running = { loaders: new Map(), stats: new Map(), failure: null };
  try {
    for (const target of state.targets) {
      const loader =
        target.table === 'events'
          ? await startEventsLoader({
              log: ctx.log,
              deadLetters: replayDeadLetterSink(ctx.deadLetters, ctx.warehouse),
              warehouse: ctx.warehouse,
              catalog: ctx.catalog,
              groupId: target.group,
              table: target.shadow,
              batchRecords: options.batchRecords ?? replayDefaults.batchRecords,
            })
          : await startDeadLetterLoader({ deadLetters: ctx.deadLetters, warehouse: ctx.warehouse, groupId: target.group, table: target.shadow });
      loader.subscription.done.catch((error) => (running.failure ??= error));
      running.loaders.set(target.table, loader);
      running.stats.set(target.table, loader.stats);
    }
  } catch (error) {
    await stopLoaders(running);
    throw error;
  }
  return running;
}

async function stopLoaders(running: Running, only?: ReplayTable) {
  for (const [table, loader] of running.loaders) {
    if (only && table !== only) continue;
    await loader.stop();
    running.loaders.delete(table);
  }
}

async function lagOf(ctx: ReplayContext, target: TargetPlan): Promise<number> {
  const log = logOf(ctx, target.table);
  const [ends, committed] = await Promise.all([log.endOffsets(), log.committedOffsets(target.group)]);
  const at = new Map(committed.map((c) => [c.partition, c.offset]));
  return ends.reduce((sum, end, p) => sum + Math.max(0, end - (at.get(p) ?? 0)), 0);
}

class Aborted extends Error {}

/**
 * Waits until the replay's groups have committed everything in their logs
 * (checked twice in a row), reporting progress. `tables` are waited for in
 * order: loading events may dead-letter records the dead-letter replay then
 * has to take in.
 */
async function catchUp(
  ctx: ReplayContext,
  state: ReplayState,
  running: Running,
  phase: ReplayProgress['phase'],
  options: RunOptions,
  clock: { started: number },
  stopEach = false,
): Promise<void> {
  const interval = options.progressMs ?? replayDefaults.progressMs;
  // The lags are read more often than progress is reported: the embedded log
  // answers from memory, so the replay ends within a few dozen ms of its last
  // insert instead of up to a report interval later (Kafka asks its brokers).
  const pollMs = Math.min(interval, ctx.log.kind === 'embedded' ? 20 : 100);
  let reported = -Infinity;
  for (const target of state.targets) {
    let quiet = 0;
    for (;;) {
      if (options.signal?.aborted) throw new Aborted('interrupted');
      if (running.failure) throw running.failure;
      const lags = await Promise.all(state.targets.map((t) => lagOf(ctx, t)));
      if (lags[state.targets.indexOf(target)] === 0) ++quiet;
      else quiet = 0;
      if (quiet >= 2 || Date.now() - reported >= interval) {
        options.onProgress?.(progressOf(state, running, lags, phase, clock.started));
        reported = Date.now();
      }
      if (quiet >= 2) break;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    if (stopEach) await stopLoaders(running, target.table);
  }
}

function progressOf(state: ReplayState, running: Running, lags: number[], phase: ReplayProgress['phase'], started: number): ReplayProgress {
  const tables = state.targets.map((t, i) => {
    const s = running.stats.get(t.table);
    return { table: t.table, written: s?.written ?? 0, duplicates: s?.duplicates ?? 0, deadLettered: s?.deadLettered ?? 0, lag: lags[i] };
  });
  const elapsedMs = Date.now() - started;
  const processed = tables.reduce((n, t) => n + t.written + t.duplicates + t.deadLettered, 0);
  const written = tables.reduce((n, t) => n + t.written, 0);
  const lag = lags.reduce((a, b) => a + b, 0);
  const rate = elapsedMs > 0 ? (processed * 1000) / elapsedMs : 0;
  return { id: state.id, phase, tables, written, lag, rate, etaSeconds: lag === 0 ? 0 : rate > 0 ? lag / rate : null, elapsedMs };
}

/**
 * Before an exchange with processors in other processes (Kafka): the port
 * moves a group's offsets only while none of its members runs, so a reset of
 * one partition to where it already is tells whether the live processors are
 * stopped, and changes nothing.
 */
async function liveGroupsStopped(ctx: ReplayContext, state: ReplayState): Promise<boolean> {
  for (const target of state.targets) {
    const log = logOf(ctx, target.table);
    const [first] = await log.committedOffsets(target.liveGroup);
    if (!first) continue;
    try {
      await log.resetOffsets(target.liveGroup, { to: 'offset', partition: first.partition, offset: first.offset });
    } catch (error) {
      if (isContinuityError(error, 'CONT_ERR_LOG_GROUP_ACTIVE')) return false;
      if (!isContinuityError(error, 'CONT_ERR_LOG_OFFSET_OUT_OF_RANGE')) throw error;
    }
  }
  return true;
}

/** EXCHANGE each shadow with its live table, then give the previous one its `_before_` name. Idempotent. */
async function exchange(ctx: ReplayContext, state: ReplayState, dropOld: boolean): Promise<ReplayState> {
  const { warehouse } = ctx;
  for (const target of state.targets) {
    if (!target.storage) throw replayError(`replay ${state.id} has no recorded storage for ${target.live}`);
    const livePaths = await dataPaths(warehouse, target.live);
    if (!samePaths(livePaths, target.storage.shadow)) {
      if (!samePaths(livePaths, target.storage.live)) throw replayError(`${target.live} is neither the table replay ${state.id} saw before the exchange nor its shadow; check the tables by hand`);
      await warehouse.command(`EXCHANGE TABLES ${target.live} AND ${target.shadow}`);
    }
    if (samePaths(await dataPaths(warehouse, target.shadow), target.storage.live)) {
      await warehouse.command(`RENAME TABLE ${target.shadow} TO ${target.before}`);
    }
  }
  const rows = state.targets.map((t) => (t.rows ? `${t.live} ${t.rows.shadow} rows (before: ${t.rows.live})` : t.live)).join(', ');
  const swapped = await saveReplay(warehouse, {
    ...state,
    status: 'swapped',
    message: `swapped in: ${rows}; previous tables kept as ${state.targets.map((t) => t.before).join(', ')}`,
  });
  return dropOld ? cleanupOne(ctx, swapped) : swapped;
}

async function cleanupOne(ctx: ReplayContext, state: ReplayState): Promise<ReplayState> {
  for (const target of state.targets) await ctx.warehouse.command(`DROP TABLE IF EXISTS ${target.before}`);
  return saveReplay(ctx.warehouse, { ...state, status: 'cleaned', message: `previous tables dropped: ${state.targets.map((t) => t.before).join(', ')}` });
}

async function checkDefinitions(ctx: ReplayContext, state: ReplayState) {
  for (const target of state.targets) {
    if (!(await tableExists(ctx.warehouse, target.shadow))) throw replayError(`the shadow table ${target.shadow} of replay ${state.id} is gone; abandon the replay and start again`);
    const [live, shadow] = await Promise.all([definition(ctx.warehouse, target.live), definition(ctx.warehouse, target.shadow)]);
    if (live !== target.ddl || shadow !== target.ddl) {
      throw replayError(
        `${target.live} changed since replay ${state.id} started (a migration?), so its shadow no longer matches; abandon it (continuity replay --abandon ${state.id}) and start a new one`,
      );
    }
  }
}

/** Runs a replay from whatever state it is in up to the swap (or to caught up with `swap: false`). */
async function run(ctx: ReplayContext, initial: ReplayState, options: ReplayOptions, runOptions: RunOptions): Promise<ReplayState> {
  let state = initial;
  const clock = { started: Date.now() };
  const exchanged = state.status === 'swapping' && (await Promise.all(state.targets.map(async (t) => samePaths(await dataPaths(ctx.warehouse, t.live), t.storage?.shadow)))).some(Boolean);
  if (exchanged) return exchange(ctx, state, runOptions.dropOld ?? false);
  if (state.status === 'seeding') {
    runOptions.onProgress?.(progressOf(state, { loaders: new Map(), stats: new Map(), failure: null }, state.targets.map(() => 0), 'seeding', clock.started));
    state = await seed(ctx, state);
  } else if (state.status === 'building' || state.status === 'swapping') {
    await checkDefinitions(ctx, state);
  } else {
    throw replayError(`replay ${state.id} is ${state.status}; there is nothing to resume`);
  }
  if (state.status === 'swapping') state = await saveReplay(ctx.warehouse, { ...state, status: 'building', message: 'resumed before the exchange' });

  const running = await startLoaders(ctx, state, options);
  try {
    await catchUp(ctx, state, running, 'building', runOptions, clock);
    if (runOptions.swap === false) {
      await stopLoaders(running);
      return await saveReplay(ctx.warehouse, { ...state, message: 'caught up; not swapped (--no-swap): continuity replay --resume swaps it in' });
    }
    const finish = async () => {
      // With the live processors stopped, the shadow tables take in the last
      // records: the live groups can then be nowhere past the replay's, and
      // after the exchange they go on from where they were, dropping by id
      // what the replay already loaded.
      await catchUp(ctx, state, running, 'final catch-up', runOptions, clock, true);
      const counted = [];
      for (const t of state.targets) counted.push({ ...t, rows: { shadow: await rowCount(ctx.warehouse, t.shadow), live: await rowCount(ctx.warehouse, t.live) } });
      state = { ...state, targets: counted };
      const shrinking = counted.filter((t) => t.rows.shadow < t.rows.live);
      if (shrinking.length > 0 && !runOptions.allowFewerRows) {
        // Rows would disappear from the dashboards: most likely records the
        // current catalog or code rejects. An operator decides, not the replay.
        const what = shrinking.map((t) => `${t.live} would go from ${t.rows.live} to ${t.rows.shadow} rows`).join(', ');
        return saveReplay(ctx.warehouse, {
          ...state,
          message: `not swapped: ${what} (records rejected while replaying are dead letters: continuity deadletters list --status open); swap anyway with --resume --allow-fewer-rows, or --abandon`,
        });
      }
      await runOptions.beforeSwap?.(state);
      const targets = [];
      for (const t of state.targets) targets.push({ ...t, storage: { shadow: (await dataPaths(ctx.warehouse, t.shadow)) ?? [], live: (await dataPaths(ctx.warehouse, t.live)) ?? [] } });
      state = await saveReplay(ctx.warehouse, { ...state, targets, status: 'swapping', message: '' });
      runOptions.onProgress?.(progressOf(state, running, state.targets.map(() => 0), 'swapping', clock.started));
      return exchange(ctx, state, runOptions.dropOld ?? false);
    };
    if (ctx.pauseLive) return await ctx.pauseLive(finish);
    if (ctx.log.kind !== 'embedded') {
      while (!(await liveGroupsStopped(ctx, state))) {
        if (runOptions.signal?.aborted) throw new Aborted('interrupted');
        if (running.failure) throw running.failure;
        const lags = await Promise.all(state.targets.map((t) => lagOf(ctx, t)));
        runOptions.onProgress?.(progressOf(state, running, lags, 'waiting for the live processors to stop', clock.started));
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    return await finish();
  } catch (error) {
    await stopLoaders(running).catch(() => {});
    if (error instanceof Aborted) return saveReplay(ctx.warehouse, { ...state, message: 'interrupted; continuity replay --resume continues it, --abandon drops it' });
    await saveReplay(ctx.warehouse, { ...state, message: `stopped: ${(error as Error).message}` }).catch(() => {});
    throw error;
  } finally {
    await stopLoaders(running).catch(() => {});
  }
}

// ---------------------------------------------------------------- operations

/** Starts a replay and runs it to the swap. Refused while another replay is unfinished. */
export async function startReplay(ctx: ReplayContext, options: ReplayOptions = {}, runOptions: RunOptions = {}): Promise<ReplayState> {
  const open = await unfinished(ctx.warehouse);
  if (open.length > 0) {
    throw new ContinuityError(
      'CONT_ERR_REPLAY_UNFINISHED',
      `replay ${open[0].id} is ${open[0].status}; finish it first: continuity replay --resume ${open[0].id}, or drop it: continuity replay --abandon ${open[0].id}`,
    );
  }
  const id = newReplayId();
  const from = options.from ?? replayDefaults.from;
  const targets: TargetPlan[] = [];
  for (const table of options.tables ?? replayDefaults.tables) {
    const { plan, positions } = await planTable(ctx, id, table, from);
    targets.push({
      table,
      live: plan.live,
      shadow: plan.shadow,
      before: plan.before,
      topic: plan.topic,
      group: plan.group,
      liveGroup: plan.liveGroup,
      start: positions.start,
      endAtStart: positions.end,
      ddl: await definition(ctx.warehouse, plan.live),
      copied: 0,
    });
  }
  const now = new Date().toISOString();
  const state = await saveReplay(ctx.warehouse, { id, status: 'seeding', from: formatFromPosition(from), logKind: ctx.log.kind, startedAt: now, updatedAt: now, targets, message: '' });
  return run(ctx, state, options, runOptions);
}

/** Continues an interrupted replay (the latest unfinished one without an id). */
export async function resumeReplay(ctx: ReplayContext, id: string | undefined, options: ReplayOptions = {}, runOptions: RunOptions = {}): Promise<ReplayState> {
  const state = await pick(ctx.warehouse, id, (r) => UNFINISHED.includes(r.status), 'resume');
  return run(ctx, state, options, runOptions);
}

/** Drops an unfinished replay's shadow tables; the live tables are not touched. */
export async function abandonReplay(ctx: ReplayContext, id?: string): Promise<ReplayState> {
  const state = await pick(ctx.warehouse, id, (r) => UNFINISHED.includes(r.status), 'abandon');
  if (!UNFINISHED.includes(state.status)) throw replayError(`replay ${state.id} is ${state.status}; only an unfinished replay can be abandoned`);
  for (const target of state.targets) {
    if (state.status === 'swapping' && samePaths(await dataPaths(ctx.warehouse, target.live), target.storage?.shadow)) {
      throw replayError(`replay ${state.id} has already exchanged ${target.live}; finish it with continuity replay --resume ${state.id}`);
    }
  }
  for (const target of state.targets) await ctx.warehouse.command(`DROP TABLE IF EXISTS ${target.shadow}`);
  return saveReplay(ctx.warehouse, { ...state, status: 'abandoned', message: `abandoned; dropped ${state.targets.map((t) => t.shadow).join(', ')}` });
}

/** Drops the previous tables kept by swapped replays (one, or all without an id). */
export async function cleanupReplays(ctx: ReplayContext, id?: string): Promise<ReplayState[]> {
  const states = id ? [await pick(ctx.warehouse, id, () => true, 'clean up')] : (await loadReplays(ctx.warehouse)).filter((r) => r.status === 'swapped');
  const out = [];
  for (const state of states) {
    if (state.status !== 'swapped') throw replayError(`replay ${state.id} is ${state.status}; only a swapped replay keeps previous tables to drop`);
    out.push(await cleanupOne(ctx, state));
  }
  return out;
}

export async function listReplays(ctx: Pick<ReplayContext, 'warehouse'>): Promise<ReplayState[]> {
  return loadReplays(ctx.warehouse);
}
