/**
 * The panels' SQL is written for Grafana and the official ClickHouse plugin
 * (grafana-clickhouse-datasource 4.x): dashboard variables (`${org:singlequote}`),
 * the frontend macro `$__conditionalAll(cond, $var)` and the backend macros
 * (`$__timeFilter(col)`, `$__fromTime`, `$__timeInterval(col)`, …). This module
 * expands them two ways:
 *
 * - `expandLikeGrafana`: the text Grafana and the plugin send to ClickHouse,
 *   step for step (conditionalAll, then template variables with Grafana's
 *   formatters, then the backend macros). The tests run it against the
 *   warehouse, so what Grafana would show is what is tested.
 * - `expandWithParameters`: the same SQL with every filter value and time
 *   bound bound as a ClickHouse query parameter (`{v_org:Array(String)}`), for
 *   the service, which never writes a caller's value into SQL text. A test holds
 *   the two expansions to the same results.
 */
import { ContinuityError } from '../errors/registry.ts';

/** Instants in epoch milliseconds, both inclusive, as Grafana's time picker gives them. */
export interface TimeRange {
  from: number;
  to: number;
}

/** A dashboard variable's selection: every option (`$__all`) or the values chosen. */
export type VariableSelection = { all: true } | { all: false; values: readonly string[] };

export interface QueryContext {
  range: TimeRange;
  /** Grafana's $__interval in ms (see `intervalFor`). */
  intervalMs: number;
  /** Selection of each dashboard variable, by name; a variable not listed is left in the text. */
  variables: Readonly<Record<string, VariableSelection>>;
  /** Option values of each variable: what Grafana substitutes for `$__all` outside conditionalAll. */
  options?: Readonly<Record<string, readonly string[]>>;
}

export interface ParameterizedQuery {
  sql: string;
  params: Record<string, string | number | string[]>;
}

// ------------------------------------------------------------------ frontend

/**
 * The plugin's `applyConditionalAll`: from the last occurrence backwards,
 * `$__conditionalAll(cond, $var)` becomes `1=1` when the variable is All (or
 * nothing is selected), the condition otherwise.
 */
export function applyConditionalAll(sql: string, variables: QueryContext['variables']): string {
  const macro = '$__conditionalAll(';
  let at = sql.lastIndexOf(macro);
  while (at !== -1) {
    const args = macroArgsByBrackets(sql, at + macro.length - 1);
    if (args.length !== 2) return sql;
    const name = /(?<=\$\{)[\w\d]+(?=\})|(?<=\$)[\w\d]+/.exec(args[1].trim())?.[0];
    let phrase = args[0];
    if (name !== undefined) {
      const selection = variables[name];
      if (selection !== undefined && (selection.all || selection.values.length === 0)) phrase = '1=1';
    }
    sql = sql.replace(`${macro}${args[0]},${args[1]})`, phrase);
    at = sql.lastIndexOf(macro);
  }
  return sql;
}

/** The plugin's getMacroArgs: arguments split at top-level commas, by counting brackets only. */
function macroArgsByBrackets(sql: string, openAt: number): string[] {
  const args: string[] = [];
  const text = sql.substring(openAt);
  const re = /\(|\)|,/g;
  let depth = 0;
  let start = 1;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0] === '(') depth++;
    else if (m[0] === ')') depth--;
    if (m[0] === ',' && depth === 1) {
      args.push(text.substring(start, re.lastIndex - 1));
      start = re.lastIndex;
    }
    if (depth === 0) {
      args.push(text.substring(start, re.lastIndex - 1));
      return args;
    }
  }
  return [];
}

/** Grafana's template variable syntax: `$var`, `[[var]]`, `[[var:fmt]]`, `${var}`, `${var:fmt}`. */
const VARIABLE_REFERENCE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

function selectedValues(name: string, context: QueryContext): string[] | null {
  const selection = context.variables[name];
  if (selection === undefined) return null;
  if (!selection.all) return [...selection.values];
  const options = context.options?.[name];
  if (options === undefined) throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `$${name} is All and used outside $__conditionalAll, but its options are not known`);
  return [...options];
}

/** Grafana's formatters for the formats the dashboards use. */
function formatValues(values: string[], format: string | undefined): string {
  switch (format) {
    case undefined:
      // The plugin's own format function: several values quoted, one value as it is.
      return values.length === 1 ? values[0] : `'${values.join("','")}'`;
    case 'singlequote':
      return values.map((v) => `'${v.replace(/'/g, "\\'")}'`).join(',');
    case 'doublequote':
      return values.map((v) => `"${v.replace(/"/g, '\\"')}"`).join(',');
    case 'sqlstring':
      return values.map((v) => `'${v.replace(/'/g, "''")}'`).join(',');
    case 'csv':
      return values.join(',');
    case 'raw':
      return values.join(',');
    default:
      throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `variable format "${format}" is not supported here`);
  }
}

