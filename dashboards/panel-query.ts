/**
 * Runs a panel's SQL for the built-in viewer: the dashboard's filters (time
 * range, org, region) bound as query parameters on the read-only warehouse,
 * the result as typed columns and rows (times in epoch ms, 64-bit integers
 * and decimals as numbers).
 */
import { ContinuityError } from '../errors/registry.ts';
import type { ReadOnlyWarehouse } from '../service/read-only-warehouse.ts';
import { expandWithParameters, intervalFor, parseTime, type QueryContext, type VariableSelection } from './macros.ts';
import type { Dashboard, Panel } from './model.ts';

export interface PanelFilters {
  /** Grafana-style times (now-6h, ISO with offset, epoch ms); default the dashboard's range. */
  from?: string;
  to?: string;
  /** Selected values per variable; absent or empty: All. */
  variables?: Record<string, readonly string[] | undefined>;
  /** Data points the chart can show (Grafana: the panel's width); sets $__interval. Default 1000. */
  maxDataPoints?: number;
}

export interface PanelResult {
  columns: Array<{ name: string; type: string }>;
  rows: unknown[][];
  /** What ran: the panel's SQL with parameters in place of values, and the values. */
  sql: string;
  params: Record<string, unknown>;
  range: { from: number; to: number };
  intervalMs: number;
}

/** The panel's query context for these filters, after checking every value. */
export function panelContext(dashboard: Dashboard, panel: Panel, filters: PanelFilters, now = Date.now()): QueryContext {
  const range = { from: parseTime(filters.from ?? dashboard.time.from, now), to: parseTime(filters.to ?? dashboard.time.to, now) };
  if (!(range.from < range.to)) throw new ContinuityError('CONT_ERR_DASHBOARD_FILTER', `the time range must start before it ends (from ${new Date(range.from).toISOString()}, to ${new Date(range.to).toISOString()})`);
  const variables: Record<string, VariableSelection> = {};
  for (const variable of dashboard.variables) {
    const values = filters.variables?.[variable.name] ?? [];
    for (const value of values) {
      if (!variable.pattern.test(value)) {
        throw new ContinuityError('CONT_ERR_DASHBOARD_FILTER', `${variable.name}: ${JSON.stringify(value)} is not ${variable.codes === 'org' ? 'an org code such as sgcc' : 'a province code such as 420000'}`);
      }
    }
    variables[variable.name] = values.length === 0 ? { all: true } : { all: false, values: [...new Set(values)] };
  }
  return { range, intervalMs: intervalFor(range, filters.maxDataPoints ?? 1000, panel.interval), variables };
}

const NUMBER_TYPE = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal(\d+)?\(.*\))\)?$/;
const TIME_TYPE = /^(?:Nullable\()?DateTime(?:64)?\((?:\d+)?(?:,\s*)?(?:'([^']+)')?\)\)?$|^(?:Nullable\()?DateTime\)?$/;

/** Minutes east of UTC of a zone at an instant. */
function zoneOffsetMinutes(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60_000);
}

/** "2020-01-24 00:00:00.000" in a zone → epoch ms. */
export function zonedToEpoch(text: string, timeZone: string): number {
  const naive = Date.parse(`${text.replace(' ', 'T')}Z`);
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return naive;
  let instant = naive - zoneOffsetMinutes(naive, timeZone) * 60_000;
  instant = naive - zoneOffsetMinutes(instant, timeZone) * 60_000;
  return instant;
}

function converter(type: string, serverZone: string): (value: unknown) => unknown {
  if (NUMBER_TYPE.test(type)) return (v) => (v === null ? null : Number(v));
  const time = TIME_TYPE.exec(type);
  if (time) {
    const zone = time[1] ?? serverZone;
    return (v) => (v === null ? null : zonedToEpoch(String(v), zone));
  }
  return (v) => v;
}

/** Rows of JSONCompactEachRowWithNamesAndTypes, typed. */
export function parseCompactResult(text: string, serverZone: string): { columns: PanelResult['columns']; rows: unknown[][] } {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length < 2) return { columns: [], rows: [] };
  const names = JSON.parse(lines[0]) as string[];
  const types = JSON.parse(lines[1]) as string[];
  const convert = types.map((t) => converter(t, serverZone));
  const rows = lines.slice(2).map((line) => (JSON.parse(line) as unknown[]).map((v, i) => convert[i](v)));
  return { columns: names.map((name, i) => ({ name, type: types[i] })), rows };
}

const serverZones = new WeakMap<ReadOnlyWarehouse, Promise<string>>();

function serverZone(reader: ReadOnlyWarehouse): Promise<string> {
  let zone = serverZones.get(reader);
  if (!zone) {
    zone = reader.rows<{ tz: string }>('SELECT timezone() AS tz').then((rows) => rows[0]?.tz ?? 'UTC');
    serverZones.set(reader, zone);
  }
  return zone;
}

export async function runPanel(reader: ReadOnlyWarehouse, dashboard: Dashboard, panel: Panel, filters: PanelFilters = {}, now = Date.now()): Promise<PanelResult> {
  const context = panelContext(dashboard, panel, filters, now);
  const { sql, params } = expandWithParameters(panel.sql, context);
  const [zone, text] = await Promise.all([serverZone(reader), reader.text(sql, 'JSONCompactEachRowWithNamesAndTypes', params)]);
  return { ...parseCompactResult(text, zone), sql, params, range: context.range, intervalMs: context.intervalMs };
}
