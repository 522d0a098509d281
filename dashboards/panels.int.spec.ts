/**
 * Every panel's SQL against the real warehouse (chDB) loaded with the seed
 * scenario: expanded as Grafana and the ClickHouse plugin expand it, and as
 * the service binds it; the stat panels hold the seed figures.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { continuityErrorHandler } from '../errors/http-error-handler.ts';
import { SEED_FIGURES, seedScenario } from '../ingest/simulator/index.ts';
import { cstDayOf } from '../ingest/simulator/time.ts';
import type { ContinuityEvent } from '../schemas/index.ts';
import { openPipeline, type Pipeline } from '../service/pipeline.ts';
import { openReadOnlyWarehouse, type ReadOnlyWarehouse } from '../service/read-only-warehouse.ts';
import { tempDir, testConfig } from '../test-support/temp.ts';
import { dashboards, overview, pipelineHealth } from './definitions/index.ts';
import { expandLikeGrafana, expandWithParameters, parseTime } from './macros.ts';
import type { Dashboard, Panel, StatPanel } from './model.ts';
import { panelContext, parseCompactResult, runPanel, type PanelFilters } from './panel-query.ts';
import { formatChineseUnits } from './units.ts';
import { viewerPlugin } from './viewer/plugin.ts';

const seed = [...seedScenario()];
/** Grafana's "now" for the pipeline dashboard: a moment after the seed was loaded (its time filter has whole seconds). */
let NOW = 0;

/** The overview's default range as CST days. */
const range = { from: cstDayOf(overview.time.from), to: cstDayOf(overview.time.to) };
const inRange = (e: ContinuityEvent) => cstDayOf(e.occurred_at) >= range.from && cstDayOf(e.occurred_at) <= range.to;
const data = (e: ContinuityEvent) => e.data as Record<string, unknown>;
const sum = (events: ContinuityEvent[]) => events.reduce((s, e) => s + e.quantity, 0);

const FILTER_CASES: Array<{ name: string; filters: PanelFilters }> = [
  { name: 'all orgs and regions', filters: {} },
  { name: 'one org', filters: { variables: { org: ['china-mobile'] } } },
  { name: 'two orgs', filters: { variables: { org: ['cr-gas', 'sgcc'] } } },
  { name: 'one region', filters: { variables: { region: ['420000'] } } },
  { name: 'an org in a region', filters: { variables: { org: ['cr-gas'], region: ['420000'] } } },
];

