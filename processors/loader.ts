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
 * The id lookup is cheap when the table is ordered by (log_partition, time):
 * a record's duplicates share its key, hence its partition, and its time, so
 * only the rows of this partition in the batch's time windows are read, and no
 * id list is sent. Tables without a time column send their ids instead.
 *
 * A poison record never stalls a partition: a row the warehouse refuses is found
 * by bisecting the batch and dead-lettered with ClickHouse's reason.
 */
import type { EventLog, GroupConsumer, LogRecord, RecordBatch, Subscription, ValueVisitor } from '../event-log/event-log.ts';
import { ContinuityError, isContinuityError } from '../errors/registry.ts';
import {
  processorBatches,
  processorDuplicatesDropped,
  processorEventsDeadLettered,
  processorEventsWritten,
} from '../observability/metrics.ts';
import type { FieldError } from '../schemas/index.ts';
import type { StagedInsert, Warehouse } from '../warehouse/warehouse.ts';
import { RowPack } from './row-pack.ts';
import { mergeWindows } from './time-windows.ts';

/**
 * One JSONEachRow line (no newline), or why the record cannot be one. `time` (ms)
 * is the instant the row is filed under (`occurred_at` for events): a re-sent
 * record has the same one, which keeps the id lookup to a narrow window. With
 * `coordinates`, `row` is a JSON object that gets the record's `ingested_at`
 * (epoch milliseconds, for a DateTime64(3) column), `log_partition` and
 * `log_offset` added before its closing brace.
 */
/** Filled by `rowInPlace` (one object reused for every record of a batch). */
export interface RowInPlace {
  /** Where the row's id lies in the value's buffer: `[idStart, idEnd)`, as UTF-8. */
  idStart: number;
  idEnd: number;
  /** NaN when the table has no time column. */
  time: number;
  coordinates: boolean;
}
export type RowResult = { ok: true; id: string; row: string | Buffer; time?: number; coordinates?: boolean } | { ok: false; errors: FieldError[] };

export interface LoaderOptions {
  /** For logs and metrics: `events`, `dead-letters`. */
  name: string;
  log: EventLog;
  warehouse: Warehouse;
  groupId: string;
  table: string;
  /** A log record as one JSONEachRow line, or why it cannot be one. */
  toRow(record: LogRecord): RowResult;
  /**
   * For batches read in place (`RecordBatch.scan`): when a record's value
   * already is its row (to be completed with the log coordinates when
   * `coordinates`), where its id lies and its time, read off the bytes; false
   * sends the record through `toRow`.
   */
  rowInPlace?(value: Buffer, start: number, end: number, headers: Readonly<Record<string, string>>, out: RowInPlace): boolean;
  /** Keep records that cannot be loaded; durable when it resolves. */
  deadLetter?(items: { record: LogRecord; errors: FieldError[] }[]): Promise<void>;
  /** Most records per insert; a member's batch is a quarter of it with the default 8 members, so half the members fill an insert while the other half read the next. Default 150,000. */
  batchRecords?: number;
  /**
   * Inserts that run at once. A partition's batches still commit in offset
   * order, and a batch is checked in memory for ids of the partition's batches
   * whose inserts have not returned. Default: what the warehouse takes
   * (`Warehouse.parallelInserts`, 2).
   */
  parallelInserts?: number;
  /** Group members this loader runs in its process; their batches go in together. Default 8 on the embedded log, 4 on Kafka. */
  concurrency?: number;
  /** How long a batch waits for other members' batches to share its insert when no insert is running, ms. Default 50. */
  lingerMs?: number;
  /** At the head of a busy log, how long a member waits for half a batch
   * before taking what there is, ms: fewer, larger inserts cost the warehouse
   * far less; events become queryable up to this much later. Default 500. */
  maxBatchWaitMs?: number;
  /** DateTime64 column holding each row's `time`; with `log_partition` it leads the table's order. */
  timeColumn?: string;
  /** Settings of the insert (e.g. how date-times are parsed). */
  insertSettings?: Record<string, string | number>;
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

