/**
 * The embedded pipeline end to end against the real chDB engine: seed figures,
 * duplicates, restarts mid-stream.
 */
import { availableParallelism } from 'node:os';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seedScenario } from '../ingest/simulator/index.ts';
import { serializeEvent } from '../schemas/index.ts';
import { tempDir, testConfig } from '../test-support/temp.ts';
import { openPipeline } from './pipeline.ts';
import { computeSeedFigures, seedFigureQueries } from './seed-summary.ts';

const expected = Object.fromEntries(seedFigureQueries.filter((q) => q.expected !== null).map((q) => [q.key, q.expected]));

async function figures(pipeline: Awaited<ReturnType<typeof openPipeline>>) {
  const all = await computeSeedFigures(pipeline.warehouse);
  return Object.fromEntries(all.filter((f) => f.expected !== null).map((f) => [f.key, f.value]));
}

async function totals(pipeline: Awaited<ReturnType<typeof openPipeline>>) {
  const [row] = await pipeline.warehouse.rows<{ rows: string; ids: string; quantity: string }>(
    'SELECT count() AS rows, uniqExact(id) AS ids, sum(quantity) AS quantity FROM events',
  );
  return { rows: Number(row.rows), ids: Number(row.ids), quantity: Number(row.quantity) };
}

const seed = [...seedScenario()];
const seedQuantity = seed.reduce((s, e) => s + e.quantity, 0);

describe('embedded pipeline', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('loads the seed scenario and ClickHouse computes every seed figure exactly', async () => {
    const config = testConfig(`${tmp.dir}/seed`);
    const pipeline = await openPipeline(config, { purpose: 'test' });
    try {
      for (let i = 0; i < seed.length; i += 4000) await pipeline.ingestor.ingestEvents(seed.slice(i, i + 4000));
      const processors = await pipeline.startProcessors();
      await processors.untilIdle();
      assert.deepEqual(await figures(pipeline), expected);
      assert.equal(expected.telecom_suspension_waived, 1_169_500);
      assert.equal(expected.telecom_disconnection_deferred, 1_748_000_000);
      assert.deepEqual(await totals(pipeline), { rows: seed.length, ids: seed.length, quantity: seedQuantity });
      // The daily rollup view agrees with the rows it summarises.
      const [rollup] = await pipeline.warehouse.rows<{ q: string; n: string }>('SELECT sum(quantity) AS q, sum(events) AS n FROM daily_rollups');
      assert.deepEqual({ q: Number(rollup.q), n: Number(rollup.n) }, { q: seedQuantity, n: seed.length });
    } finally {
      await pipeline.close();
    }
  });

  it('validates large inputs on a worker per core, one fewer while the processors run in the same process', async () => {
    const cores = availableParallelism();
    const sample = seed.slice(0, 3000);
    const block = Buffer.from(sample.map((e) => serializeEvent(e) + '\n').join(''));
    assert.ok(block.length > 512 * 1024, 'a block large enough for the workers');
    const cases = [
      { name: 'ingest only', processors: false, validationThreads: undefined, threads: cores },
      { name: 'beside the processors', processors: true, validationThreads: undefined, threads: Math.max(1, cores - 1) },
      { name: 'configured 0', processors: true, validationThreads: 0, threads: 0 },
    ];
    for (const c of cases) {
      const config = testConfig(`${tmp.dir}/threads-${c.threads}-${c.processors}`, c.validationThreads === undefined ? {} : { ingest: { validationThreads: c.validationThreads } });
      const pipeline = await openPipeline(config, { purpose: 'test' });
      try {
        const processors = c.processors ? await pipeline.startProcessors() : null;
        assert.equal(pipeline.validationThreads, 0, `${c.name}: no worker before the first large input`);
        const result = await pipeline.ingestor.ingestBlock(Buffer.from(block), 1, 'test');
        assert.deepEqual([result.accepted, result.rejected.length, result.lines], [3000, 0, 3000], c.name);
        assert.equal(pipeline.validationThreads, c.threads, c.name);
        if (processors) {
          await processors.untilIdle();
          assert.deepEqual(await totals(pipeline), { rows: 3000, ids: 3000, quantity: sample.reduce((s, e) => s + e.quantity, 0) }, c.name);
        }
      } finally {
        await pipeline.close();
      }
    }
  });

  it('counts an event ingested twice once, within a batch and across batches and restarts', async () => {
    const config = testConfig(`${tmp.dir}/dupes`);
    const sample = seed.slice(0, 1000);
    let pipeline = await openPipeline(config, { purpose: 'test' });
    try {
      const lines = sample.map((e, i) => ({ line: i + 1, text: serializeEvent(e) }));
      const first = await pipeline.ingestor.ingestLines([...lines, ...lines.slice(0, 10)], 'test');
      assert.equal(first.accepted, 1010);
      const processors = await pipeline.startProcessors();
      await processors.untilIdle();
      assert.equal(processors.events.stats.written, 1000);
      assert.equal(processors.events.stats.duplicates, 10);
    } finally {
      await pipeline.close();
    }
    pipeline = await openPipeline(config, { purpose: 'test' });
    try {
      await pipeline.ingestor.ingestEvents(sample);
      const processors = await pipeline.startProcessors();
      await processors.untilIdle();
      assert.equal(processors.events.stats.written, 0);
      assert.equal(processors.events.stats.duplicates, 1000);
      const quantity = sample.reduce((s, e) => s + e.quantity, 0);
      assert.deepEqual(await totals(pipeline), { rows: 1000, ids: 1000, quantity });
    } finally {
      await pipeline.close();
    }
  });

  it('keeps totals exact when the log and the processor restart mid-stream', async () => {
    const config = testConfig(`${tmp.dir}/restart`, { processor: { batchRecords: 700 } });
    const half = Math.floor(seed.length / 2);
    let pipeline = await openPipeline(config, { purpose: 'test' });
    try {
      await pipeline.ingestor.ingestEvents(seed.slice(0, half));
      const processors = await pipeline.startProcessors();
      // Stop the processor after a few batches, in the middle of the log.
      while (processors.events.stats.batches < 3) await new Promise((r) => setTimeout(r, 5));
      await processors.stop();
      assert.ok(processors.events.stats.written < half, 'stopped mid-stream');
    } finally {
      await pipeline.close();
    }
    // The log reopens, takes the second half, and the processor resumes from its committed offsets.
    pipeline = await openPipeline(config, { purpose: 'test' });
    try {
      await pipeline.ingestor.ingestEvents(seed.slice(half));
      const processors = await pipeline.startProcessors();
      await processors.untilIdle();
      assert.deepEqual(await totals(pipeline), { rows: seed.length, ids: seed.length, quantity: seedQuantity });
      assert.deepEqual(await figures(pipeline), expected);
    } finally {
      await pipeline.close();
    }
  });

  it('rewinding the group and processing everything again changes nothing', async () => {
    const config = testConfig(`${tmp.dir}/seed`);
    const pipeline = await openPipeline(config, { purpose: 'test' });
    try {
      await pipeline.log.resetOffsets(config.processor.groupId, { to: 'earliest' });
      const processors = await pipeline.startProcessors();
      await processors.untilIdle();
      assert.equal(processors.events.stats.written, 0);
      assert.equal(processors.events.stats.duplicates, seed.length);
      assert.deepEqual(await totals(pipeline), { rows: seed.length, ids: seed.length, quantity: seedQuantity });
    } finally {
      await pipeline.close();
    }
  });
});
