/**
 * The behaviour every event-log adapter must have, as one node:test suite:
 *
 *   testEventLogContract('embedded', (topic, o) => …);
 *
 * Each test uses its own random topic, so the suite runs against a shared
 * broker. The factory must return a log on storage that survives `close()`:
 * calling it again with the same topic is a restart.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isContinuityError, type ErrorCode } from '../errors/registry.ts';
import type { AppendedRecord, AppendRecord, EventLog, EventLogFactory, LogRecord, RecordBatch, SubscribeOptions, Subscription } from './event-log.ts';
import { partitionForKey } from './partitioner.ts';

export interface EventLogContractOptions {
  /** Partitions of every test topic; at least 2. Default 4. */
  partitions?: number;
  /** Longest wait for consumption, a rebalance or a restart. Default 10 s. */
  timeoutMs?: number;
  /** How often waits look again. Default 10 ms. */
  pollMs?: number;
  /**
   * How a process of its own opens the same log: the adapter and its options
   * for `fixtures/contract-member.ts` (the topic is added). The kill test runs
   * a member there and SIGKILLs it mid-batch; without this option it is
   * skipped, saying so.
   */
  memberProcess?: (topic: string) => { adapter: 'embedded' | 'kafka'; options: Record<string, unknown> };
  /** Tests run at once (each has its own topic and groups). Default 1. */
  concurrency?: number;
}

