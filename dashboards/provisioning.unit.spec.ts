/**
 * The checked-in Grafana provisioning is what `continuity dashboards export`
 * writes (the JSON comes from grafanaDashboard(), typed as @grafana/schema's
 * Dashboard), and it is well formed for Grafana and the ClickHouse plugin.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import type { Dashboard as GrafanaDashboard, Panel as GrafanaPanel } from '@grafana/schema';
import { defaultCatalog } from '../schemas/index.ts';
import { dashboards } from './definitions/index.ts';
import { DATASOURCE_TYPE, DATASOURCE_UID, grafanaDashboard } from './grafana.ts';
import { expandWithParameters } from './macros.ts';
import { PROVISIONING_DIR, renderProvisioning, staleProvisioning } from './provisioning.ts';

const files = renderProvisioning(defaultCatalog());

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [relative(PROVISIONING_DIR, path)];
  });
}

describe('Grafana provisioning', () => {
  it('is checked in exactly as continuity dashboards export writes it', () => {
    assert.deepEqual(staleProvisioning(PROVISIONING_DIR, files), [], 'dashboards/provisioning is stale: run npm run dashboards:export');
    assert.deepEqual(filesUnder(PROVISIONING_DIR).sort(), [...files.keys()].sort(), 'dashboards/provisioning holds a file export does not write');
  });

  it('provisions the ClickHouse datasource from the environment, the password as a secret', () => {
    const yaml = parse(files.get('datasources/clickhouse.yaml')!);
    assert.equal(yaml.apiVersion, 1);
    const [ds] = yaml.datasources;
    assert.deepEqual(
      { name: ds.name, uid: ds.uid, type: ds.type },
      { name: 'continuity ClickHouse', uid: DATASOURCE_UID, type: 'grafana-clickhouse-datasource' },
    );
    assert.deepEqual(ds.jsonData, {
      host: '${CLICKHOUSE_HOST}',
      port: '${CLICKHOUSE_PORT}',
      protocol: '${CLICKHOUSE_PROTOCOL}',
      secure: '${CLICKHOUSE_SECURE}',
      username: '${CLICKHOUSE_READER_USER}',
      defaultDatabase: '${CLICKHOUSE_DATABASE}',
    });
    assert.deepEqual(ds.secureJsonData, { password: '${CLICKHOUSE_READER_PASSWORD}' });
    assert.equal(JSON.stringify(ds.jsonData).includes('password'), false);
  });

  it('provisions every dashboard file from the mounted directory', () => {
    const yaml = parse(files.get('dashboards/provider.yaml')!);
    assert.deepEqual(yaml.providers[0].options.path, '/etc/grafana/provisioning/dashboards');
    assert.equal(yaml.providers[0].type, 'file');
    assert.deepEqual(
      [...files.keys()].filter((f) => f.endsWith('.json')).sort(),
      dashboards.map((d) => `dashboards/${d.uid}.json`).sort(),
    );
  });

  for (const dashboard of dashboards) {
    it(`${dashboard.uid}: panels query the datasource with their SQL, on a 24-column grid, with org and region variables`, () => {
      const json = JSON.parse(files.get(`dashboards/${dashboard.uid}.json`)!) as GrafanaDashboard;
      assert.deepEqual(json, JSON.parse(JSON.stringify(grafanaDashboard(dashboard, defaultCatalog()))));
      assert.equal(json.uid, dashboard.uid);
      assert.equal(typeof json.schemaVersion, 'number');
      assert.deepEqual(
        json.templating?.list?.map((v) => [v.name, v.type, v.multi, v.includeAll, v.datasource?.uid]),
        [
          ['org', 'query', true, true, DATASOURCE_UID],
          ['region', 'query', true, true, DATASOURCE_UID],
        ],
      );
      const panels = (json.panels ?? []) as GrafanaPanel[];
      assert.equal(new Set(panels.map((p) => p.id)).size, panels.length, 'panel ids are unique');
      const cells = new Set<string>();
      for (const panel of panels) {
        const definition = dashboard.panels.find((p) => p.id === panel.id)!;
        assert.ok(['stat', 'timeseries', 'barchart', 'table'].includes(panel.type), panel.type);
        const target = panel.targets?.[0] as { datasource: { uid: string; type: string }; rawSql: string; editorType: string; format: number };
        assert.deepEqual(target.datasource, { type: DATASOURCE_TYPE, uid: DATASOURCE_UID });
        assert.equal(target.editorType, 'sql');
        assert.equal(target.rawSql, definition.sql);
        assert.equal(target.format, panel.type === 'timeseries' ? 0 : 1);
        const { x, y, w, h } = panel.gridPos!;
        assert.ok(x >= 0 && w > 0 && x + w <= 24, `panel ${panel.id} fits the grid`);
        for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
          assert.equal(cells.has(`${i},${j}`), false, `panel ${panel.id} overlaps another at ${i},${j}`);
          cells.add(`${i},${j}`);
        }
        // Every variable is written so the service can bind it as a parameter.
        for (const values of [[], ['sgcc']]) {
          const variables = Object.fromEntries(dashboard.variables.map((v) => [v.name, values.length ? { all: false as const, values } : { all: true as const }]));
          expandWithParameters(definition.sql, { range: { from: 0, to: 1 }, intervalMs: 1000, variables });
        }
        if (panel.type === 'stat') assert.match(definition.sql, /AS value,[\s\S]*AS display/, `stat ${panel.id} returns value and display`);
      }
    });
  }
});
