/**
 * Dashboards as code: one definition per dashboard, from which both the
 * Grafana provisioning (grafana.ts) and the built-in viewer (viewer/) are made.
 * Panel SQL is written for the ClickHouse plugin (see macros.ts).
 */
import type { SeedFigureName } from '../ingest/simulator/index.ts';

/** A label in both languages of the viewer: Chinese first, English on the switch. */
export interface Text {
  zh: string;
  en: string;
}

export interface GridPos {
  /** Columns of a 24-column grid. */
  x: number;
  y: number;
  w: number;
  /** Rows of 30 px. */
  h: number;
}

/** What a column's codes are, so the viewer and Grafana can show names. */
export type Codes = 'org' | 'province' | 'service' | 'kind' | 'channel' | 'priority' | 'type' | 'online';

interface PanelBase {
  /** Stable within the dashboard: the viewer's route and Grafana's panel id. */
  id: number;
  title: Text;
  description?: Text;
  gridPos: GridPos;
  sql: string;
  /** Grafana's minimum interval for $__timeInterval / $__interval_s (e.g. 1m). */
  interval?: string;
}

export interface StatPanel extends PanelBase {
  kind: 'stat';
  /**
   * The query returns one row: `value` (a number) and `display` (the figure as
   * people read it, 116.95万). Grafana shows `display`.
   */
  unit: Text;
  /**
   * Seed figures whose sum this stat shows over the dashboard's default time
   * range with every org and region: the tests hold the stat to them.
   */
  figures?: readonly SeedFigureName[];
}

export interface TimeSeriesPanel extends PanelBase {
  kind: 'timeseries';
  /** Long form: columns `time`, the series column named here, and `value`. */
  series?: { column: string; codes?: Codes };
  /** Wide form: columns `time` and one column per series, with their labels. */
  values?: Record<string, Text>;
  unit: Text;
}

export interface BarPanel extends PanelBase {
  kind: 'barchart';
  /** The category column (x axis) and what its codes are. */
  category: { column: string; codes?: Codes };
  /** Value columns and their labels, in order. */
  values: Record<string, Text>;
  unit: Text;
  /** Values are fractions 0–1 shown as percentages. */
  percent?: boolean;
}

export interface TablePanel extends PanelBase {
  kind: 'table';
  /** Columns in order, with their labels and, for code columns, what the codes are. */
  columns: Record<string, Text & { codes?: Codes; format?: 'number' | 'cn' | 'datetime' | 'minutes' }>;
}

export type Panel = StatPanel | TimeSeriesPanel | BarPanel | TablePanel;

export interface Variable {
  /** Referenced in SQL as `$name` (conditionalAll) and `${name:singlequote}`. */
  name: 'org' | 'region';
  label: Text;
  /** Returns (value, text) rows: the options. Built from the catalog by grafana.ts. */
  codes: 'org' | 'province';
  /** What an option value looks like: values are checked before they reach a query. */
  pattern: RegExp;
}

export interface TimeOption {
  label: Text;
  from: string;
  to: string;
}

export interface Dashboard {
  uid: string;
  title: Text;
  description: Text;
  tags: string[];
  /** Default range, as Grafana writes it (ISO instants or now-…). */
  time: { from: string; to: string };
  /** Ranges offered next to the picker (Grafana's quick ranges, the viewer's presets). */
  presets: TimeOption[];
  refresh?: string;
  variables: Variable[];
  panels: Panel[];
}
