/**
 * Replay against the real chDB engine and the embedded log, on the seed
 * scenario: a changed projection rebuilt from the log and swapped in whole,
 * checksums equal before and after, interruption, resume and abandon.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isContinuityError } from '../../errors/registry.ts';
import { seedScenario } from '../../ingest/simulator/index.ts';
import { computeSeedFigures, seedFigureQueries } from '../../service/seed-summary.ts';
import { openPipeline, type Pipeline } from '../../service/pipeline.ts';
import { tempDir, testConfig } from '../../test-support/temp.ts';
import {
  abandonReplay,
  cleanupReplays,
  listReplays,
  planReplay,
  type ReplayContext,
  resumeReplay,
  startReplay,
  type TableChecksum,
  tableChecksum,
} from './index.ts';

const seed = [...seedScenario()];
const seedQuantity = seed.reduce((s, e) => s + e.quantity, 0);
const expectedFigures = Object.fromEntries(seedFigureQueries.filter((q) => q.expected !== null).map((q) => [q.key, q.expected]));

async function figures(pipeline: Pipeline) {
  return Object.fromEntries((await computeSeedFigures(pipeline.warehouse)).filter((f) => f.expected !== null).map((f) => [f.key, f.value]));
}

async function tables(pipeline: Pipeline): Promise<string[]> {
  const rows = await pipeline.warehouse.rows<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND name NOT LIKE '\\_staging%' ORDER BY name");
  return rows.map((r) => r.name);
}

async function totals(pipeline: Pipeline, table = 'events') {
  const [row] = await pipeline.warehouse.rows<{ rows: string; ids: string; quantity: string }>(
    `SELECT toString(count()) AS rows, toString(uniqExact(id)) AS ids, toString(sum(quantity)) AS quantity FROM ${table}`,
  );
  return { rows: Number(row.rows), ids: Number(row.ids), quantity: Number(row.quantity) };
}

async function projectionParts(pipeline: Pipeline, table: string, projection: string): Promise<number> {
  const [row] = await pipeline.warehouse.rows<{ n: string }>(
    'SELECT toString(count()) AS n FROM system.projection_parts WHERE database = currentDatabase() AND table = {t:String} AND name = {p:String} AND active',
    { t: table, p: projection },
  );
  return Number(row.n);
}

const BY_MONTH_QUERY = "SELECT org, toStartOfMonth(day) AS month, sum(quantity) AS q FROM events WHERE type = 'disconnection.deferred' GROUP BY org, month ORDER BY org, month";

describe('replay', () => {
  const tmp = tempDir();
  let pipeline: Pipeline;
  let ctx: ReplayContext;
  let live: { events: TableChecksum; dead_letters: TableChecksum };

  before(async () => {
    pipeline = await openPipeline(testConfig(`${tmp.dir}/seed`, { log: { fsync: false } }), { purpose: 'test' });
    for (let i = 0; i < seed.length; i += 5000) await pipeline.ingestor.ingestEvents(seed.slice(i, i + 5000));
    // One bad line, so the dead-letter table has something to rebuild.
    await pipeline.ingestor.ingestLines([{ line: 1, text: '{"id": "not-an-event"}' }], 'test');
    const processors = await pipeline.startProcessors();
    await processors.untilIdle();
    await processors.stop();
    ctx = { log: pipeline.log, deadLetters: pipeline.deadLetters, warehouse: pipeline.warehouse, catalog: pipeline.catalog };
    live = { events: await tableChecksum(pipeline.warehouse, 'events'), dead_letters: await tableChecksum(pipeline.warehouse, 'dead_letters') };
    assert.deepEqual(await totals(pipeline), { rows: seed.length, ids: seed.length, quantity: seedQuantity });
    assert.equal(live.dead_letters.rows, 1);
  });

  after(async () => {
    await pipeline?.close();
    tmp.cleanup();
  });

  it('leaves out of the checksum only the column that records when a row was written, and says so', () => {
    assert.deepEqual(
      live.events.excluded.map((e) => e.column),
      ['loaded_at'],
    );
    assert.deepEqual(live.dead_letters.excluded, []);
  });

  it('--dry-run reports what would be replayed and creates nothing', async () => {
    const tablesBefore = await tables(pipeline);
    const plan = await planReplay(ctx);
    assert.equal(plan.from, 'earliest');
    assert.deepEqual(
      plan.tables.map((t) => [t.table, t.replayRecords, t.copyRows, t.liveRows]),
      [
        ['events', seed.length, 0, seed.length],
        ['dead_letters', 1, 0, 1],
      ],
    );
    assert.equal(plan.tables[0].partitions.length, 8);
    assert.ok(plan.tables[0].partitions.every((p) => p.start === 0 && p.end === p.liveCommitted));
    assert.deepEqual(await tables(pipeline), tablesBefore);
    assert.deepEqual(await listReplays(ctx), []);
  });

  it('rebuilds a changed projection from the log; dashboards see the live tables, untouched, until the swap, then the new ones with the same figures', async () => {
    // The change: a new rollup (a projection by month), as a migration would add it.
    await pipeline.warehouse.command(
      'ALTER TABLE events ADD PROJECTION by_month (SELECT org, type, toStartOfMonth(day), sum(quantity) GROUP BY org, type, toStartOfMonth(day))',
    );
    assert.equal(await projectionParts(pipeline, 'events', 'by_month'), 0, 'existing parts do not have the new projection');
    const answerBefore = await pipeline.warehouse.rows(BY_MONTH_QUERY);
    const phases = new Set<string>();
    let checkedBeforeSwap = false;

    const state = await startReplay(
      ctx,
      {},
      {
        onProgress: (p) => phases.add(p.phase),
        async beforeSwap(s) {
          const shadow = s.targets[0].shadow;
          // The live tables, byte for byte as they were; the dashboards' figures from them.
          assert.deepEqual(await tableChecksum(pipeline.warehouse, 'events'), live.events);
          assert.deepEqual(await tableChecksum(pipeline.warehouse, 'dead_letters'), live.dead_letters);
          assert.deepEqual(await figures(pipeline), expectedFigures);
          assert.equal(await projectionParts(pipeline, 'events', 'by_month'), 0);
          // The shadow: every row again, identical, with the new projection built.
          assert.deepEqual(await tableChecksum(pipeline.warehouse, shadow), live.events);
          assert.ok((await projectionParts(pipeline, shadow, 'by_month')) > 0);
          checkedBeforeSwap = true;
        },
      },
    );
    assert.ok(checkedBeforeSwap);
    assert.equal(state.status, 'swapped');
    assert.deepEqual([...phases], ['seeding', 'building', 'final catch-up', 'swapping']);
    const [events, deadLetters] = state.targets;

    // After the swap: the new table under the old name, the old one kept aside.
    assert.deepEqual(await tableChecksum(pipeline.warehouse, 'events'), live.events);
    assert.deepEqual(await tableChecksum(pipeline.warehouse, 'dead_letters'), live.dead_letters);
    assert.deepEqual(await tableChecksum(pipeline.warehouse, events.before), live.events);
    assert.deepEqual(await tableChecksum(pipeline.warehouse, deadLetters.before), live.dead_letters);
    assert.ok(!(await tables(pipeline)).includes(events.shadow));
    assert.ok((await projectionParts(pipeline, 'events', 'by_month')) > 0);
    assert.equal(await projectionParts(pipeline, events.before, 'by_month'), 0);

    // Dashboards' queries answer from the new table, its projection included, with unchanged figures.
    assert.deepEqual(await figures(pipeline), expectedFigures);
    // Whether ClickHouse reads the projection or the rows depends on how many parts
    // the loader wrote; that the projection is built is asserted above.
    assert.deepEqual(await pipeline.warehouse.rows(BY_MONTH_QUERY), answerBefore);
    await assert.rejects(pipeline.warehouse.rows(BY_MONTH_QUERY.replace('FROM events', `FROM ${events.before}`) + " SETTINGS force_optimize_projection_name = 'by_month'"));
    const [rollups] = await pipeline.warehouse.rows<{ q: string; n: string }>('SELECT toString(sum(quantity)) AS q, toString(sum(events)) AS n FROM daily_rollups');
    assert.deepEqual(rollups, { q: String(seedQuantity), n: String(seed.length) });
    const [view] = await pipeline.warehouse.rows<{ q: string }>('SELECT toString(sum(quantity)) AS q FROM commitments_daily');
    assert.equal(view.q, String(seedQuantity));
  });

  it('replaying twice in a row changes nothing; a replay ends once caught up, not at its next progress report', async () => {
    const reports: { phase: string; lags: number[] }[] = [];
    const started = performance.now();
    const state = await startReplay(ctx, {}, { progressMs: 10_000, onProgress: (p) => reports.push({ phase: p.phase, lags: p.tables.map((t) => t.lag) }) });
    const took = performance.now() - started;
    assert.ok(took < 5_000, `${Math.round(took)} ms: the catch-up waited for a 10 s report interval`);
    assert.deepEqual(reports.filter((r) => r.phase === 'final catch-up').at(-1)?.lags, [0, 0], 'the last catch-up report shows nothing left');
    assert.equal(state.status, 'swapped');
    assert.deepEqual(await tableChecksum(pipeline.warehouse, 'events'), live.events);
    assert.deepEqual(await tableChecksum(pipeline.warehouse, 'dead_letters'), live.dead_letters);
    assert.deepEqual(await figures(pipeline), expectedFigures);
    // Operators drop the previous tables when satisfied.
    const cleaned = await cleanupReplays(ctx);
    assert.deepEqual(
      cleaned.map((s) => s.status),
      ['cleaned', 'cleaned'],
    );
    assert.deepEqual(
      (await tables(pipeline)).filter((t) => /_before_|_replay_/.test(t)),
      [],
    );
  });

  it('an interrupted replay leaves the live tables alone, blocks a second one, and resumes to the same result', async () => {
    const abort = new AbortController();
    const interrupted = await startReplay(
      ctx,
      { batchRecords: 500 },
      { signal: abort.signal, onProgress: (p) => p.written > 0 && abort.abort(), progressMs: 20 },
    );
    assert.equal(interrupted.status, 'building');
    assert.match(interrupted.message, /interrupted/);
    const shadow = interrupted.targets[0].shadow;
    const partial = await totals(pipeline, shadow);
    assert.ok(partial.rows > 0 && partial.rows < seed.length, `partly built: ${partial.rows}`);
    assert.deepEqual(await tableChecksum(pipeline.warehouse, 'events'), live.events);

    await assert.rejects(startReplay(ctx), (e) => isContinuityError(e, 'CONT_ERR_REPLAY_UNFINISHED') && e.message.includes(interrupted.id));

    const resumed = await resumeReplay(ctx, undefined);
    assert.equal(resumed.id, interrupted.id);
    assert.equal(resumed.status, 'swapped');
    assert.deepEqual(await tableChecksum(pipeline.warehouse, 'events'), live.events);
    assert.deepEqual(await tableChecksum(pipeline.warehouse, 'dead_letters'), live.dead_letters);
    await cleanupReplays(ctx, resumed.id);
  });

  it('an interrupted replay is abandoned without touching the live tables; a resume after the live table changed is refused', async () => {
    const abort = new AbortController();
    const first = await startReplay(ctx, { batchRecords: 500 }, { signal: abort.signal, onProgress: (p) => p.written > 0 && abort.abort(), progressMs: 20 });
    const abandoned = await abandonReplay(ctx, first.id);
    assert.equal(abandoned.status, 'abandoned');
    assert.ok(!(await tables(pipeline)).some((t) => t.includes(first.id)));
    assert.deepEqual(await tableChecksum(pipeline.warehouse, 'events'), live.events);

    const second = await startReplay(ctx, { batchRecords: 500 }, { swap: false, signal: AbortSignal.abort() });
    assert.equal(second.status, 'building');
    await pipeline.warehouse.command("ALTER TABLE events ADD COLUMN IF NOT EXISTS note String DEFAULT ''");
    try {
      await assert.rejects(resumeReplay(ctx, second.id), (e) => isContinuityError(e, 'CONT_ERR_REPLAY_STATE') && /events changed since replay/.test(e.message));
      assert.equal((await abandonReplay(ctx)).id, second.id);
    } finally {
      await pipeline.warehouse.command('ALTER TABLE events DROP COLUMN IF EXISTS note');
    }
    assert.deepEqual(await tableChecksum(pipeline.warehouse, 'events'), live.events);
    assert.deepEqual(
      (await listReplays(ctx)).map((r) => r.status),
      ['cleaned', 'cleaned', 'cleaned', 'abandoned', 'abandoned'],
    );
  });

  it('--no-swap stops caught up; --resume swaps later', async () => {
    const built = await startReplay(ctx, { tables: ['events'] }, { swap: false });
    assert.equal(built.status, 'building');
    assert.match(built.message, /not swapped/);
    assert.deepEqual(await tableChecksum(pipeline.warehouse, built.targets[0].shadow), live.events);
    const swapped = await resumeReplay(ctx, built.id, {}, { dropOld: true });
    assert.equal(swapped.status, 'cleaned');
    assert.deepEqual(await tableChecksum(pipeline.warehouse, 'events'), live.events);
    assert.deepEqual(await totals(pipeline), { rows: seed.length, ids: seed.length, quantity: seedQuantity });
  });
});
