/**
 * A warehouse loader: one consumer-group member that turns log records into rows
 * of one table.
 *
 *   records ──toRow──> rows ──dedupe by id──> one INSERT ──> commit offsets
 *
 * Exactly-once effect: offsets are committed only after the insert returned, and
 * before inserting, every id the table already holds is dropped. A batch retried
 * after a crash (whatever its boundaries) therefore writes only what is missing,
 * and a duplicate event from a producer is written once. One INSERT of fewer
 * rows than `max_insert_block_size` is one part: it lands whole or not at all,
 * together with the projections computed from it.
 *
 * A poison record never stalls a partition: a row the warehouse refuses is found
 * by bisecting the batch and dead-lettered with ClickHouse's reason.
 */
import type { EventLog, LogRecord, RecordBatch, Subscription } from '../event-log/event-log.ts';
import { ContinuityError, isContinuityError } from '../errors/registry.ts';
import {
  processorBatches,
  processorDuplicatesDropped,
  processorEventsDeadLettered,
  processorEventsWritten,
} from '../observability/metrics.ts';
import type { FieldError } from '../schemas/index.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';

export type RowResult = { ok: true; id: string; row: string } | { ok: false; errors: FieldError[] };

export interface LoaderOptions {
  /** For logs and metrics: `events`, `dead-letters`. */
  name: string;
  log: EventLog;
  warehouse: Warehouse;
  groupId: string;
  table: string;
  /** A log record as one JSONEachRow line, or why it cannot be one. */
  toRow(record: LogRecord): RowResult;
  /** Keep a record that cannot be loaded; must be durable when it resolves. */
  deadLetter?(record: LogRecord, errors: FieldError[]): Promise<void>;
  /** Records per insert. Default 50,000. */
  batchRecords?: number;
  /** Retries of an insert the warehouse could not take (unavailable), with backoff. Default: forever while running. */
  maxRetries?: number;
  onError?(error: unknown): void;
}

export interface LoaderStats {
  written: number;
  duplicates: number;
  deadLettered: number;
  batches: number;
}

export interface Loader {
  readonly stats: LoaderStats;
  readonly subscription: Subscription;
  stop(): Promise<void>;
}

function escapeTsv(value: string) {
  return value.replace(/[\\\t\n]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : '\\n'));
}

