/** The generic loader against the real embedded log and chDB, each test with its own table. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { getEmbeddedEventLog } from '../event-log/embedded/index.ts';
import type { EventLog, LogRecord } from '../event-log/event-log.ts';
import type { FieldError } from '../schemas/index.ts';
import { randomName, tempDir } from '../test-support/temp.ts';
import { getWarehouse, type Warehouse } from '../warehouse/index.ts';
import type { StagedInsert } from '../warehouse/warehouse.ts';
import { eventually } from '../test-support/safety.ts';
import { startLoader, waitUntilIdle, type Loader, type LoaderOptions } from './loader.ts';

describe('loader', () => {
  const tmp = tempDir();
  let warehouse: Warehouse;
  let log: EventLog;

  before(async () => {
    warehouse = await getWarehouse({ path: join(tmp.dir, 'warehouse') });
    log = getEmbeddedEventLog({ dir: join(tmp.dir, 'log'), topic: randomName('topic'), partitions: 2, fsync: false });
    await log.init();
  });
  after(async () => {
    await log.close();
    await warehouse.close();
    tmp.cleanup();
  });

  const toRow = (record: LogRecord) => {
    const text = record.value.toString();
    if (text.startsWith('invalid')) return { ok: false as const, errors: [{ field: 'n', reason: 'not a row' }] };
    const [id, n] = text.split(',');
    // A value ClickHouse refuses for UInt32 is passed through on purpose: the warehouse is the judge.
    return { ok: true as const, id, row: `{"id":"${id}","n":${n},"log_partition":${record.partition}}` };
  };

  /** A loader over `own` that takes records only as `rowInPlace` reads them: `toRow` refuses every one. */
  function inPlaceLoader(own: EventLog, group: string, table: string, options: Omit<LoaderOptions, 'name' | 'log' | 'warehouse' | 'groupId' | 'table' | 'toRow'>) {
    const notARow = (record: LogRecord) => ({ ok: false as const, errors: [{ field: '$', reason: `not a row: ${record.value}` }] });
    return startLoader({ name: 'test', log: own, warehouse, groupId: group, table, toRow: notARow, ...options });
  }

  it('dead-letters the rows the warehouse refuses and the records that are no rows, and loads the rest once', async () => {
    const table = randomName('loader');
    await warehouse.command(`CREATE TABLE ${table} (id String, n UInt32, log_partition UInt32) ENGINE = MergeTree ORDER BY id`);
    const group = randomName('group');
    const values = ['a,1', 'b,2', 'c,"not a number"', 'invalid record', 'd,4', 'a,1', 'e,5'];
    await log.append(values.map((value) => ({ key: 'k', value, partition: 0 })));
    const letters: { offset: number; errors: FieldError[] }[] = [];
    const loader = await startLoader({
      name: 'test',
      log,
      warehouse,
      groupId: group,
      table,
      toRow,
      concurrency: 1,
      async deadLetter(items) {
        letters.push(...items.map((i) => ({ offset: i.record.offset, errors: i.errors })));
      },
    });
    await waitUntilIdle(log, group);
    await loader.stop();
    const rows = await warehouse.rows<{ id: string; n: number }>(`SELECT id, n FROM ${table} ORDER BY id`);
    assert.deepEqual(rows, [
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
      { id: 'd', n: 4 },
      { id: 'e', n: 5 },
    ]);
    assert.deepEqual(
      letters.map((l) => [l.offset, l.errors.map((e) => e.field)]),
      [
        [3, ['n']],
        [2, ['$']],
      ],
    );
    assert.match(letters[1].errors[0].reason, /^the warehouse refused the row: /);
    assert.deepEqual(loader.stats, { written: 4, duplicates: 1, deadLettered: 2, batches: 1 });
    const committed = await log.committedOffsets(group);
    assert.equal(committed.find((c) => c.partition === 0)!.offset, values.length);
  });

  it('copies values read in place into its inserts with their log coordinates; a refused row is read back from the log and dead-lettered', async () => {
    const table = randomName('loader');
    await warehouse.command(
      `CREATE TABLE ${table} (id String, n UInt32, t DateTime64(3, 'UTC'), ingested_at DateTime64(3, 'UTC'), log_partition UInt32, log_offset UInt64) ENGINE = MergeTree ORDER BY (log_partition, t, id)`,
    );
    const group = randomName('group');
    const own = getEmbeddedEventLog({ dir: join(tmp.dir, 'log'), topic: randomName('topic'), partitions: 2, fsync: false });
    const row = (id: string, n: unknown) => `{"id":"${id}","n":${JSON.stringify(n)},"t":"2024-05-01 00:00:0${id.length}.000"}`;
    const values = [row('a', 1), row('b', 2), row('c', 'not a number'), row('a', 1), 'not in place', row('dd', 4)];
    await own.append(values.map((value) => ({ key: 'k', value, partition: 1 })));
    const letters: { offset: number; raw: string; fields: string[] }[] = [];
    const peeked: string[] = [];
    const loader = await inPlaceLoader(own, group, table, {
      concurrency: 3,
      timeColumn: 't',
      rowInPlace(value, start, end, _headers, out) {
        const text = value.toString('utf8', start, end);
        if (!text.startsWith('{')) return false;
        peeked.push(text);
        const id: string = JSON.parse(text).id;
        out.idStart = start + Buffer.byteLength(text.slice(0, text.indexOf(`"${id}"`) + 1));
        out.idEnd = out.idStart + Buffer.byteLength(id);
        out.time = Date.parse('2024-05-01T00:00:00Z') + id.length * 1000;
        out.coordinates = true;
        return true;
      },
      async deadLetter(items) {
        letters.push(...items.map((i) => ({ offset: i.record.offset, raw: i.record.value.toString(), fields: i.errors.map((e) => e.field) })));
      },
    });
    await waitUntilIdle(own, group);
    await loader.stop();
    assert.equal(peeked.length, 5);
    const rows = await warehouse.rows<{ id: string; n: number; log_partition: number; log_offset: number; ingested_ms: string }>(
      `SELECT id, n, log_partition, log_offset, toString(toUnixTimestamp64Milli(ingested_at)) AS ingested_ms FROM ${table} ORDER BY id`,
    );
    // ingested_at is the record's own timestamp, to the millisecond.
    const stamp = new Map((await own.read(1, 0, values.length)).map((r) => [r.offset, String(r.timestamp)]));
    assert.deepEqual(rows, [
      { id: 'a', n: 1, log_partition: 1, log_offset: 0, ingested_ms: stamp.get(0) },
      { id: 'b', n: 2, log_partition: 1, log_offset: 1, ingested_ms: stamp.get(1) },
      { id: 'dd', n: 4, log_partition: 1, log_offset: 5, ingested_ms: stamp.get(5) },
    ]);
    assert.deepEqual(
      letters.map((l) => [l.offset, l.raw, l.fields]),
      [
        [4, 'not in place', ['$']],
        [2, values[2], ['$']],
      ],
    );
    assert.deepEqual(loader.stats, { written: 3, duplicates: 1, deadLettered: 2, batches: 1 });
    await own.close();
  });

  it('scans a batch of many thousand records in slices: every row lands once, an id repeated in a later slice is dropped, no staging file is left', async () => {
    const table = randomName('loader');
    await warehouse.command(`CREATE TABLE ${table} (id String, n UInt32, ingested_at DateTime64(3, 'UTC'), log_partition UInt32, log_offset UInt64) ENGINE = MergeTree ORDER BY id`);
    const group = randomName('group');
    const own = getEmbeddedEventLog({ dir: join(tmp.dir, 'log'), topic: randomName('topic'), partitions: 1, fsync: false });
    // 10,000 records, a few slices' worth; the one at offset 9,000 re-sends offset 10's event.
    const values = Array.from({ length: 10_000 }, (_, i) => (i === 9_000 ? '{"id":"r10","n":10}' : `{"id":"r${i}","n":${i}}`));
    await own.append(values.map((value) => ({ key: 'k', value, partition: 0 })));
    const loader = await inPlaceLoader(own, group, table, {
      concurrency: 1,
      rowInPlace(value, start, _end, _headers, out) {
        out.idStart = start + '{"id":"'.length;
        out.idEnd = value.indexOf('"', out.idStart);
        out.time = NaN;
        out.coordinates = true;
        return true;
      },
    });
    await waitUntilIdle(own, group);
    await loader.stop();
    const [totals] = await warehouse.rows<{ rows: number; ids: number; n: number; r10: string }>(
      `SELECT count() AS rows, uniqExact(id) AS ids, sum(n) AS n, toString(groupArrayIf(log_offset, id = 'r10')) AS r10 FROM ${table}`,
    );
    assert.deepEqual(totals, { rows: 9_999, ids: 9_999, n: (9_999 * 10_000) / 2 - 9_000, r10: '[10]' });
    assert.deepEqual(loader.stats, { written: 9_999, duplicates: 1, deadLettered: 0, batches: 1 });
    assert.deepEqual(readdirSync(join(tmp.dir, 'warehouse', '_inserts')), []);
    await own.close();
  });

  /** The warehouse, its inserts held until `release` (what a slow insert looks like to the loader). */
  function heldInserts(inner: Warehouse) {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const staged: StagedInsert[] = [];
    const inserting = { started: 0 };
    const held: Warehouse = Object.create(inner, {
      stage: {
        value: async (format: string) => {
          const real = await inner.stage(format);
          const insert = async (...args: Parameters<StagedInsert['insert']>) => {
            inserting.started++;
            await gate;
            return real.insert(...args);
          };
          const wrapped: StagedInsert = Object.create(real, { insert: { value: insert } });
          staged.push(wrapped);
          return wrapped;
        },
      },
    });
    return { held, staged, inserting, release };
  }

  /** A table for `toRow`'s rows, and a log of its own holding `values` (the i-th in partition i % partitions). */
  async function tableAndLog(values: string[], partitions = 1) {
    const table = randomName('loader');
    await warehouse.command(`CREATE TABLE ${table} (id String, n UInt32, log_partition UInt32) ENGINE = MergeTree ORDER BY id`);
    const own = getEmbeddedEventLog({ dir: join(tmp.dir, 'log'), topic: randomName('topic'), partitions, fsync: false });
    await own.append(values.map((value, i) => ({ key: 'k', value, partition: i % partitions })));
    return { table, group: randomName('group'), own };
  }

  /**
   * A loader over `values` (one partition) whose inserts are held until the
   * check calls `release`; stopped and its log closed whatever the check does.
   * `kind` introduces the same log as another adapter: the loader decides by it.
   */
  async function withHeldInserts(
    values: string[],
    options: { concurrency: number; batchRecords: number; lingerMs?: number; parallelInserts?: number; kind?: string },
    check: (t: { table: string; group: string; own: EventLog; staged: StagedInsert[]; inserting: { started: number }; release(): void; loader: Loader }) => Promise<void>,
  ) {
    const { table, group, own } = await tableAndLog(values);
    const log = options.kind
      ? new Proxy(own, {
          get: (target, key) => {
            if (key === 'kind') return options.kind;
            const value = Reflect.get(target, key);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        })
      : own;
    const { held, staged, inserting, release } = heldInserts(warehouse);
    const { kind: _, ...sizes } = options;
    const loader = await startLoader({ name: 'test', log, warehouse: held, groupId: group, table, toRow, ...sizes });
    try {
      await check({ table, group, own, staged, inserting, release, loader });
    } finally {
      release();
      await loader.stop();
      await own.close();
    }
  }

  /** Lets the held inserts go; then every one of the `records` is written once, in two batches, and committed. */
  async function releaseAndExpectEveryRecord(t: { own: EventLog; group: string; release(): void; loader: Loader }, records: number) {
    t.release();
    await waitUntilIdle(t.own, t.group);
    assert.equal((await t.own.committedOffsets(t.group))[0].offset, records);
    assert.deepEqual(t.loader.stats, { written: records, duplicates: 0, deadLettered: 0, batches: 2 });
  }

  it("reads and stages a partition's next batch while the previous one's insert runs, and commits both in order", async () => {
    await withHeldInserts(Array.from({ length: 6 }, (_, i) => `r${i},${i}`), { concurrency: 1, batchRecords: 3 }, async ({ table, group, own, staged, release, loader }) => {
      // The first insert is held; the member has read the second batch and staged it for the next insert.
      await eventually('the second batch staged', () => staged.length === 2 && staged[1].size > 0, 5_000);
      assert.equal((await own.committedOffsets(group))[0].offset, 0, 'nothing committed before an insert returned');
      release();
      await waitUntilIdle(own, group);
      const [row] = await warehouse.rows<{ n: string }>(`SELECT count() AS n FROM ${table}`);
      assert.equal(Number(row.n), 6);
      assert.equal((await own.committedOffsets(group))[0].offset, 6);
      assert.deepEqual(loader.stats, { written: 6, duplicates: 0, deadLettered: 0, batches: 2 });
    });
  });

  it('on a Kafka log, commits a batch before it reads the partition\'s next one (another process may take the partition at any rebalance)', async () => {
    await withHeldInserts(Array.from({ length: 6 }, (_, i) => `r${i},${i}`), { concurrency: 1, batchRecords: 3, kind: 'kafka' }, async ({ group, own, staged, release, loader }) => {
      await eventually('the first batch staged', () => staged.length === 1 && staged[0].size > 0, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(staged.length, 1, 'the next batch is not read while the first insert is held');
      await releaseAndExpectEveryRecord({ own, group, release, loader }, 6);
    });
  });

  it('writes an event re-sent in the next batch of its partition once, the two batches gathering for one insert', async () => {
    // Batches of 2 (4 members share inserts of 4): `x` is in the first batch and re-sent in the second.
    await withHeldInserts(['x,1', 'a,2', 'x,1', 'b,3'], { concurrency: 4, batchRecords: 4, lingerMs: 1_000 }, async ({ table, group, own, staged, release, loader }) => {
      // The second batch was read while the first gathered (the insert lingers): both are staged for one insert.
      const unique = ['x,1', 'a,2', 'b,3'].reduce((n, v) => n + Buffer.byteLength(`${toRow({ value: Buffer.from(v), partition: 0 } as LogRecord).row}\n`), 0);
      await eventually('both batches staged, x once', () => staged.length === 1 && staged[0].size === unique, 5_000);
      release();
      await waitUntilIdle(own, group);
      const rows = await warehouse.rows<{ id: string; n: number }>(`SELECT id, n FROM ${table} ORDER BY id`);
      assert.deepEqual(rows, [
        { id: 'a', n: 2 },
        { id: 'b', n: 3 },
        { id: 'x', n: 1 },
      ]);
      assert.deepEqual(loader.stats, { written: 3, duplicates: 1, deadLettered: 0, batches: 2 });
    });
  });

  it("runs a partition's next insert beside the previous one, an event re-sent across the two dropped in memory (the table lookup sees neither)", async () => {
    const values = ['r0,0', 'x,1', 'r2,2', 'r3,3', 'x,1', 'r5,5'];
    await withHeldInserts(values, { concurrency: 1, batchRecords: 3 }, async ({ table, group, own, inserting, release, loader }) => {
      await eventually('both inserts started', () => inserting.started === 2, 5_000);
      assert.equal((await own.committedOffsets(group))[0].offset, 0, 'nothing committed before an insert returned');
      release();
      await waitUntilIdle(own, group);
      const rows = await warehouse.rows<{ id: string; copies: number }>(`SELECT id, toUInt32(count()) AS copies FROM ${table} GROUP BY id ORDER BY id`);
      assert.deepEqual(rows, ['r0', 'r2', 'r3', 'r5', 'x'].map((id) => ({ id, copies: 1 })));
      assert.deepEqual(loader.stats, { written: 5, duplicates: 1, deadLettered: 0, batches: 2 });
      assert.equal((await own.committedOffsets(group))[0].offset, 6);
    });
  });

  it('runs one insert at a time with parallelInserts 1: the next waits, staged, for the previous to return', async () => {
    await withHeldInserts(Array.from({ length: 6 }, (_, i) => `r${i},${i}`), { concurrency: 1, batchRecords: 3, parallelInserts: 1 }, async ({ group, own, staged, inserting, release, loader }) => {
      await eventually('the second batch staged', () => staged.length === 2 && staged[1].size > 0, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(inserting.started, 1, 'the second insert waits');
      await releaseAndExpectEveryRecord({ own, group, release, loader }, 6);
    });
  });

  it('on stop, commits every batch it wrote and writes none after: the table holds exactly what is committed', async () => {
    const total = 20_000;
    const { table, group, own } = await tableAndLog(Array.from({ length: total }, (_, i) => `r${i},${i}`), 2);
    const loader = await startLoader({ name: 'test', log: own, warehouse, groupId: group, table, toRow, concurrency: 2, batchRecords: 500 });
    await eventually('a few batches written', () => loader.stats.batches >= 4);
    await loader.stop();
    const committed = await own.committedOffsets(group);
    const byPartition = await warehouse.rows<{ p: number; n: string }>(`SELECT log_partition AS p, count() AS n FROM ${table} GROUP BY p ORDER BY p`);
    const rows = new Map(byPartition.map((r) => [r.p, Number(r.n)]));
    const done = committed.reduce((sum, c) => sum + c.offset, 0);
    assert.ok(done > 0 && done < total, `stopped midway (${done} of ${total} committed)`);
    for (const c of committed) assert.equal(rows.get(c.partition) ?? 0, c.offset, `partition ${c.partition}: rows written = offset committed`);
    assert.equal(loader.stats.written, done);
    await own.close();
  });

  it('stops instead of dead-lettering a stream when every row is refused (the table is wrong, not the data)', async () => {
    const table = randomName('loader');
    await warehouse.command(`CREATE TABLE ${table} (id String, n Date32, log_partition UInt32) ENGINE = MergeTree ORDER BY id`);
    const group = randomName('group');
    const own = getEmbeddedEventLog({ dir: join(tmp.dir, 'log'), topic: randomName('topic'), partitions: 2, fsync: false });
    await own.append(['x,"nope"', 'y,"nope"'].map((value) => ({ key: 'k', value, partition: 1 })));
    const letters: unknown[] = [];
    const loader = await startLoader({ name: 'test', log: own, warehouse, groupId: group, table, toRow, concurrency: 1, onError: () => {}, async deadLetter(items) { letters.push(...items); } });
    await assert.rejects(loader.subscription.done, /Cannot parse|Cannot read|parse/i);
    assert.deepEqual(letters, [], JSON.stringify(letters));
    const committed = await own.committedOffsets(group);
    assert.equal(committed.find((c) => c.partition === 1)!.offset, 0, 'nothing committed');
    await loader.stop();
    await own.close();
  });
});
