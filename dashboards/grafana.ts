/**
 * The dashboards as Grafana JSON, typed with @grafana/schema (`Dashboard`, the
 * stat, time series, bar chart and table panel options), for the official
 * ClickHouse datasource plugin. The @grafana/schema imports are types only:
 * nothing of it is loaded at run time.
 */
import type {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  Dashboard as GrafanaDashboard,
  DataSourceRef,
  FieldConfigSource,
  LegendDisplayMode,
  Panel as GrafanaPanel,
  PercentChangeColorMode,
  SortOrder,
  StackingMode,
  TooltipDisplayMode,
  ValueMapping,
  VariableModel,
  VisibilityMode,
  VizOrientation,
} from '@grafana/schema';
import type { Options as BarChartOptions } from '@grafana/schema/dist/esm/raw/composable/barchart/panelcfg/x/BarChartPanelCfg_types.gen';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type { Options as TableOptions } from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type { Options as TimeSeriesOptions } from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';
import type { Catalog } from '../schemas/index.ts';
import { variableQuery } from './definitions/variables.ts';
import { labelsFor, type Labels } from './labels.ts';
import type { Codes, Dashboard, Panel, Text } from './model.ts';

export const DATASOURCE_UID = 'continuity-clickhouse';
export const DATASOURCE_TYPE = 'grafana-clickhouse-datasource';
/** The plugin release whose macros dashboards/macros.ts follows; pin it (or later 4.x) where Grafana runs. */
export const CLICKHOUSE_PLUGIN_VERSION = '4.3.2';
/** Dashboard JSON schema version Grafana 11 and later read without migrating. */
const SCHEMA_VERSION = 39;

const datasource: DataSourceRef = { type: DATASOURCE_TYPE, uid: DATASOURCE_UID };

/** A string enum's value without importing the enum (types only at run time). */
const e = <E extends string>(value: `${E}`) => value as unknown as E;

const titleOf = (text: Text, unit?: Text) => (unit && unit.zh ? `${text.zh}（${unit.zh}）` : text.zh);

function target(sql: string, format: 'table' | 'time_series') {
  return {
    refId: 'A',
    datasource,
    editorType: 'sql',
    // 0 time series (long results are widened per series), 1 table.
    format: format === 'time_series' ? 0 : 1,
    queryType: format === 'time_series' ? 'timeseries' : 'table',
    rawSql: sql,
    pluginVersion: CLICKHOUSE_PLUGIN_VERSION,
  };
}

function mappingsFor(codes: Codes | undefined, labels: Labels): ValueMapping[] {
  if (codes === undefined) return [];
  const options: Record<string, { text: string; index: number }> = {};
  Object.entries(labels[codes]).forEach(([code, text], index) => (options[code] = { text: text.zh, index }));
  return [{ type: e('value'), options } as ValueMapping];
}

function displayNames(columns: Record<string, Text>): FieldConfigSource['overrides'] {
  return Object.entries(columns).map(([name, text]) => ({
    matcher: { id: 'byName', options: name },
    properties: [{ id: 'displayName', value: text.zh }],
  }));
}

const legend = { showLegend: true, displayMode: e<LegendDisplayMode>('list'), placement: 'bottom' as const, calcs: [] };
const tooltip = { mode: e<TooltipDisplayMode>('multi'), sort: e<SortOrder>('none') };