  async function existingIds(groups: { partition: number; pack: RowPack }[]): Promise<Set<string>> {
    if (groups.every((g) => g.pack.length === 0)) return new Set();
    const batchIds = () => new Set(groups.flatMap((g) => g.pack.ids()));
    let ids: Set<string> | null = null;
    let rows: { id: string }[];
    if (options.timeColumn && groups.every((g) => g.pack.timeWindows() !== null)) {
      const byPartition = new Map<number, [number, number][]>();
      for (const g of groups) {
        const windows = byPartition.get(g.partition) ?? [];
        windows.push(...g.pack.timeWindows()!);
        byPartition.set(g.partition, windows);
      }
      const where = [...byPartition]
        .map(([partition, windows]) => {
          const within = mergeWindows(windows)
            .map(([from, to]) => `${options.timeColumn} BETWEEN fromUnixTimestamp64Milli(${from}, 'UTC') AND fromUnixTimestamp64Milli(${to}, 'UTC')`)
            .join(' OR ');
          return `(log_partition = ${partition} AND (${within}))`;
        })
        .join(' OR ');
      rows = await warehouse.rows<{ id: string }>(`SELECT id FROM ${table} WHERE ${where}`);
    } else {
      ids = batchIds();
      rows = await warehouse.rows<{ id: string }>(`SELECT id FROM ${table} WHERE id IN (SELECT id FROM format(TSV, 'id String', {ids:String}))`, {
        ids: [...ids].map(escapeTsv).join('\n'),
      });
    }
    // The window holds other events too; the batch's ids are gathered only when it holds any.
    if (rows.length === 0) return new Set();
    ids ??= batchIds();
    const found = new Set<string>();
    for (const r of rows) if (ids.has(r.id)) found.add(r.id);
    return found;
  }