/** templateSrv.replace with the plugin's format function. */
export function replaceVariables(sql: string, context: QueryContext): string {
  return sql.replace(VARIABLE_REFERENCE, (match, bare?: string, bracket?: string, bracketFormat?: string, braced?: string, _field?: string, bracedFormat?: string) => {
    const name = bare ?? bracket ?? braced!;
    const values = selectedValues(name, context);
    if (values === null) return match;
    return formatValues(values, bracketFormat ?? bracedFormat);
  });
}

// ------------------------------------------------------------------ backend

/** sqlds' parseArgs: a bracketed list right after the macro name, split at depth-1 commas, trimmed. */
function parseArgs(text: string): { args: string[]; length: number } | null {
  if (!text.startsWith('(')) return { args: [], length: 0 };
  const args: string[] = [];
  let depth = 0;
  let arg = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') {
      depth++;
      if (depth === 1) continue;
    } else if (c === ')') {
      depth--;
      if (depth === 0) {
        args.push(arg.trim());
        return { args, length: i + 1 };
      }
    } else if (c === ',' && depth === 1) {
      args.push(arg.trim());
      arg = '';
      continue;
    }
    arg += c;
  }
  return null;
}

type MacroFunction = (args: string[]) => string;

/** Each backend macro, given how to write a time bound: as a literal (Grafana) or a parameter (service). */
function backendMacros(bound: {
  fromS: string;
  toS: string;
  fromMs: string;
  toMs: string;
  fromDate: string;
  toDate: string;
  intervalS: string;
  intervalMs: string;
}): Record<string, MacroFunction> {
  const one = (name: string, args: string[]) => {
    if (args.length !== 1) throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `$__${name} expects 1 argument, received ${args.length}`);
    return args[0];
  };
  return {
    fromTime: () => `toDateTime(${bound.fromS})`,
    toTime: () => `toDateTime(${bound.toS})`,
    fromTime_ms: () => `fromUnixTimestamp64Milli(${bound.fromMs})`,
    toTime_ms: () => `fromUnixTimestamp64Milli(${bound.toMs})`,
    timeFilter: (a) => {
      const c = one('timeFilter', a);
      return `${c} >= toDateTime(${bound.fromS}) AND ${c} <= toDateTime(${bound.toS})`;
    },
    timeFilter_ms: (a) => {
      const c = one('timeFilter_ms', a);
      return `${c} >= fromUnixTimestamp64Milli(${bound.fromMs}) AND ${c} <= fromUnixTimestamp64Milli(${bound.toMs})`;
    },
    dateFilter: (a) => {
      const c = one('dateFilter', a);
      return `${c} >= toDate(${bound.fromDate}) AND ${c} <= toDate(${bound.toDate})`;
    },
    timeInterval: (a) => `toStartOfInterval(toDateTime(${one('timeInterval', a)}), INTERVAL ${bound.intervalS} second)`,
    timeInterval_ms: (a) => `toStartOfInterval(toDateTime64(${one('timeInterval_ms', a)}, 3), INTERVAL ${bound.intervalMs} millisecond)`,
    interval_s: () => bound.intervalS,
  };
}

function applyBackendMacros(sql: string, macros: Record<string, MacroFunction>): string {
  for (const [name, fn] of Object.entries(macros)) {
    const re = new RegExp(`\\$__${name}\\b`, 'g');
    let out = '';
    let last = 0;
    for (let m = re.exec(sql); m !== null; m = re.exec(sql)) {
      const parsed = parseArgs(sql.substring(re.lastIndex));
      if (parsed === null) throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `$__${name}: missing closing bracket`);
      out += sql.substring(last, m.index) + fn(parsed.args);
      last = re.lastIndex + parsed.length;
      re.lastIndex = last;
    }
    sql = out + sql.substring(last);
  }
  return sql;
}

/** Go's time.Unix(): whole seconds, rounded down. */
const seconds = (ms: number) => Math.floor(ms / 1000);
/** The plugin formats dates in its process's zone: UTC in Grafana's container. */
const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const intervalSeconds = (ms: number) => Math.max(Math.floor(ms / 1000), 1);

// ------------------------------------------------------------------ the two expansions

/** The SQL text Grafana and the ClickHouse plugin send for this panel SQL and dashboard state. */
export function expandLikeGrafana(sql: string, context: QueryContext): string {
  let text = applyConditionalAll(sql, context.variables);
  text = replaceVariables(text, context);
  const { from, to } = context.range;
  return applyBackendMacros(
    text,
    backendMacros({
      fromS: String(seconds(from)),
      toS: String(seconds(to)),
      fromMs: String(from),
      toMs: String(to),
      fromDate: `'${utcDate(from)}'`,
      toDate: `'${utcDate(to)}'`,
      intervalS: String(intervalSeconds(context.intervalMs)),
      intervalMs: String(Math.max(context.intervalMs, 1)),
    }),
  );
}