describe('dashboard panels on the seed scenario', () => {
  const tmp = tempDir();
  let pipeline: Pipeline;
  let reader: ReadOnlyWarehouse;

  async function rowsOf(sql: string, params?: Record<string, unknown>) {
    return parseCompactResult(await reader.text(sql, 'JSONCompactEachRowWithNamesAndTypes', params), 'UTC');
  }

  async function grafanaRows(dashboard: Dashboard, panel: Panel, filters: PanelFilters = {}) {
    return rowsOf(expandLikeGrafana(panel.sql, panelContext(dashboard, panel, filters, NOW)));
  }

  async function stat(panel: Panel, filters: PanelFilters = {}, dashboard: Dashboard = overview) {
    const { columns, rows } = await grafanaRows(dashboard, panel, filters);
    assert.deepEqual(
      columns.map((c) => c.name),
      ['value', 'display'],
      `${panel.title.en}: a stat returns value and display`,
    );
    assert.equal(rows.length, 1, panel.title.en);
    return { value: rows[0][0] as number, display: rows[0][1] as string };
  }

  before(async () => {
    const config = testConfig(tmp.dir);
    pipeline = await openPipeline(config, { purpose: 'test' });
    for (let i = 0; i < seed.length; i += 4000) await pipeline.ingestor.ingestEvents(seed.slice(i, i + 4000));
    // One rejected line, for the pipeline dashboard's dead letters.
    const rejected = await pipeline.ingestor.ingestLines([{ line: 1, text: '{"type":"suspension.waived"' }], 'file:test.ndjson');
    assert.equal(rejected.accepted, 0);
    const processors = await pipeline.startProcessors();
    await processors.untilIdle();
    NOW = Date.now() + 2_000;
    reader = await openReadOnlyWarehouse(config);
  });

  after(async () => {
    await reader?.close();
    await pipeline?.close();
    tmp.cleanup();
  });

  it('runs every panel, expanded as Grafana and the ClickHouse plugin expand it, with the same rows as the service binds', async () => {
    let runs = 0;
    for (const dashboard of dashboards) {
      for (const panel of dashboard.panels) {
        for (const { name, filters } of FILTER_CASES) {
          const context = panelContext(dashboard, panel, filters, NOW);
          const literal = expandLikeGrafana(panel.sql, context);
          assert.doesNotMatch(literal, /\$__|\$\{|\$org|\$region/, `${dashboard.uid}/${panel.id} (${name}): every macro and variable expanded`);
          const asGrafana = await rowsOf(literal);
          const bound = expandWithParameters(panel.sql, context);
          assert.doesNotMatch(bound.sql, /china-mobile|cr-gas|420000/, `${dashboard.uid}/${panel.id}: no filter value in the SQL text`);
          assert.deepEqual(await rowsOf(bound.sql, bound.params), asGrafana, `${dashboard.uid}/${panel.id} (${name})`);
          runs++;
        }
      }
    }
    assert.equal(runs, (overview.panels.length + pipelineHealth.panels.length) * FILTER_CASES.length);
  });

  it('shows each seed figure on its overview stat panel, in 万/亿', async () => {
    const stats = overview.panels.filter((p): p is StatPanel => p.kind === 'stat');
    assert.equal(stats.length, 12);
    const withFigures = stats.filter((p) => p.figures);
    assert.equal(withFigures.length, 10);
    for (const panel of withFigures) {
      const figures = panel.figures!.map((name) => SEED_FIGURES.find((f) => f.name === name)!);
      // The figure's own window lies inside the dashboard's default range, so the stat measures the same thing.
      for (const f of figures) assert.ok((f.window.from === null || f.window.from >= range.from) && f.window.to <= range.to, `${f.name} lies in the default range`);
      const expected = figures.reduce((s, f) => s + f.value, 0);
      const { value, display } = await stat(panel);
      assert.equal(value, expected, panel.title.en);
      assert.equal(display, formatChineseUnits(expected), panel.title.en);
    }
    const byId = (id: number) => stats.find((p) => p.id === id)!;
    assert.deepEqual(await stat(byId(1)), { value: 1_169_500, display: '116.95万' });
    assert.deepEqual(await stat(byId(2)), { value: 1_748_000_000, display: '17.48亿' });
    assert.deepEqual(await stat(byId(7)), { value: 940_000, display: '94万' });
    assert.deepEqual(await stat(byId(8)), { value: 60_000, display: '6万' });
    assert.deepEqual(await stat(byId(9)), { value: 29_000_000, display: '2900万' });
    assert.deepEqual(await stat(byId(6)), { value: 7_500, display: '7,500' });
    assert.deepEqual(await stat(byId(11)), { value: 1_760, display: '1,760' });
  });

  it('computes the online share and the overdue repairs as the seed events give them', async () => {
    const transactions = seed.filter((e) => e.type === 'online.transaction' && data(e).kind !== 'registration' && inRange(e));
    const online = transactions.filter((e) => ['app', 'wechat', 'web'].includes(data(e).channel as string));
    const share = sum(online) / sum(transactions);
    const shareStat = await stat(overview.panels.find((p) => p.id === 10)!);
    assert.equal(shareStat.value, share);
    assert.equal(shareStat.display, `${Math.round(share * 1000) / 10}%`);

    // Repair orders from their four events; overdue: arrival after 60 min (urgent) or 120 min (normal) from the report.
    const orders = new Map<string, { reported?: number; arrived?: number; urgent: boolean; day: string }>();
    for (const e of seed.filter((x) => x.type.startsWith('repair.'))) {
      const key = `${e.org}/${data(e).order_id}`;
      const order = orders.get(key) ?? { urgent: false, day: cstDayOf(e.occurred_at) };
      if (e.type === 'repair.reported') order.reported = Date.parse(e.occurred_at);
      if (e.type === 'repair.arrived') order.arrived = Date.parse(e.occurred_at);
      order.urgent ||= data(e).priority === 'urgent';
      orders.set(key, order);
    }
    const overdue = [...orders.values()].filter((o) => o.day >= range.from && o.day <= range.to && (o.arrived! - o.reported!) / 60_000 > (o.urgent ? 60 : 120)).length;
    assert.ok(overdue > 0 && overdue < orders.size, 'the seed has overdue and timely repairs');
    assert.deepEqual(await stat(overview.panels.find((p) => p.id === 12)!), { value: overdue, display: formatChineseUnits(overdue) });
  });

  it('changes the figures with the org and region filters', async () => {
    const panel = overview.panels.find((p) => p.id === 1)!;
    const telecomWaived = seed.filter((e) => e.type === 'suspension.waived' && data(e).service === 'telecom' && inRange(e));
    const mobile = sum(telecomWaived.filter((e) => e.org === 'china-mobile'));
    assert.ok(mobile > 0 && mobile < 1_169_500);
    assert.deepEqual(await stat(panel, { variables: { org: ['china-mobile'] } }), { value: mobile, display: formatChineseUnits(mobile) });
    const hubei = sum(telecomWaived.filter((e) => e.region.startsWith('42')));
    assert.deepEqual(await stat(panel, { variables: { region: ['420000'] } }), { value: hubei, display: formatChineseUnits(hubei) });
    assert.deepEqual(await stat(overview.panels.find((p) => p.id === 7)!, { variables: { org: ['china-mobile'] } }), { value: 0, display: '0' });
  });

  it('shows the pipeline: events loaded, the dead letter, the lag, the producers', async () => {
    const [loaded, letters, lag, last] = [1, 2, 3, 4].map((id) => pipelineHealth.panels.find((p) => p.id === id)!);
    assert.deepEqual(await stat(loaded, {}, pipelineHealth), { value: seed.length, display: formatChineseUnits(seed.length) });
    assert.deepEqual(await stat(letters, {}, pipelineHealth), { value: 1, display: '1' });
    const p95 = await stat(lag, {}, pipelineHealth);
    assert.ok(Number.isFinite(p95.value) && p95.value >= 0, `lag p95 ${p95.value}`);
    const [bounds] = await reader.rows<{ negative: string; unloaded: string; last: string }>(
      "SELECT countIf(loaded_at < ingested_at) AS negative, countIf(loaded_at IS NULL) AS unloaded, formatDateTime(max(loaded_at), '%Y-%m-%d %H:%i:%S', 'Asia/Shanghai') AS last FROM events",
    );
    assert.deepEqual({ negative: Number(bounds.negative), unloaded: Number(bounds.unloaded) }, { negative: 0, unloaded: 0 });
    assert.equal((await stat(last, {}, pipelineHealth)).display, bounds.last);
    const producers = await grafanaRows(pipelineHealth, pipelineHealth.panels.find((p) => p.id === 8)!);
    const sources = new Set(seed.map((e) => `${e.source}/${e.org}`));
    assert.equal(producers.rows.length, sources.size);
    const deadLetters = await grafanaRows(pipelineHealth, pipelineHealth.panels.find((p) => p.id === 9)!);
    assert.equal(deadLetters.rows.length, 1);
    assert.equal(deadLetters.rows[0][1], 'file:test.ndjson');
  });

  it('formats in SQL exactly as the viewer and the CLI do', async () => {
    const values = [0, 1, 7, 999, 1_000, 1_760, 7_500, 9_999, 9_999.994, 9_999.996, 10_000, 11_649, 11_650, 11_655, 12_345.678, 60_000, 99_995, 940_000, 1_169_500, 3_300_000, 29_000_000, 99_999_999, 100_000_000, 1_748_000_000, 123_456_789_012, -1, -11_650, -1_169_500, 0.004, 1.005];
    const rows = await reader.rows<{ v: number; s: string }>('SELECT v, continuity_cn_units(v) AS s FROM (SELECT arrayJoin({values:Array(Float64)}) AS v)', { values });
    assert.deepEqual(
      rows.map((r) => r.s),
      values.map(formatChineseUnits),
    );
    assert.deepEqual(values.slice(19, 25).map(formatChineseUnits), ['330万', '2900万', '10000万', '1亿', '17.48亿', '1234.57亿']);
  });

  it('serves the viewer: dashboards, variables with names, panels with the filters as parameters', async () => {
    const app: FastifyInstance = Fastify();
    app.setErrorHandler(continuityErrorHandler({ bodyLimitBytes: 1 << 20 }));
    await app.register(viewerPlugin, { reader, catalog: pipeline.catalog });
    try {
      const list = await app.inject({ url: '/v1/dashboards' });
      assert.deepEqual(
        list.json().dashboards.map((d: { uid: string }) => d.uid),
        ['continuity-overview', 'continuity-pipeline'],
      );
      const view = (await app.inject({ url: '/v1/dashboards/continuity-overview' })).json();
      assert.equal(view.panels.length, overview.panels.length);
      assert.ok(view.panels.every((p: Record<string, unknown>) => !('sql' in p)), 'no SQL is sent to the browser');
      const org = view.variables.find((v: { name: string }) => v.name === 'org');
      assert.deepEqual(
        org.options.map((o: { value: string }) => o.value),
        [...new Set(seed.map((e) => e.org))].sort(),
      );
      assert.deepEqual(org.options.find((o: { value: string }) => o.value === 'china-mobile').label, { zh: '中国移动', en: 'China Mobile' });
      const region = view.variables.find((v: { name: string }) => v.name === 'region');
      assert.deepEqual(region.options.find((o: { value: string }) => o.value === '420000').label, { zh: '湖北省', en: 'Hubei' });

      const panel = await app.inject({ url: '/v1/panels/continuity-overview/1' });
      assert.equal(panel.statusCode, 200);
      assert.deepEqual(panel.json().rows, [[1_169_500, '116.95万']]);
      const mobile = await app.inject({ url: '/v1/panels/continuity-overview/1?org=china-mobile' });
      assert.deepEqual(mobile.json().params.v_org, ['china-mobile']);
      assert.notDeepEqual(mobile.json().rows, panel.json().rows);
      const days = await app.inject({ url: '/v1/panels/continuity-overview/7?from=2020-01-24T00:00:00%2B08:00&to=2020-01-24T23:59:59.999%2B08:00' });
      const firstDay = sum(seed.filter((e) => e.type === 'online.transaction' && data(e).kind === 'payment' && cstDayOf(e.occurred_at) === '2020-01-24'));
      assert.equal(days.json().rows[0][0], firstDay);

      const series = (await app.inject({ url: '/v1/panels/continuity-overview/14' })).json();
      assert.deepEqual(series.columns.map((c: { name: string }) => c.name), ['time', 'org', 'value']);
      assert.equal(series.rows[0][0], parseTime('2020-01-24T00:00:00+08:00', NOW), 'a day is midnight in China Standard Time, in epoch ms');

      for (const bad of ["sgcc') OR 1=1 --", 'SGCC', 'sgcc sh']) {
        const res = await app.inject({ url: `/v1/panels/continuity-overview/1?org=${encodeURIComponent(bad)}` });
        assert.equal(res.statusCode, 400, bad);
        assert.equal(res.json().code, 'CONT_ERR_DASHBOARD_FILTER');
      }
      const badTime = await app.inject({ url: '/v1/panels/continuity-overview/1?from=yesterday' });
      assert.equal(badTime.json().code, 'CONT_ERR_DASHBOARD_FILTER');
      assert.equal((await app.inject({ url: '/v1/panels/continuity-overview/99' })).statusCode, 404);
      assert.equal((await app.inject({ url: '/v1/panels/nope/1' })).statusCode, 404);

      const page = await app.inject({ url: '/' });
      assert.equal(page.statusCode, 200);
      assert.match(page.headers['content-type'] as string, /text\/html/);
      assert.match(page.body, /\/viewer\/echarts\.min\.js/);
      const echarts = await app.inject({ url: '/viewer/echarts.min.js' });
      assert.equal(echarts.statusCode, 200);
      assert.match(echarts.body.slice(0, 2000), /echarts/i);
      assert.equal((await app.inject({ url: '/viewer/../../package.json' })).statusCode, 404);
    } finally {
      await app.close();
    }
  });

  it('runs a panel through runPanel with the dashboard range resolved', async () => {
    const result = await runPanel(reader, pipelineHealth, pipelineHealth.panels.find((p) => p.id === 5)!, { from: 'now-1h' }, NOW);
    assert.equal(result.range.to, NOW);
    assert.equal(result.range.from, NOW - 3_600_000);
    assert.equal(result.intervalMs, 10_000, 'an hour over 1000 points rounds to 5 s, below the panel minimum of 10 s');
    const total = result.rows.reduce((s, r) => s + (r[1] as number) * 10, 0);
    assert.equal(Math.round(total), seed.length, 'events per second × interval adds up to the events loaded');
  });
});