function panelJson(panel: Panel, labels: Labels): GrafanaPanel {
  const base = {
    id: panel.id,
    title: titleOf(panel.title, panel.kind === 'table' ? undefined : panel.unit),
    description: panel.description?.zh,
    gridPos: panel.gridPos,
    datasource,
    ...(panel.interval ? { interval: panel.interval } : {}),
  };
  switch (panel.kind) {
    case 'stat': {
      const options: StatOptions = {
        reduceOptions: { values: false, calcs: ['lastNotNull'], fields: '/^display$/' },
        orientation: e<VizOrientation>('auto'),
        textMode: e<BigValueTextMode>('value'),
        colorMode: e<BigValueColorMode>('none'),
        graphMode: e<BigValueGraphMode>('none'),
        justifyMode: e<BigValueJustifyMode>('auto'),
        showPercentChange: false,
        percentChangeColorMode: e<PercentChangeColorMode>('standard'),
        wideLayout: true,
      };
      return { ...base, type: 'stat', targets: [target(panel.sql, 'table')], options: { ...options }, fieldConfig: { defaults: { unit: 'none' }, overrides: [] } };
    }
    case 'timeseries': {
      const options: TimeSeriesOptions = { legend, tooltip };
      const series = panel.series;
      const fieldConfig: FieldConfigSource = {
        defaults: {
          unit: 'short',
          custom: { drawStyle: 'line', lineWidth: 2, fillOpacity: 10, showPoints: 'auto', spanNulls: false },
          // Long results become one field per series, labelled by the series column.
          ...(series ? { displayName: `\${__field.labels.${series.column}}` } : {}),
        },
        overrides: panel.values ? displayNames(panel.values) : [],
      };
      return { ...base, type: 'timeseries', targets: [target(panel.sql, 'time_series')], options: { ...options }, fieldConfig };
    }
    case 'barchart': {
      const options: BarChartOptions = {
        xField: panel.category.column,
        orientation: e<VizOrientation>('auto'),
        showValue: e<VisibilityMode>('auto'),
        stacking: e<StackingMode>('none'),
        groupWidth: 0.7,
        barWidth: 0.9,
        fullHighlight: false,
        xTickLabelRotation: 0,
        xTickLabelMaxLength: 0,
        legend,
        tooltip,
      };
      const fieldConfig: FieldConfigSource = {
        defaults: { unit: panel.percent ? 'percentunit' : 'short', mappings: mappingsFor(panel.category.codes, labels) },
        overrides: displayNames(panel.values),
      };
      return { ...base, type: 'barchart', targets: [target(panel.sql, 'table')], options: { ...options }, fieldConfig };
    }
    case 'table': {
      const options: TableOptions = { showHeader: true, frameIndex: 0 };
      const overrides: FieldConfigSource['overrides'] = Object.entries(panel.columns).map(([name, column]) => ({
        matcher: { id: 'byName', options: name },
        properties: [
          { id: 'displayName', value: column.zh },
          ...(column.codes ? [{ id: 'mappings', value: mappingsFor(column.codes, labels) }] : []),
          ...(column.format === 'datetime' ? [{ id: 'unit', value: 'dateTimeAsSystem' }] : []),
        ],
      }));
      return { ...base, type: 'table', targets: [target(panel.sql, 'table')], options: { ...options }, fieldConfig: { defaults: {}, overrides } };
    }
  }
}

function variableJson(variable: Dashboard['variables'][number], catalog: Catalog): VariableModel {
  const rawSql = variableQuery(variable, catalog);
  return {
    name: variable.name,
    label: variable.label.zh,
    type: 'query',
    datasource,
    query: { refId: `variable-${variable.name}`, queryType: 'sql', rawSql },
    definition: rawSql,
    refresh: 1,
    includeAll: true,
    multi: true,
    current: { text: ['All'], value: ['$__all'] },
    options: [],
    sort: 0,
    hide: 0,
  } as VariableModel;
}

/** The dashboard as Grafana provisions it. */
export function grafanaDashboard(dashboard: Dashboard, catalog: Catalog): GrafanaDashboard {
  const labels = labelsFor(catalog);
  return {
    uid: dashboard.uid,
    title: dashboard.title.zh,
    description: dashboard.description.zh,
    tags: dashboard.tags,
    timezone: 'Asia/Shanghai',
    editable: false,
    graphTooltip: 1,
    schemaVersion: SCHEMA_VERSION,
    version: 1,
    time: dashboard.time,
    timepicker: { quick_ranges: dashboard.presets.map((p) => ({ display: p.label.zh, from: p.from, to: p.to })) },
    ...(dashboard.refresh ? { refresh: dashboard.refresh } : {}),
    templating: { list: dashboard.variables.map((v) => variableJson(v, catalog)) },
    annotations: { list: [] },
    links: [],
    panels: dashboard.panels.map((p) => panelJson(p, labels)),
  };
}
