/**
 * SQL fragments the panels share, written for the ClickHouse plugin's macros
 * and the dashboards' variables (see ../macros.ts).
 */

/**
 * Business days of the time range. Days are calendar days in China Standard
 * Time; `$__dateFilter` would cut the range into days in the plugin's own zone
 * (UTC), eight hours off, so the day bounds come from the range's instants.
 */
export const IN_RANGE_DAYS = "day BETWEEN toDate($__fromTime, 'Asia/Shanghai') AND toDate($__toTime, 'Asia/Shanghai')";

/** Every day up to the end of the range (cumulative figures). */
export const UP_TO_RANGE_END = "day <= toDate($__toTime, 'Asia/Shanghai')";

/** The org and region (province) filters; with All selected, no condition. */
export const ORG_FILTER = '$__conditionalAll(org IN (${org:singlequote}), $org)';
export const REGION_FILTER = '$__conditionalAll(province IN (${region:singlequote}), $region)';
export const FILTERS = `${ORG_FILTER} AND ${REGION_FILTER}`;

/** A day as the time column of a time series: midnight in China Standard Time. */
export const DAY_TIME = "toDateTime(day, 'Asia/Shanghai')";

/** A stat's `value` and its `display` in 万/亿 (the migration's continuity_cn_units). */
export function figure(expression: string): string {
  return `${expression} AS value, continuity_cn_units(value) AS display`;
}

/** Drops the indentation of a template literal so the SQL reads well in Grafana's editor. */
export function sql(strings: TemplateStringsArray, ...values: string[]): string {
  const text = strings.reduce((out, s, i) => out + s + (i < values.length ? values[i] : ''), '');
  const lines = text.replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}
