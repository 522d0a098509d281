/**
 * The built-in viewer, served by `continuity serve`:
 *
 *   GET /                                  the page (dashboards/viewer/index.html)
 *   GET /viewer/:file                      its script, styles, units.js and ECharts from node_modules
 *   GET /v1/dashboards                     the dashboards
 *   GET /v1/dashboards/:uid                one dashboard: panels (without SQL), variables and their options, names of codes
 *   GET /v1/panels/:uid/:panel?from=&to=&org=&region=&maxDataPoints=
 *                                          a panel's rows, its SQL run on the read-only warehouse with the filters as parameters
 *
 * The page holds nothing of the data; the data routes need a token with the
 * `sql` scope when the service enforces tokens.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyPluginAsync } from 'fastify';
import { ContinuityError } from '../../errors/registry.ts';
import type { Catalog } from '../../schemas/index.ts';
import type { ReadOnlyWarehouse } from '../../service/read-only-warehouse.ts';
import { dashboards, findDashboard, findPanel } from '../definitions/index.ts';
import { variableQuery } from '../definitions/variables.ts';
import { labelsFor } from '../labels.ts';
import type { Dashboard, Panel, Text } from '../model.ts';
import { runPanel } from '../panel-query.ts';

const here = new URL('./', import.meta.url);
const require = createRequire(import.meta.url);

const ASSETS: Record<string, { file: string; type: string; cache: string }> = {
  'app.js': { file: new URL('app.js', here).pathname, type: 'text/javascript; charset=utf-8', cache: 'no-cache' },
  'units.js': { file: new URL('units.js', here).pathname, type: 'text/javascript; charset=utf-8', cache: 'no-cache' },
  'style.css': { file: new URL('style.css', here).pathname, type: 'text/css; charset=utf-8', cache: 'no-cache' },
  'echarts.min.js': { file: require.resolve('echarts/dist/echarts.min.js'), type: 'text/javascript; charset=utf-8', cache: 'public, max-age=86400' },
};

// Route access for the service's token check (service/auth); plain constants so
// the routes type-check with or without it.
const PUBLIC = { access: 'public' } as const;
const READS = { access: 'sql' } as const;

export interface ViewerOptions {
  reader: ReadOnlyWarehouse;
  catalog: Catalog;
}

/** A panel as the browser gets it: everything but the SQL. */
function panelView(panel: Panel) {
  const { sql: _sql, ...view } = panel;
  return view;
}

async function dashboardView(dashboard: Dashboard, options: ViewerOptions) {
  const labels = labelsFor(options.catalog);
  const variables = await Promise.all(
    dashboard.variables.map(async (variable) => {
      const rows = await options.reader.rows<{ value: string; text: string }>(variableQuery(variable, options.catalog));
      const names = labels[variable.codes];
      return {
        name: variable.name,
        label: variable.label,
        options: rows.map((r): { value: string; label: Text } => ({ value: r.value, label: names[r.value] ?? { zh: r.text, en: r.text } })),
      };
    }),
  );
  return {
    uid: dashboard.uid,
    title: dashboard.title,
    description: dashboard.description,
    time: dashboard.time,
    presets: dashboard.presets,
    refresh: dashboard.refresh ?? null,
    variables,
    panels: dashboard.panels.map(panelView),
    labels,
  };
}

const asList = (value: unknown): string[] => (value === undefined ? [] : (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).filter((v) => v !== ''));

export const viewerPlugin: FastifyPluginAsync<ViewerOptions> = async (app, options) => {
  const files = new Map<string, Buffer>();
  const asset = (name: string) => {
    let body = files.get(name);
    if (!body) {
      body = readFileSync(ASSETS[name].file);
      files.set(name, body);
    }
    return body;
  };

  app.get('/', { config: PUBLIC }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(readFileSync(new URL('index.html', here))),
  );

  app.get<{ Params: { file: string } }>('/viewer/:file', { config: PUBLIC }, async (request, reply) => {
    const meta = ASSETS[request.params.file];
    if (!meta) throw new ContinuityError('CONT_ERR_NOT_FOUND', `no viewer file ${request.params.file}`);
    return reply.type(meta.type).header('cache-control', meta.cache).send(asset(request.params.file));
  });

  app.get('/v1/dashboards', { config: READS }, async () => ({
    dashboards: dashboards.map((d) => ({ uid: d.uid, title: d.title, description: d.description })),
  }));

  app.get<{ Params: { uid: string } }>('/v1/dashboards/:uid', { config: READS }, async (request) => dashboardView(findDashboard(request.params.uid), options));

  app.get<{ Params: { uid: string; panel: string }; Querystring: Record<string, unknown> }>('/v1/panels/:uid/:panel', { config: READS }, async (request) => {
    const dashboard = findDashboard(request.params.uid);
    const panel = findPanel(dashboard, Number(request.params.panel));
    const query = request.query;
    const single = (name: string) => {
      const values = asList(query[name]);
      return values.length === 0 ? undefined : values[values.length - 1];
    };
    const maxDataPoints = single('maxDataPoints');
    if (maxDataPoints !== undefined && !/^\d{1,5}$/.test(maxDataPoints)) throw new ContinuityError('CONT_ERR_DASHBOARD_FILTER', 'maxDataPoints must be a whole number of at most 5 digits');
    return runPanel(options.reader, dashboard, panel, {
      from: single('from'),
      to: single('to'),
      maxDataPoints: maxDataPoints === undefined ? undefined : Number(maxDataPoints),
      variables: Object.fromEntries(dashboard.variables.map((v) => [v.name, asList(query[v.name])])),
    });
  });
};