const memberFixture = fileURLToPath(new URL('./fixtures/contract-member.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function rejectsWith(code: ErrorCode) {
  return (error: unknown) => {
    assert.ok(isContinuityError(error, code), `expected ${code}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return true;
  };
}

/** How one delivery of a record ended. */
type Outcome = 'committed' | 'refused' | 'failed' | 'kept';

/** `partition:offset`, the identity of a record in assertions. */
const at = (partition: number, offset: number) => `${partition}:${offset}`;

export function testEventLogContract(adapterName: string, factory: EventLogFactory, options: EventLogContractOptions = {}) {
  const partitions = options.partitions ?? 4;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pollMs = options.pollMs ?? 10;
  assert.ok(partitions >= 2, 'the contract needs at least 2 partitions');
  const testTimeout = { timeout: timeoutMs * 4 };

  const newTopic = () => `contract-${adapterName}-${randomUUID().slice(0, 8)}`;
  const newGroup = () => `group-${randomUUID().slice(0, 8)}`;

  async function open(topic: string): Promise<EventLog> {
    const log = await factory(topic, { partitions });
    await log.init();
    return log;
  }

  /** Opens a fresh topic, runs `body`, then stops what it subscribed and closes the log whatever happened. */
  async function withLog(body: (log: EventLog, subscriptions: Subscription[], topic: string) => Promise<void>) {
    const topic = newTopic();
    const log = await open(topic);
    const subscriptions: Subscription[] = [];
    try {
      await body(log, subscriptions, topic);
    } finally {
      await Promise.allSettled(subscriptions.map((s) => s.stop()));
      await log.close();
    }
  }

  async function waitFor(what: string, condition: () => boolean | Promise<boolean>) {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(pollMs);
    }
  }

  /** Appends `perPartition` records to every partition (explicit partitions), tagged for recognition. */
  async function appendSpread(log: EventLog, perPartition: number, tag: string): Promise<AppendedRecord[]> {
    const records: AppendRecord[] = [];
    for (let i = 0; i < perPartition; i++) {
      for (let p = 0; p < partitions; p++) records.push({ key: `${tag}-p${p}-${i}`, value: `${tag}:${p}:${i}`, partition: p });
    }
    return log.append(records);
  }

  async function readAll(log: EventLog, partition: number): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    const end = (await log.endOffsets())[partition];
    while (out.length < end) {
      const records = await log.read(partition, out.length, 1000);
      assert.ok(records.length > 0, `read(${partition}, ${out.length}) returned nothing before the end offset ${end}`);
      out.push(...records);
    }
    return out;
  }

  async function allCommitted(log: EventLog, groupId: string): Promise<boolean> {
    const [ends, committed] = await Promise.all([log.endOffsets(), log.committedOffsets(groupId)]);
    return committed.every((c) => c.offset === ends[c.partition]);
  }

  /**
   * A group member that records what it was given. Deliveries go to `seen`
   * (shared between members of one test) so duplicates across members show up;
   * two members holding one partition at the same time is recorded as an overlap.
   *
   * A commit refused with CONT_ERR_LOG_NOT_ASSIGNED (the group rebalanced while
   * the batch was processed, as a Kafka coordinator may answer) is not an
   * error: the member carries on, as the warehouse loader does, and the batch
   * goes again to whoever holds the partition next. `outcomes` keeps, per
   * record, how each delivery ended, so the tests can hold every adapter to the
   * same exact rule: each record committed exactly once, by its last delivery,
   * and delivered again only after a delivery that did not commit it.
   */
  function tracker() {
    const seen = new Map<string, string[]>();
    const outcomes = new Map<string, Outcome[]>();
    const refused: string[] = [];
    const inFlight = new Map<number, string>();
    const overlaps: string[] = [];
    const settle = (records: LogRecord[], outcome: Outcome) => {
      for (const r of records) {
        const list = outcomes.get(at(r.partition, r.offset)) ?? [];
        list.push(outcome);
        outcomes.set(at(r.partition, r.offset), list);
      }
    };
    function member(
      name: string,
      groupId: string,
      extra: Partial<SubscribeOptions> & { commit?: (batch: RecordBatch, n: number) => boolean; slowMs?: number; failOnBatch?: number } = {},
    ) {
      const delivered: LogRecord[] = [];
      const committed: LogRecord[] = [];
      const refusedHere: LogRecord[] = [];
      const revoked: number[][] = [];
      const assigned: number[][] = [];
      let batches = 0;
      const subscribe: SubscribeOptions = {
        groupId,
        maxBatchRecords: extra.maxBatchRecords ?? 5,
        onPartitionsAssigned: (p) => void assigned.push([...p].sort((a, b) => a - b)),
        onPartitionsRevoked: (p) => void revoked.push([...p].sort((a, b) => a - b)),
        eachBatch: async (batch, consumer) => {
          const other = inFlight.get(batch.partition);
          if (other !== undefined) overlaps.push(`partition ${batch.partition} given to ${name} while ${other} held a batch of it`);
          inFlight.set(batch.partition, name);
          try {
            batches++;
            for (const r of batch.records) {
              delivered.push(r);
              const who = seen.get(at(r.partition, r.offset)) ?? [];
              who.push(name);
              seen.set(at(r.partition, r.offset), who);
            }
            if (extra.slowMs) await sleep(extra.slowMs);
            if (extra.failOnBatch === batches) {
              settle(batch.records, 'failed');
              throw new Error(`${name} failed in batch ${batches}`);
            }
            if (extra.commit ? extra.commit(batch, batches) : true) {
              const last = batch.records[batch.records.length - 1];
              // Recorded before the commit resolves: a test that sees the
              // commit in the log must also see it here.
              const before = committed.length;
              committed.push(...batch.records);
              settle(batch.records, 'committed');
              try {
                await consumer.commit(batch.partition, last.offset + 1, `through ${last.offset}`);
              } catch (error) {
                committed.splice(before, batch.records.length);
                for (const r of batch.records) t.outcomes.get(at(r.partition, r.offset))!.pop();
                if (!isContinuityError(error, 'CONT_ERR_LOG_NOT_ASSIGNED')) {
                  settle(batch.records, 'failed');
                  throw error;
                }
                refusedHere.push(...batch.records);
                refused.push(...batch.records.map((r) => at(r.partition, r.offset)));
                settle(batch.records, 'refused');
              }
            } else settle(batch.records, 'kept');
          } finally {
            inFlight.delete(batch.partition);
          }
        },
      };
      return { name, subscribe, delivered, committed, refused: refusedHere, revoked, assigned, batches: () => batches };
    }
    const t = { seen, outcomes, refused, overlaps, member };
    return t;
  }

  /**
   * Every record of `expected` committed exactly once, by its last delivery;
   * any earlier delivery of it ended without a commit (refused, failed or not
   * committed on purpose). No other record was delivered.
   */
  function assertCommittedOnceEach(t: ReturnType<typeof tracker>, expected: string[]) {
    assert.deepEqual([...t.outcomes.keys()].sort(), [...expected].sort(), 'the records delivered are exactly those expected');
    const wrong = [...t.outcomes.entries()].filter(([, list]) => list.filter((o) => o === 'committed').length !== 1 || list[list.length - 1] !== 'committed');
    assert.deepEqual(wrong, [], 'each record is committed once, by its last delivery');
  }

  const keys = (records: LogRecord[]) => records.map((r) => at(r.partition, r.offset)).sort();

  describe(`event log contract: ${adapterName}`, { concurrency: options.concurrency ?? 1 }, () => {
    it('appends and reads back each partition in order, with key, value, headers and timestamp', testTimeout, async () => {
      await withLog(async (log) => {
        const before = Date.now();
        const first = await log.append([
          { key: 'sgcc:310000', value: 'v0', partition: 0, headers: { 'content-type': 'application/json', trace: 't-1' } },
          { key: 'csg:440300', value: Buffer.from([0, 1, 2, 254, 255]), partition: 1 },
          { key: 'cr-gas:420100', value: '欠费不停电', partition: 0 },
        ]);
        assert.deepEqual(first, [
          { partition: 0, offset: 0 },
          { partition: 1, offset: 0 },
          { partition: 0, offset: 1 },
        ]);
        const second = await log.append([
          { key: 'k', value: 'v3', partition: 1 },
          { key: 'k', value: 'v4', partition: 0 },
          { key: 'k', value: 'v5', partition: 0 },
        ]);
        assert.deepEqual(second, [
          { partition: 1, offset: 1 },
          { partition: 0, offset: 2 },
          { partition: 0, offset: 3 },
        ]);
        const after = Date.now();

        const p0 = await log.read(0, 0, 100);
        assert.deepEqual(
          p0.map((r) => [r.partition, r.offset, r.key, r.value.toString('utf8'), r.headers]),
          [
            [0, 0, 'sgcc:310000', 'v0', { 'content-type': 'application/json', trace: 't-1' }],
            [0, 1, 'cr-gas:420100', '欠费不停电', {}],
            [0, 2, 'k', 'v4', {}],
            [0, 3, 'k', 'v5', {}],
          ],
        );
        const p1 = await log.read(1, 0, 100);
        assert.deepEqual(
          p1.map((r) => [r.offset, r.key, [...r.value]]),
          [
            [0, 'csg:440300', [0, 1, 2, 254, 255]],
            [1, 'k', [...Buffer.from('v3')]],
          ],
        );
        for (const r of [...p0, ...p1]) {
          assert.ok(Buffer.isBuffer(r.value));
          assert.ok(r.timestamp >= before && r.timestamp <= after, `timestamp ${r.timestamp} outside ${before}..${after}`);
        }
        assert.deepEqual(
          (await log.read(0, 1, 2)).map((r) => r.offset),
          [1, 2],
        );
        assert.deepEqual(await log.read(0, 4, 10), []);
        for (let p = 2; p < partitions; p++) assert.deepEqual(await log.read(p, 0, 10), []);
        await assert.rejects(log.read(0, 5, 10), rejectsWith('CONT_ERR_LOG_OFFSET_OUT_OF_RANGE'));
      });
    });

    it('puts each key on the partition partitionForKey names and keeps per-key order', testTimeout, async () => {
      await withLog(async (log) => {
        const orgs = ['sgcc', 'sgcc-sh', 'csg', 'csg-gd', 'csg-sz', 'china-telecom', 'china-unicom', 'china-mobile', 'cr-gas'];
        const regions = ['310000', '420100', '440300', '110000', '420000'];
        const records: AppendRecord[] = [];
        for (let i = 0; i < 180; i++) records.push({ key: `${orgs[i % orgs.length]}:${regions[i % regions.length]}`, value: `event-${i}` });
        const placed = [...(await log.append(records.slice(0, 90))), ...(await log.append(records.slice(90)))];
        const expected = Array.from({ length: partitions }, () => [] as string[]);
        placed.forEach((where, i) => {
          assert.equal(where.partition, partitionForKey(records[i].key, partitions), `partition of ${records[i].key}`);
          assert.equal(where.offset, expected[where.partition].length, `offset of record ${i}`);
          expected[where.partition].push(`${records[i].key}=event-${i}`);
        });
        assert.ok(expected.filter((e) => e.length > 0).length >= 2, 'the keys should spread over several partitions');
        for (let p = 0; p < partitions; p++) {
          assert.deepEqual(
            (await readAll(log, p)).map((r) => `${r.key}=${r.value}`),
            expected[p],
          );
        }
      });
    });

    it('reports partition count, start and end offsets', testTimeout, async () => {
      await withLog(async (log) => {
        assert.equal(await log.partitionCount(), partitions);
        assert.deepEqual(await log.endOffsets(), new Array(partitions).fill(0));
        assert.deepEqual(await log.startOffsets(), new Array(partitions).fill(0));
        const records: AppendRecord[] = [];
        for (let p = 0; p < partitions; p++) for (let i = 0; i <= p; i++) records.push({ key: `k${p}`, value: `${p}/${i}`, partition: p });
        await log.append(records);
        assert.deepEqual(
          await log.endOffsets(),
          Array.from({ length: partitions }, (_, p) => p + 1),
        );
        assert.deepEqual(await log.startOffsets(), new Array(partitions).fill(0));
        await log.append([{ key: 'x', value: 'y', partition: 1 }]);
        assert.deepEqual(
          await log.endOffsets(),
          Array.from({ length: partitions }, (_, p) => p + 1 + (p === 1 ? 1 : 0)),
        );
      });
    });

    it('round-trips committed offsets with their metadata', testTimeout, async () => {
      await withLog(async (log, subs) => {
        const groupId = newGroup();
        assert.deepEqual(
          await log.committedOffsets(groupId),
          Array.from({ length: partitions }, (_, partition) => ({ partition, offset: 0, metadata: null })),
        );
        await appendSpread(log, 7, 'meta');
        const metadata = (last: number) => `{"through":${last},"note":"批次 ${last}"}`;
        const sub = await log.subscribe({
          groupId,
          maxBatchRecords: 3,
          eachBatch: async (batch, consumer) => {
            const last = batch.records[batch.records.length - 1].offset;
            await consumer.commit(batch.partition, last + 1, metadata(last));
          },
        });
        subs.push(sub);
        await waitFor('every partition committed', () => allCommitted(log, groupId));
        assert.deepEqual(
          await log.committedOffsets(groupId),
          Array.from({ length: partitions }, (_, partition) => ({ partition, offset: 7, metadata: metadata(6) })),
        );
        // Committing an earlier offset is allowed: it is how a member rewinds.
        await sub.commit(0, 2, 'rewound');
        assert.deepEqual((await log.committedOffsets(groupId))[0], { partition: 0, offset: 2, metadata: 'rewound' });
        await sub.stop();
        assert.deepEqual(
          await log.committedOffsets(groupId),
          Array.from({ length: partitions }, (_, partition) => (partition === 0 ? { partition, offset: 2, metadata: 'rewound' } : { partition, offset: 7, metadata: metadata(6) })),
        );
      });
    });

    it('resumes from the committed offsets after a restart, with exact totals', testTimeout, async () => {
      const topic = newTopic();
      const groupId = newGroup();
      const first = await open(topic);
      const t = tracker();
      let sessionOne!: ReturnType<typeof t.member>;
      let committedBefore!: Awaited<ReturnType<EventLog['committedOffsets']>>;
      try {
        await appendSpread(first, 10, 'before');
        sessionOne = t.member('one', groupId, { maxBatchRecords: 3 });
        const subscribing: Promise<Subscription> = first.subscribe({
          ...sessionOne.subscribe,
          eachBatch: async (batch, consumer) => {
            await sessionOne.subscribe.eachBatch(batch, consumer);
            if (sessionOne.delivered.length >= 16) void subscribing.then((s) => s.stop());
          },
        });
        const sub = await subscribing;
        await waitFor('the first session to process 16 records', () => sessionOne.delivered.length >= 16);
        await sub.stop();
        committedBefore = await first.committedOffsets(groupId);
      } finally {
        await first.close();
      }
      // Everything delivered was committed before the next batch: the first
      // session's records are exactly those below the committed offsets.
      assert.deepEqual(
        keys(sessionOne.delivered),
        committedBefore.flatMap((c) => Array.from({ length: c.offset }, (_, o) => at(c.partition, o))).sort(),
      );
      const processedBefore = committedBefore.reduce((sum, c) => sum + c.offset, 0);
      assert.equal(processedBefore, sessionOne.delivered.length);
      assert.ok(processedBefore < 10 * partitions, 'the first session must stop before the end');

      const second = await open(topic);
      try {
        assert.deepEqual(await second.committedOffsets(groupId), committedBefore);
        assert.deepEqual(await second.endOffsets(), new Array(partitions).fill(10));
        await appendSpread(second, 5, 'after');
        const sessionTwo = t.member('two', groupId, { maxBatchRecords: 4 });
        const sub = await second.subscribe(sessionTwo.subscribe);
        await waitFor('the second session to commit everything', () => allCommitted(second, groupId));
        await sub.stop();
        const expected = committedBefore.flatMap((c) => Array.from({ length: 15 - c.offset }, (_, i) => at(c.partition, c.offset + i))).sort();
        assert.deepEqual(keys(sessionTwo.delivered), expected);
        assert.equal(sessionOne.delivered.length + sessionTwo.delivered.length, 15 * partitions);
        assert.deepEqual([...t.seen.values()].filter((who) => who.length !== 1), []);
        assert.equal(t.seen.size, 15 * partitions);
      } finally {
        await second.close();
      }
    });

    it('splits the partitions between two members; together they consume every record exactly once', testTimeout, async () => {
      await withLog(async (log, subs) => {
        const groupId = newGroup();
        const t = tracker();
        await appendSpread(log, 20, 'early');
        const a = t.member('a', groupId, { slowMs: 2 });
        const b = t.member('b', groupId, { slowMs: 2 });
        const subA = await log.subscribe(a.subscribe);
        subs.push(subA);
        await waitFor('member a to start consuming', () => a.delivered.length > 0);
        const subB = await log.subscribe(b.subscribe);
        subs.push(subB);
        await waitFor('both members to hold partitions', () => subA.assignment().length > 0 && subB.assignment().length > 0);
        await waitFor('the assignment to cover every partition once', () => {
          const all = [...subA.assignment(), ...subB.assignment()].sort((x, y) => x - y);
          return all.length === partitions && all.every((p, i) => p === i);
        });
        const heldByA = subA.assignment();
        const heldByB = subB.assignment();
        await assert.rejects(subA.commit(heldByB[0], 0), rejectsWith('CONT_ERR_LOG_NOT_ASSIGNED'));
        await assert.rejects(subB.commit(heldByA[0], 0), rejectsWith('CONT_ERR_LOG_NOT_ASSIGNED'));

        const late = await appendSpread(log, 10, 'late');
        await waitFor('the group to commit everything', () => allCommitted(log, groupId));
        assert.deepEqual(subA.assignment(), heldByA, 'no rebalance without a member joining or leaving');
        assert.deepEqual(subB.assignment(), heldByB);
        assert.deepEqual(t.overlaps, []);
        assert.equal(t.seen.size, 30 * partitions);
        assertCommittedOnceEach(t, Array.from({ length: partitions }, (_, p) => Array.from({ length: 30 }, (_, o) => at(p, o))).flat());
        // Only a batch whose commit was refused in the rebalance goes out twice.
        assert.equal(a.delivered.length + b.delivered.length, 30 * partitions + t.refused.length);
        for (const r of late) {
          const owner = heldByA.includes(r.partition) ? 'a' : 'b';
          assert.deepEqual(t.seen.get(at(r.partition, r.offset)), [owner], `record ${at(r.partition, r.offset)} appended after the split`);
        }
        assert.deepEqual(
          await log.committedOffsets(groupId),
          Array.from({ length: partitions }, (_, partition) => ({ partition, offset: 30, metadata: 'through 29' })),
        );
      });
    });

    it('redelivers the batch of a member whose eachBatch failed, without committing it', testTimeout, async () => {
      await withLog(async (log, subs) => {
        const groupId = newGroup();
        const t = tracker();
        await appendSpread(log, 12, 'fail');
        const a = t.member('a', groupId, { maxBatchRecords: 4, failOnBatch: 3 });
        const subA = await log.subscribe(a.subscribe);
        subs.push(subA);
        await assert.rejects(subA.done, /a failed in batch 3/);
        assert.deepEqual(subA.assignment(), []);
        assert.equal(a.batches(), 3);
        const failedBatch = a.delivered.slice(a.committed.length);
        assert.ok(failedBatch.length > 0 && failedBatch.every((r) => r.partition === failedBatch[0].partition));
        const committed = await log.committedOffsets(groupId);
        assert.equal(
          committed.reduce((sum, c) => sum + c.offset, 0),
          a.committed.length,
          'only the two successful batches are committed',
        );
        assert.equal(committed[failedBatch[0].partition].offset, failedBatch[0].offset);

        const b = t.member('b', groupId, { maxBatchRecords: 4 });
        const subB = await log.subscribe(b.subscribe);
        subs.push(subB);
        await waitFor('the next member to commit everything', () => allCommitted(log, groupId));
        const everything = Array.from({ length: partitions }, (_, p) => Array.from({ length: 12 }, (_, o) => at(p, o))).flat();
        const committedByA = new Set(keys(a.committed));
        assert.deepEqual(keys(b.delivered), everything.filter((k) => !committedByA.has(k)).sort());
        for (const r of failedBatch) assert.deepEqual(t.seen.get(at(r.partition, r.offset)), ['a', 'b']);
        assert.equal(a.committed.length + b.delivered.length, 12 * partitions);
        assertCommittedOnceEach(t, everything);
      });
    });

    it('gives what a stopped member processed but did not commit to the member that takes over', testTimeout, async () => {
      await withLog(async (log, subs) => {
        const groupId = newGroup();
        const t = tracker();
        await appendSpread(log, 5, 'stop-early');
        // b joins first and commits every batch; a joins second and never commits.
        const b = t.member('b', groupId, { maxBatchRecords: 3, slowMs: 1 });
        const a = t.member('a', groupId, { maxBatchRecords: 3, slowMs: 2, commit: () => false });
        const subB = await log.subscribe(b.subscribe);
        subs.push(subB);
        const subA = await log.subscribe(a.subscribe);
        subs.push(subA);
        await waitFor('the two members to split the partitions', () => subA.assignment().length > 0 && subB.assignment().length > 0);
        const heldByA = subA.assignment();
        const heldByB = subB.assignment();
        await appendSpread(log, 10, 'stop-late');
        await waitFor('member b to commit its own partitions and a to process some of its own', async () => {
          const committed = await log.committedOffsets(groupId);
          return heldByB.every((p) => committed[p].offset === 15) && a.delivered.length > 0;
        });
        const committedBeforeStop = await log.committedOffsets(groupId);
        for (const p of heldByA) assert.ok(committedBeforeStop[p].offset <= 5, `partition ${p}: only b's commits from before the split`);
        await subA.stop();
        assert.deepEqual(subA.assignment(), []);
        assert.deepEqual([...new Set(a.revoked.flat())].sort((x, y) => x - y), heldByA, 'a is told it lost every partition it held');

        await waitFor('member b to take over and commit everything', () => allCommitted(log, groupId));
        assert.deepEqual(subB.assignment(), Array.from({ length: partitions }, (_, p) => p));
        assert.deepEqual([...new Set(b.assigned.flat())].sort((x, y) => x - y), Array.from({ length: partitions }, (_, p) => p));
        assert.deepEqual(t.overlaps, []);
        const everything = Array.from({ length: partitions }, (_, p) => Array.from({ length: 15 }, (_, o) => at(p, o))).flat().sort();
        assert.deepEqual(keys(b.committed), everything, 'b commits every record once');
        assertCommittedOnceEach(t, everything);
        assert.ok(a.delivered.length > 0);
        for (const r of a.delivered) {
          assert.ok(heldByA.includes(r.partition), `a only got partitions it held (got ${r.partition})`);
          const who = t.seen.get(at(r.partition, r.offset))!;
          assert.deepEqual([who.includes('a'), who[who.length - 1]], [true, 'b'], `record ${at(r.partition, r.offset)} goes to b again`);
        }
        // Delivered twice: what a processed, and a batch of b's whose commit a rebalance refused.
        assert.deepEqual(a.refused, [], 'a never commits');
        assert.equal(b.delivered.length, 15 * partitions + b.refused.length);
        assert.equal(
          [...t.seen.values()].reduce((n, who) => n + who.length, 0),
          15 * partitions + a.delivered.length + b.refused.length,
        );
      });
    });

    it(
      'catches up with exact totals after a member is killed with SIGKILL mid-batch',
      { ...testTimeout, skip: options.memberProcess ? false : `the ${adapterName} spec gives no memberProcess option (how another process opens the same log)` },
      async () => {
        const topic = newTopic();
        const groupId = newGroup();
        const first = await open(topic);
        try {
          await appendSpread(first, 12, 'kill');
        } finally {
          // Closed before the member starts: an adapter may admit one process at a time (the embedded log's writer lock).
          await first.close();
        }
        const { adapter, options: adapterOptions } = options.memberProcess!(topic);
        const child = spawn(process.execPath, ['--import', 'tsx', memberFixture, adapter, JSON.stringify(adapterOptions), topic, groupId, '3', '4'], {
          cwd: repoRoot,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.stdout.on('data', (d: Buffer) => {
          stdout += d;
          if (stdout.includes('\nhanging\n') && child.exitCode === null && !child.killed) child.kill('SIGKILL');
        });
        const killTimer = setTimeout(() => child.kill('SIGKILL'), timeoutMs * 2);
        const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
        clearTimeout(killTimer);
        assert.ok(stdout.includes('\nhanging\n'), `the member process never got to its fourth batch (exit ${code ?? signal}): ${stderr.slice(-2000)}`);
        assert.equal(signal, 'SIGKILL');
        const lines = stdout.split('\n');
        const listed = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length).split(','));
        const deliveredInChild = listed('delivered ');
        const committedInChild = listed('committed ').flat();
        const inFlight = deliveredInChild[deliveredInChild.length - 1];
        assert.equal(listed('committed ').length, 3, 'three batches committed before the kill');
        assert.deepEqual([...deliveredInChild.flat()].sort(), [...committedInChild, ...inFlight].sort(), 'every delivery but the last was committed');

        const second = await open(topic);
        try {
          const expectedCommitted = Array.from({ length: partitions }, (_, p) =>
            committedInChild.filter((k) => k.startsWith(`${p}:`)).reduce((max, k) => Math.max(max, Number(k.split(':')[1]) + 1), 0),
          );
          assert.deepEqual(
            (await second.committedOffsets(groupId)).map((c) => c.offset),
            expectedCommitted,
            'what the killed member committed, and not the batch it was in',
          );
          const t = tracker();
          const survivor = t.member('survivor', groupId, { maxBatchRecords: 5 });
          const sub = await second.subscribe(survivor.subscribe);
          await waitFor('the group to catch up', () => allCommitted(second, groupId));
          await sub.stop();
          const everything = Array.from({ length: partitions }, (_, p) => Array.from({ length: 12 }, (_, o) => at(p, o))).flat();
          const doneBefore = new Set(committedInChild);
          assertCommittedOnceEach(
            t,
            everything.filter((k) => !doneBefore.has(k)),
          );
          for (const k of inFlight) assert.ok(t.seen.has(k), `record ${k}, in flight at the kill, is processed again`);
          assert.equal(committedInChild.length + survivor.committed.length, 12 * partitions);
        } finally {
          await second.close();
        }
      },
    );

    it('resets committed offsets to the earliest, the latest, a timestamp or one offset', testTimeout, async () => {
      await withLog(async (log, subs) => {
        const groupId = newGroup();
        await appendSpread(log, 2, 'old');
        const oldRecords = (await Promise.all(Array.from({ length: partitions }, (_, p) => readAll(log, p)))).flat();
        const cut = Math.max(...oldRecords.map((r) => r.timestamp)) + 1;
        while (Date.now() <= cut) await sleep(1);
        await appendSpread(log, 3, 'new');
        const every = (offset: number) => Array.from({ length: partitions }, (_, partition) => offset);
        const offsetsOf = async () => (await log.committedOffsets(groupId)).map((c) => c.offset);

        const latest = await log.resetOffsets(groupId, { to: 'latest' });
        assert.deepEqual(
          latest.map((c) => [c.partition, c.offset]),
          every(5).map((o, p) => [p, o]),
        );
        assert.deepEqual(await offsetsOf(), every(5));
        assert.deepEqual((await log.resetOffsets(groupId, { to: 'earliest' })).map((c) => c.offset), every(0));
        assert.deepEqual(await offsetsOf(), every(0));
        assert.deepEqual((await log.resetOffsets(groupId, { to: 'timestamp', timestamp: cut })).map((c) => c.offset), every(2));
        assert.deepEqual(await offsetsOf(), every(2));

        const t = tracker();
        const m = t.member('m', groupId);
        const sub = await log.subscribe(m.subscribe);
        subs.push(sub);
        await waitFor('the member to consume from the reset position', () => allCommitted(log, groupId));
        await sub.stop();
        assert.deepEqual(
          m.delivered.map((r) => r.value.toString()).sort(),
          Array.from({ length: partitions }, (_, p) => [0, 1, 2].map((i) => `new:${p}:${i}`)).flat().sort(),
        );

        const one = await log.resetOffsets(groupId, { to: 'offset', partition: 1, offset: 3 });
        assert.deepEqual(
          one.map((c) => c.offset),
          every(5).map((o, p) => (p === 1 ? 3 : o)),
        );
        assert.deepEqual((await log.resetOffsets(groupId, { to: 'timestamp', timestamp: 0 })).map((c) => c.offset), every(0));
        assert.deepEqual((await log.resetOffsets(groupId, { to: 'timestamp', timestamp: Date.now() + 3_600_000 })).map((c) => c.offset), every(5));
        await assert.rejects(log.resetOffsets(groupId, { to: 'offset', partition: 0, offset: 6 }), rejectsWith('CONT_ERR_LOG_OFFSET_OUT_OF_RANGE'));
        assert.deepEqual(await offsetsOf(), every(5));
      });
    });
  });
}