/**
 * The same query with values bound as parameters. Variables may appear only
 * as `${name:singlequote}` inside a list, e.g. `org IN (${org:singlequote})`;
 * anything else is refused rather than written into the text.
 */
export function expandWithParameters(sql: string, context: QueryContext): ParameterizedQuery {
  const params: ParameterizedQuery['params'] = {};
  let text = applyConditionalAll(sql, context.variables);
  text = text.replace(VARIABLE_REFERENCE, (match, bare?: string, bracket?: string, bracketFormat?: string, braced?: string, _field?: string, bracedFormat?: string) => {
    const name = bare ?? bracket ?? braced!;
    if (context.variables[name] === undefined) return match;
    if (braced === undefined || bracedFormat !== 'singlequote') {
      throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `panel SQL uses ${match}; write a variable as \${${name}:singlequote} inside IN (…)`);
    }
    params[`v_${name}`] = selectedValues(name, context)!;
    return `{v_${name}:Array(String)}`;
  });
  const { from, to } = context.range;
  Object.assign(params, {
    __from_s: seconds(from),
    __to_s: seconds(to),
    __from_ms: from,
    __to_ms: to,
    __from_date: utcDate(from),
    __to_date: utcDate(to),
    __interval_s: intervalSeconds(context.intervalMs),
    __interval_ms: Math.max(context.intervalMs, 1),
  });
  text = applyBackendMacros(
    text,
    backendMacros({
      fromS: '{__from_s:Int64}',
      toS: '{__to_s:Int64}',
      fromMs: '{__from_ms:Int64}',
      toMs: '{__to_ms:Int64}',
      fromDate: '{__from_date:String}',
      toDate: '{__to_date:String}',
      intervalS: '{__interval_s:UInt32}',
      intervalMs: '{__interval_ms:UInt32}',
    }),
  );
  // Only the parameters the text uses: ClickHouse refuses none, but the request stays readable.
  for (const key of Object.keys(params)) if (!text.includes(`{${key}:`)) delete params[key];
  return { sql: text, params };
}

// ------------------------------------------------------------------ time

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A time as Grafana's picker writes it: `now`, `now-6h`, `now-7d` (s, m, h, d,
 * w), an ISO-8601 instant or date-time with an offset, or epoch milliseconds.
 */
export function parseTime(text: string, now: number): number {
  const t = text.trim();
  const relative = /^now(?:([+-])(\d+)([smhdw]))?$/.exec(t);
  if (relative) {
    if (relative[1] === undefined) return now;
    const delta = Number(relative[2]) * UNIT_MS[relative[3]];
    return relative[1] === '-' ? now - delta : now + delta;
  }
  if (/^\d{10,16}$/.test(t)) return Number(t);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new ContinuityError('CONT_ERR_DASHBOARD_FILTER', `time "${text}" is not understood: use now, now-6h, now-7d, an ISO-8601 time with an offset (2020-01-24T00:00:00+08:00) or epoch milliseconds`);
}

/** Grafana's roundInterval: the "nice" interval nearest below a raw one, in ms. */
export function roundInterval(ms: number): number {
  const steps: Array<[below: number, use: number]> = [
    [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500], [1_500, 1_000], [3_500, 2_000], [7_500, 5_000],
    [12_500, 10_000], [17_500, 15_000], [25_000, 20_000], [45_000, 30_000], [90_000, 60_000], [210_000, 120_000],
    [450_000, 300_000], [750_000, 600_000], [1_050_000, 900_000], [1_500_000, 1_200_000], [2_700_000, 1_800_000],
    [5_400_000, 3_600_000], [9_000_000, 7_200_000], [16_200_000, 10_800_000], [32_400_000, 21_600_000],
    [86_400_000, 43_200_000], [604_800_000, 86_400_000], [1_814_400_000, 604_800_000], [3_628_800_000, 2_592_000_000],
  ];
  for (const [below, use] of steps) if (ms < below) return use;
  return 31_536_000_000;
}

/** `1m` → 60000: Grafana's interval strings (ms, s, m, h, d, w). */
export function intervalToMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m) throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `interval "${text}" is not understood (e.g. 1m, 1h, 1d)`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : UNIT_MS[m[2]]);
}

/** Grafana's calculateInterval: range ÷ data points, rounded, never below the panel's minimum interval. */
export function intervalFor(range: TimeRange, maxDataPoints: number, minInterval?: string): number {
  const rounded = roundInterval((range.to - range.from) / Math.max(1, maxDataPoints));
  const low = minInterval === undefined ? 1 : intervalToMs(minInterval);
  return Math.max(rounded, low);
}