export async function startLoader(options: LoaderOptions): Promise<Loader> {
  const { warehouse, table, name } = options;
  const stats: LoaderStats = { written: 0, duplicates: 0, deadLettered: 0, batches: 0 };
  const labels = { loader: name };
  let stopping = false;

  async function existingIds(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await warehouse.rows<{ id: string }>(
      `SELECT id FROM ${table} WHERE id IN (SELECT id FROM format(TSV, 'id String', {ids:String}))`,
      { ids: ids.map(escapeTsv).join('\n') },
    );
    return new Set(rows.map((r) => r.id));
  }

  async function insertWithRetry(rows: string[]) {
    let attempt = 0;
    for (;;) {
      try {
        await warehouse.insertRaw(table, 'JSONEachRow', rows.join('\n'));
        return;
      } catch (error) {
        const retriable = isContinuityError(error) && error.retriable;
        if (!retriable || stopping || (options.maxRetries !== undefined && attempt >= options.maxRetries)) throw error;
        attempt++;
        const wait = Math.min(30_000, 200 * 2 ** attempt);
        process.stderr.write(`continuity: ${name} loader: warehouse unavailable, retry ${attempt} in ${wait} ms: ${(error as Error).message}\n`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** Insert, and when the warehouse refuses the block itself, find the refused rows. */
  async function insertOrIsolate(entries: { record: LogRecord; row: string }[]): Promise<{ record: LogRecord; reason: string }[]> {
    try {
      await insertWithRetry(entries.map((e) => e.row));
      return [];
    } catch (error) {
      if (!isContinuityError(error, 'CONT_ERR_WAREHOUSE_QUERY')) throw error;
      if (entries.length === 1) return [{ record: entries[0].record, reason: error.message }];
      const mid = entries.length >> 1;
      const left = await insertOrIsolate(entries.slice(0, mid));
      const right = await insertOrIsolate(entries.slice(mid));
      const refused = [...left, ...right];
      if (refused.length === entries.length) {
        // Every row refused on its own: the table, not the data, is wrong. Stop
        // rather than dead-letter a whole stream.
        throw error;
      }
      return refused;
    }
  }

  async function handle(batch: RecordBatch, consumer: { commit(p: number, o: number, m?: string | null): Promise<void> }) {
    if (batch.records.length === 0) return;
    const seen = new Set<string>();
    const candidates: { record: LogRecord; id: string; row: string }[] = [];
    let duplicates = 0;
    for (const record of batch.records) {
      const result = options.toRow(record);
      if (!result.ok) {
        if (!options.deadLetter) throw new ContinuityError('CONT_ERR_LOG_CORRUPT', `${name}: record ${record.partition}:${record.offset} cannot be loaded`);
        await options.deadLetter(record, result.errors);
        stats.deadLettered++;
        processorEventsDeadLettered.inc(labels);
        continue;
      }
      if (seen.has(result.id)) {
        duplicates++;
        continue;
      }
      seen.add(result.id);
      candidates.push({ record, id: result.id, row: result.row });
    }
    const existing = await existingIds(candidates.map((c) => c.id));
    const fresh = existing.size === 0 ? candidates : candidates.filter((c) => !existing.has(c.id));
    duplicates += candidates.length - fresh.length;
    if (fresh.length > 0) {
      const refused = await insertOrIsolate(fresh);
      for (const { record, reason } of refused) {
        if (!options.deadLetter) throw new ContinuityError('CONT_ERR_WAREHOUSE_QUERY', reason);
        await options.deadLetter(record, [{ field: '$', reason: `the warehouse refused the row: ${reason}` }]);
        stats.deadLettered++;
        processorEventsDeadLettered.inc(labels);
      }
      stats.written += fresh.length - refused.length;
      processorEventsWritten.inc(labels, fresh.length - refused.length);
    }
    stats.duplicates += duplicates;
    processorDuplicatesDropped.inc(labels, duplicates);
    stats.batches++;
    processorBatches.inc(labels);
    const last = batch.records[batch.records.length - 1];
    await consumer.commit(batch.partition, last.offset + 1, null);
  }

  const subscription = await options.log.subscribe({
    groupId: options.groupId,
    maxBatchRecords: options.batchRecords ?? 50_000,
    eachBatch: handle,
  });
  subscription.done.catch((error) => {
    if (!stopping) (options.onError ?? ((e) => process.stderr.write(`continuity: ${name} loader stopped: ${(e as Error).message}\n`)))(error);
  });

  return {
    stats,
    subscription,
    async stop() {
      stopping = true;
      await subscription.stop();
    },
  };
}

/** Resolves when the group has committed everything the log held, checked twice. */
export async function waitUntilIdle(
  log: EventLog,
  groupId: string,
  options: { pollMs?: number; failed?: () => unknown; onProgress?: (lag: number) => void } = {},
): Promise<void> {
  const pollMs = options.pollMs ?? 100;
  let quietChecks = 0;
  for (;;) {
    const failure = options.failed?.();
    if (failure) throw failure;
    const [ends, committed] = await Promise.all([log.endOffsets(), log.committedOffsets(groupId)]);
    const byPartition = new Map(committed.map((c) => [c.partition, c.offset]));
    const lag = ends.reduce((sum, end, p) => sum + Math.max(0, end - (byPartition.get(p) ?? 0)), 0);
    options.onProgress?.(lag);
    if (lag === 0) {
      if (++quietChecks >= 2) return;
    } else quietChecks = 0;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
