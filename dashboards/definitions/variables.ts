/**
 * The dashboards' variables: org and region (a province, with everything in
 * it). Their options are the codes present in the warehouse, named from the
 * catalog in Chinese (Grafana's dropdown shows the name, queries get the code).
 */
import type { Catalog } from '../../schemas/index.ts';
import { labelsFor } from '../labels.ts';
import type { Variable } from '../model.ts';
import { quoteString } from '../../warehouse/sql-literal.ts';

export const orgVariable: Variable = {
  name: 'org',
  label: { zh: '单位', en: 'Org' },
  codes: 'org',
  pattern: /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/,
};

export const regionVariable: Variable = {
  name: 'region',
  label: { zh: '地区', en: 'Region' },
  codes: 'province',
  pattern: /^\d{2}0000$/,
};

/** The variable's query: rows of (value, text), as the ClickHouse plugin reads variable options. */
export function variableQuery(variable: Variable, catalog: Catalog): string {
  const names = labelsFor(catalog)[variable.codes];
  const codes = Object.keys(names);
  const column = variable.codes === 'org' ? 'org' : 'province';
  const source =
    variable.codes === 'org'
      ? 'SELECT DISTINCT org FROM daily_rollups'
      : "SELECT DISTINCT concat(substring(region, 1, 2), '0000') AS province FROM daily_rollups";
  return [
    `SELECT ${column} AS value,`,
    `       transform(${column}, [${codes.map((c) => quoteString(c)).join(', ')}],`,
    `                 [${codes.map((c) => quoteString(names[c].zh)).join(', ')}], ${column}) AS text`,
    `FROM (${source})`,
    'ORDER BY value',
  ].join('\n');
}