  /** Retries what the warehouse could not take (unavailable) with backoff; anything else fails at once. */
  async function withRetry(insert: () => Promise<void>) {
    let attempt = 0;
    for (;;) {
      try {
        await insert();
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

  /**
   * Drop the ids the table holds, insert the rest, and when the warehouse refuses
   * the block itself, find the refused rows by halving. Every attempt looks the
   * ids up again, so rows a failed attempt did write are never written twice.
   */
  async function insertOrIsolate(partition: number, pack: RowPack, dropped: Set<string>): Promise<{ record: LogRecord; reason: string }[]> {
    const existing = await existingIds([{ partition, pack }]);
    for (const id of existing) dropped.add(id);
    const fresh = withoutIds(pack, existing);
    if (fresh.length === 0) return [];
    try {
      await withRetry(() => warehouse.insertRaw(table, 'JSONEachRow', [fresh.bytes()], options.insertSettings));
      return [];
    } catch (error) {
      if (!isContinuityError(error, 'CONT_ERR_WAREHOUSE_QUERY')) throw error;
      if (fresh.length === 1) return [{ record: await recordOf(fresh, 0), reason: error.message }];
      const mid = fresh.length >> 1;
      const all = Array.from({ length: fresh.length }, (_, i) => i);
      const left = await insertOrIsolate(partition, fresh.pick(all.slice(0, mid)), dropped);
      const right = await insertOrIsolate(partition, fresh.pick(all.slice(mid)), dropped);
      const refused = [...left, ...right];
      if (refused.length === fresh.length) {
        // Every row refused on its own: the table, not the data, is wrong. Stop
        // rather than dead-letter a whole stream.
        throw error;
      }
      return refused;
    }
  }

  /** The log record of a row, read again from the log once its batch was let go. */
  async function recordOf(pack: RowPack, i: number): Promise<LogRecord> {
    const held = pack.record(i);
    if (held) return held;
    const offset = pack.offset(i);
    const [record] = await options.log.read(pack.partition, offset, 1);
    if (!record || record.offset !== offset) throw new ContinuityError('CONT_ERR_LOG_CORRUPT', `${name}: record ${pack.partition}:${offset} cannot be read again`);
    return record;
  }

  async function deadLetterAll(items: { record: LogRecord; errors: FieldError[] }[]) {
    if (items.length === 0) return;
    if (!options.deadLetter) {
      throw new ContinuityError('CONT_ERR_LOG_CORRUPT', `${name}: record ${items[0].record.partition}:${items[0].record.offset} cannot be loaded: ${items[0].errors.map((e) => `${e.field}: ${e.reason}`).join('; ')}`);
    }
    await options.deadLetter(items);
    stats.deadLettered += items.length;
    processorEventsDeadLettered.inc(labels, items.length);
  }

  type Outcome = { refused: { record: LogRecord; reason: string }[]; dropped: Set<string> };
  type Submission = { partition: number; pack: RowPack; resolve(outcome: Outcome): void; reject(error: unknown): void };
  // Members of the embedded log's groups live in this process and cost nothing;
  // a Kafka member is a client with its own connections that joins every
  // rebalance of the group, so fewer of them.
  const memberCount = Math.max(1, options.concurrency ?? (options.log.kind === 'embedded' ? 8 : 4));
  const insertRows = options.batchRecords ?? 150_000;
  const insertSlots = Math.max(1, options.parallelInserts ?? warehouse.parallelInserts);
  const lingerMs = options.lingerMs ?? 50;
  // Half the members fill an insert; the other half read and stage the next one meanwhile.
  const memberBatch = Math.min(insertRows, Math.ceil((2 * insertRows) / memberCount));

  /**
   * Batches of several partitions go in as one insert: ClickHouse parses one
   * large block on all cores far faster than several small ones. Each batch is
   * staged in the insert's file as soon as it is submitted (its memory freed),
   * and stays in flight, uncommitted, until the insert holding it has returned.
   */
  const combiner = (() => {
    type Group = { staged: Promise<StagedInsert>; subs: Submission[]; rows: number; appends: Promise<unknown>[] };
    let open: Group | null = null;
    let timer: NodeJS.Timeout | null = null;
    /** Staging files of inserts that returned, being removed. */
    const discarding = new Set<Promise<unknown>>();
    /** Groups whose insert has not returned: gathering, queued or running. */
    const unlanded = new Set<Group>();
    /** Closed groups waiting for an insert slot, oldest first. */
    const queued: Group[] = [];
    /** Inserts running. While one runs, batches gather for the next (group commit). */
    let running = 0;

    async function flush(group: Group) {
      const { subs } = group;
      const files: StagedInsert[] = [];
      try {
        const staged = await group.staged;
        files.push(staged);
        await Promise.all(group.appends);
        const existing = await existingIds(subs);
        let target = staged;
        if (existing.size > 0) {
          // Re-delivered or re-sent events: staged again without them.
          target = await warehouse.stage('JSONEachRow');
          files.push(target);
          for (const s of subs) {
            await restore(staged, s.pack);
            const fresh = withoutIds(s.pack, existing);
            if (fresh.length > 0) await target.append([fresh.bytes()]);
          }
        }
        try {
          if (target.size > 0) await withRetry(() => target.insert(table, options.insertSettings));
          for (const s of subs) s.resolve({ refused: [], dropped: existing.size === 0 ? new Set() : new Set(s.pack.ids().filter((id) => existing.has(id))) });
        } catch (error) {
          if (!isContinuityError(error, 'CONT_ERR_WAREHOUSE_QUERY')) throw error;
          // Some row is refused: find it partition by partition.
          for (const s of subs) {
            const dropped = new Set<string>();
            try {
              await restore(staged, s.pack);
              s.resolve({ refused: await insertOrIsolate(s.partition, s.pack, dropped), dropped });
            } catch (inner) {
              s.reject(inner);
            }
          }
        }
      } catch (error) {
        for (const s of subs) s.reject(error);
      } finally {
        // Not waited for: the next insert starts as soon as this one returned.
        const gone: Promise<unknown> = Promise.all(files.map((f) => f.discard().catch(() => {})));
        discarding.add(gone);
        void gone.then(() => discarding.delete(gone));
      }
    }

    async function restore(staged: StagedInsert, pack: RowPack) {
      const range = pack.staged;
      if (range) pack.restore(await staged.read(range.from, range.to));
    }

    function run(group: Group) {
      running++;
      void flush(group).finally(() => {
        running--;
        unlanded.delete(group);
        const next = queued.shift();
        if (next) run(next);
        // What gathered goes next without waiting once no insert runs; while
        // the other one runs, it gathers until full (partial inserts would
        // leave more, smaller parts for merges to rewrite).
        else if (open && running === 0) flushNow();
      });
    }

    function flushNow() {
      if (timer) clearTimeout(timer);
      timer = null;
      const group = open;
      open = null;
      if (!group) return;
      if (running < insertSlots) run(group);
      else queued.push(group);
    }

    return {
      /** Resolves once the staging files of every insert that returned are gone. */
      discarded: () => Promise.all(discarding).then(() => {}),
      /** The packs of a partition in inserts that have not returned (gathering, queued or running). */
      unlanded(partition: number): RowPack[] {
        return [...unlanded].flatMap((g) => g.subs.filter((s) => s.partition === partition).map((s) => s.pack));
      },
      submit(partition: number, pack: RowPack): Promise<Outcome> {
        if (!open) {
          open = { staged: warehouse.stage('JSONEachRow'), subs: [], rows: 0, appends: [] };
          unlanded.add(open);
        }
        const group = open;
        return new Promise<Outcome>((resolve, reject) => {
          group.subs.push({ partition, pack, resolve, reject });
          group.rows += pack.length;
          // Written at once: from here on the batch's rows are the file's, not this process's memory.
          group.appends.push(group.staged.then((staged) => staged.append([pack.bytes()])).then(({ from }) => pack.release(from)));
          if (group.rows >= insertRows || group.subs.length >= memberCount) flushNow();
          else if (running === 0) timer ??= setTimeout(flushNow, lingerMs);
        });
      },
    };
  })();

  // A batch takes about what the previous one took: its body and id table are sized once.
  let expectedBytes = 1 << 20;
  let expectedRows = 0;

  /**
   * Per partition, the last batch handed to an insert, until its offsets are
   * committed. While its insert runs, the member reads and stages the
   * partition's next batch; that one is settled, and the one after it
   * delivered, only once this one is committed: commits stay in offset order,
   * and at most two batches of a partition are in flight.
   */
  const settling = new Map<number, Promise<void>>();
  // Only where a partition's next owner waits for `onPartitionsRevoked`: the
  // embedded log hands a partition over once it settled. A Kafka group
  // rebalances as soon as the member's handler returns, and another process
  // taking the partition could look its ids up before this insert landed; there
  // a batch is committed before the partition's next one is read.
  const pipelined = options.log.kind === 'embedded';
  /** Once the loader stops, batches delivered are left for the next run; their handler waits here. */
  let stopCalled!: () => void;
  const stopGate = new Promise<void>((resolve) => (stopCalled = resolve));
  let failLoader!: (error: unknown) => void;
  const failed = new Promise<never>((_, reject) => (failLoader = reject));
  failed.catch(() => {});

  async function handle(batch: RecordBatch, consumer: GroupConsumer) {
    const previous = settling.get(batch.partition);
    if (stopping) return leaveForNextRun(previous);
    let staged!: () => void;
    const submitted = new Promise<void>((resolve) => (staged = resolve));
    const work = loadBatch(batch, consumer, previous, staged);
    settling.set(batch.partition, work);
    work.then(
      () => {
        if (settling.get(batch.partition) === work) settling.delete(batch.partition);
      },
      // Seen by the partition's next batch, if one comes; the loader fails either way.
      (error: unknown) => failLoader(error),
    );
    if (!pipelined) return work;
    await Promise.race([submitted, work]);
    await previous;
  }

  /**
   * Reads the batch into a row pack, keeps its invalid records as dead
   * letters, hands the pack to an insert (`staged` is called then), and once
   * the previous batch of the partition is settled and the insert returned,
   * counts the outcome and commits.
   */
  async function loadBatch(batch: RecordBatch, consumer: GroupConsumer, previous: Promise<void> | undefined, staged: () => void): Promise<void> {
    const invalid: { record: LogRecord; errors: FieldError[] }[] = [];
    let duplicates = 0;
    let candidates: RowPack;
    // A batch's repeated ids are found by the pack, by their bytes.
    const throughToRow = (record: LogRecord, index: number) => {
      const result = options.toRow(record);
      if (!result.ok) invalid.push({ record, errors: result.errors });
      else if (!candidates.addUnique(index, record, result.id, result.time, result.row, result.coordinates === true)) duplicates++;
    };
    const inPlace = options.rowInPlace;
    let lastOffset = -1;
    if (batch.scan && inPlace) {
      // Values copied from where the log read them: no record object, no parse.
      // A batch that can be released is, once scanned: a refused row is read again from the log.
      candidates = new RowPack(batch.partition, batch.release ? null : batch, expectedBytes, expectedRows);
      const coordinates = { partition: batch.partition, offset: 0, timestamp: 0 };
      const peek: RowInPlace = { idStart: 0, idEnd: 0, time: NaN, coordinates: false };
      const visit: ValueVisitor = (buf, start, end, index, offset, timestamp, headers) => {
        lastOffset = offset;
        if (!inPlace(buf, start, end, headers, peek)) return throughToRow(batch.records[index], index);
        coordinates.offset = offset;
        coordinates.timestamp = timestamp;
        if (!candidates.addBytesUnique(index, coordinates, peek.idStart, peek.idEnd, peek.time, buf, start, end, peek.coordinates)) duplicates++;
      };
      // In slices: an insert that returns meanwhile has the next one started
      // within a slice's time, not after the whole batch's (tens of ms in which
      // the warehouse would sit idle).
      for (let from = 0; from < batch.scan(visit, from, from + SCAN_SLICE); from += SCAN_SLICE) await nextTurn();
      batch.release?.();
    } else {
      let bytes = 0;
      for (const record of batch.records) bytes += record.value.length;
      candidates = new RowPack(batch.partition, batch, bytes + 100 * batch.records.length);
      batch.records.forEach(throughToRow);
      lastOffset = batch.records.at(-1)?.offset ?? -1;
    }
    if (lastOffset < 0) {
      staged();
      return previous;
    }
    expectedBytes = Math.max(64 * 1024, candidates.byteLength + (candidates.byteLength >> 3));
    expectedRows = candidates.length + (candidates.length >> 3);
    // Kept before anything is committed, so a crash cannot lose them.
    await deadLetterAll(invalid);
    // The partition's previous batch may not have landed yet (it gathers for
    // the same insert, or its insert runs beside this one's): an event re-sent
    // across the two is kept once (the table lookup would see neither).
    // Checked and submitted without an await between, so no earlier batch lands unseen.
    for (const earlier of combiner.unlanded(batch.partition)) {
      const fresh = candidates.withoutIdsOf(earlier);
      duplicates += candidates.length - fresh.length;
      candidates = fresh;
    }
    // Worked out now, while the previous insert runs, not when this one is about to start.
    candidates.timeWindows();
    const outcome = candidates.length > 0 ? combiner.submit(batch.partition, candidates) : null;
    // Awaited below unless the previous batch failed; then this one is delivered again.
    outcome?.catch(() => {});
    staged();
    // Commits go in offset order.
    await previous;
    if (outcome) {
      const { refused, dropped } = await outcome;
      await deadLetterAll(refused.map(({ record, reason }) => ({ record, errors: [{ field: '$', reason: `the warehouse refused the row: ${reason}` }] })));
      duplicates += dropped.size;
      const written = candidates.length - refused.length - dropped.size;
      stats.written += written;
      processorEventsWritten.inc(labels, written);
    }
    stats.duplicates += duplicates;
    processorDuplicatesDropped.inc(labels, duplicates);
    stats.batches++;
    processorBatches.inc(labels);
    try {
      await consumer.commit(batch.partition, lastOffset + 1, null);
    } catch (error) {
      // The partition was taken from this member while the batch was written
      // (a rebalance): it goes to whoever holds it next, from its last commit,
      // and the rows written here are dropped there as ids already present.
      if (!isContinuityError(error, 'CONT_ERR_LOG_NOT_ASSIGNED')) throw error;
    }
  }

  /** A batch delivered after `stop`: not written, not committed; it waits for the member to leave. */
  async function leaveForNextRun(previous: Promise<void> | undefined) {
    await previous;
    await stopGate;
  }

  // Several members of the group in this process: while one member's insert
  // runs inside ClickHouse, another reads and prepares its next batch.
  // They join at once: on Kafka every join rebalances the group, so members
  // joining one after another would cost a rebalance each.
  const joined = await Promise.allSettled(
    Array.from({ length: memberCount }, () =>
      options.log.subscribe({
        groupId: options.groupId,
        maxBatchRecords: memberBatch,
        minBatchRecords: Math.ceil(memberBatch / 2),
        maxBatchWaitMs: options.maxBatchWaitMs ?? 500,
        eachBatch: handle,
        // The partition's next owner starts once the inserts of what this member staged have landed.
        onPartitionsRevoked: (partitions) => Promise.allSettled(partitions.map((p) => settling.get(p))).then(() => {}),
      }),
    ),
  );
  const members = joined.flatMap((j) => (j.status === 'fulfilled' ? [j.value] : []));
  const refused = joined.find((j) => j.status === 'rejected');
  if (refused) {
    await Promise.allSettled(members.map((m) => m.stop()));
    throw refused.reason;
  }
  const subscription = combine(members, failed);
  subscription.done.catch((error) => {
    if (!stopping) (options.onError ?? ((e) => process.stderr.write(`continuity: ${name} loader stopped: ${(e as Error).message}\n`)))(error);
  });

  return {
    stats,
    subscription,
    async stop() {
      stopping = true;
      // What is in flight is inserted and committed while the partitions are still held.
      await Promise.allSettled(settling.values());
      stopCalled();
      await subscription.stop();
      await combiner.discarded();
    },
  };
}

/** Records scanned between two turns of the event loop: a few milliseconds' work. */
const SCAN_SLICE = 4096;

/** Lets timers and I/O callbacks that are due run before going on. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The rows of a pack whose ids are not in `ids`. */
function withoutIds(pack: RowPack, ids: Set<string>): RowPack {
  if (ids.size === 0) return pack;
  const kept: number[] = [];
  for (let i = 0; i < pack.length; i++) if (!ids.has(pack.id(i))) kept.push(i);
  return kept.length === pack.length ? pack : pack.pick(kept);
}

/** The members of one loader seen as one subscription: it fails when any member fails. */

function combine(members: Subscription[], failed: Promise<never>): Subscription {
  const done = new Promise<void>((resolve, reject) => {
    Promise.all(members.map((m) => m.done)).then(() => resolve(), reject);
    failed.catch(reject);
  });
  return {
    done,
    assignment: () => members.flatMap((m) => m.assignment()).sort((a, b) => a - b),
    async commit(partition, offset, metadata) {
      const owner = members.find((m) => m.assignment().includes(partition)) ?? members[0];
      await owner.commit(partition, offset, metadata);
    },
    async stop() {
      await Promise.all(members.map((m) => m.stop()));
    },
  };
}

/**
 * Resolves when the group has committed everything the log held, checked
 * twice. `pollMs` defaults to 20 ms on the embedded log (its offsets are in
 * this process's memory; a caller waits for the last insert, not the poll)
 * and 100 ms on Kafka (each poll asks the brokers).
 */
export async function waitUntilIdle(
  log: EventLog,
  groupId: string,
  options: { pollMs?: number; failed?: () => unknown; onProgress?: (lag: number) => void } = {},
): Promise<void> {
  const pollMs = options.pollMs ?? (log.kind === 'embedded' ? 20 : 100);
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
