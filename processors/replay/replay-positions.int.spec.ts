/**
 * Replays that start later than the beginning of the log, and a replay after a
 * schema change: v1 and v2 events of the log rebuilt into one shape.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isContinuityError } from '../../errors/registry.ts';
import { realisticEvents } from '../../ingest/simulator/index.ts';
import { eventKey, type ContinuityEvent } from '../../schemas/index.ts';
import { openPipeline, type Pipeline } from '../../service/pipeline.ts';
import { tempDir, testConfig } from '../../test-support/temp.ts';
import { planReplay, type ReplayContext, startReplay, tableChecksum } from './index.ts';

function contextOf(pipeline: Pipeline): ReplayContext {
  return { log: pipeline.log, deadLetters: pipeline.deadLetters, warehouse: pipeline.warehouse, catalog: pipeline.catalog };
}

async function processAll(pipeline: Pipeline) {
  const processors = await pipeline.startProcessors();
  await processors.untilIdle();
  await processors.stop();
}

async function totals(pipeline: Pipeline, table = 'events') {
  const [row] = await pipeline.warehouse.rows<{ rows: string; quantity: string }>(`SELECT toString(count()) AS rows, toString(sum(quantity)) AS quantity FROM ${table}`);
  return { rows: Number(row.rows), quantity: Number(row.quantity) };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('replay from a position', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('from a time or a partition:offset: live rows below the start are copied, the rest is replayed, and the result equals the live table', async () => {
    const pipeline = await openPipeline(testConfig(`${tmp.dir}/positions`, { log: { fsync: false } }), { purpose: 'test' });
    try {
      const events = [...realisticEvents(4000, 7)];
      await pipeline.ingestor.ingestEvents(events.slice(0, 2000));
      const firstHalf = await pipeline.log.endOffsets();
      await new Promise((r) => setTimeout(r, 20));
      const at = Date.now();
      await new Promise((r) => setTimeout(r, 20));
      await pipeline.ingestor.ingestEvents(events.slice(2000));
      await processAll(pipeline);
      const ctx = contextOf(pipeline);
      const live = await tableChecksum(pipeline.warehouse, 'events');
      assert.equal(live.rows, 4000);

      const byTime = await planReplay(ctx, { from: { kind: 'timestamp', timestamp: at }, tables: ['events'] });
      assert.deepEqual(
        byTime.tables[0].partitions.map((p) => p.start),
        firstHalf,
      );
      assert.deepEqual([byTime.tables[0].copyRows, byTime.tables[0].replayRecords], [2000, 2000]);
      const fromTime = await startReplay(ctx, { from: { kind: 'timestamp', timestamp: at }, tables: ['events'] }, { dropOld: true });
      assert.equal(fromTime.targets[0].copied, 2000);
      assert.deepEqual(await tableChecksum(pipeline.warehouse, 'events'), live);

      const ends = await pipeline.log.endOffsets();
      const offset = Math.floor(ends[3] / 2);
      const byOffset = await planReplay(ctx, { from: { kind: 'offset', partition: 3, offset }, tables: ['events'] });
      assert.deepEqual(
        byOffset.tables[0].partitions.map((p) => p.start),
        ends.map((e, p) => (p === 3 ? offset : e)),
      );
      assert.deepEqual([byOffset.tables[0].copyRows, byOffset.tables[0].replayRecords], [4000 - (ends[3] - offset), ends[3] - offset]);
      await startReplay(ctx, { from: { kind: 'offset', partition: 3, offset }, tables: ['events'] }, { dropOld: true });
      assert.deepEqual(await tableChecksum(pipeline.warehouse, 'events'), live);

      // Never later than the live processor got: what it has not loaded yet is replayed, not copied.
      await pipeline.log.resetOffsets('continuity-warehouse', { to: 'offset', partition: 5, offset: 0 });
      const lagging = await planReplay(ctx, { from: { kind: 'offset', partition: 3, offset }, tables: ['events'] });
      assert.equal(lagging.tables[0].partitions[5].start, 0);
      assert.equal(lagging.tables[0].replayRecords, ends[3] - offset + ends[5]);
      await assert.rejects(planReplay(ctx, { from: { kind: 'offset', partition: 3, offset: ends[3] + 1 } }), /outside the stored range/);
      await assert.rejects(planReplay(ctx, { from: { kind: 'offset', partition: 8, offset: 0 } }), (e) => isContinuityError(e, 'CONT_ERR_OPERATION_INVALID') && /partition 8 does not exist/.test(e.message));
    } finally {
      await pipeline.close();
    }
  });

  it('a log holding v1 and v2 events replays into one table, the upcast field filled', async () => {
    const pipeline = await openPipeline(testConfig(`${tmp.dir}/versions`, { log: { fsync: false } }), { purpose: 'test' });
    try {
      const suspensions = [...realisticEvents(3000, 11)].filter((e): e is Extract<ContinuityEvent, { type: 'suspension.waived' }> => e.type === 'suspension.waived');
      const old = suspensions.slice(0, 100);
      const recent = suspensions.slice(100, 200);
      assert.equal(recent.length, 100);
      // What the log holds from before v2: v1 events, as producers and ingest wrote them then.
      const v1 = old.map(({ data: { beneficiary: _, ...data }, ...e }) => ({ ...e, schema_version: 1, data }));
      const placed = await pipeline.log.append(v1.map((e) => ({ key: eventKey(e), value: JSON.stringify(e) })));
      // ...and the live table as the processor of that time loaded them: in v1 shape.
      const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
      const records = await Promise.all(placed.map((p) => pipeline.log.read(p.partition, p.offset, 1).then((r) => r[0])));
      await pipeline.warehouse.insertRaw(
        'events',
        'JSONEachRow',
        v1
          .map((e, i) =>
            JSON.stringify({
              ...e,
              occurred_at: iso(Date.parse(e.occurred_at)),
              customer_ref: e.customer_ref ?? null,
              log_partition: placed[i].partition,
              log_offset: placed[i].offset,
              ingested_at: iso(records[i].timestamp),
            }),
          )
          .join('\n'),
      );
      await pipeline.log.resetOffsets('continuity-warehouse', { to: 'latest' });
      // Then v2 arrived: new events in v2 shape.
      await pipeline.ingestor.ingestEvents(recent);
      await processAll(pipeline);

      const shapes = async () =>
        (
          await pipeline.warehouse.rows<{ schema_version: number; in_data: string | null; column: string; n: string }>(
            // No alias named beneficiary: ClickHouse aliases would shadow the column.
            `SELECT schema_version, beneficiary AS column, data.beneficiary::Nullable(String) AS in_data, toString(count()) AS n
             FROM events GROUP BY schema_version, in_data, column ORDER BY schema_version, in_data, column`,
          )
        ).map(({ in_data, ...r }) => ({ ...r, beneficiary: in_data }));
      const counts = (values: string[]) => Object.entries(values.reduce<Record<string, number>>((m, v) => ((m[v] = (m[v] ?? 0) + 1), m), {})).sort();
      const before = await shapes();
      assert.deepEqual(
        before.filter((r) => r.schema_version === 1),
        [{ schema_version: 1, beneficiary: null, column: 'unspecified', n: '100' }],
        'v1 rows: no beneficiary in data; the column reads unspecified, as the upcaster would',
      );
      const totalsBefore = await totals(pipeline);
      assert.deepEqual(totalsBefore, { rows: 200, quantity: sum([...old, ...recent].map((e) => e.quantity)) });

      const state = await startReplay(contextOf(pipeline), { tables: ['events'] });
      assert.equal(state.status, 'swapped');
      const after = await shapes();
      assert.ok(after.every((r) => r.schema_version === 2 && r.beneficiary === r.column));
      assert.deepEqual(
        after.map((r) => [r.beneficiary, Number(r.n)]).sort(),
        counts([...old.map(() => 'unspecified'), ...recent.map((e) => e.data.beneficiary)]),
      );
      assert.deepEqual(await totals(pipeline), totalsBefore);
      // The previous table keeps the rows as they were loaded.
      const [kept] = await pipeline.warehouse.rows<{ n: string }>(`SELECT toString(count()) AS n FROM ${state.targets[0].before} WHERE schema_version = 1`);
      assert.equal(kept.n, '100');
    } finally {
      await pipeline.close();
    }
  });
});
