/**
 * The seed scenario's figures as the warehouse computes them: what `demo`
 * prints and what the tests hold the pipeline to.
 */
import { formatChineseUnits, formatThousands } from '../dashboards/units.ts';
import { seedFigure, type SeedFigureName } from '../ingest/simulator/index.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';

const TELECOMS = "('china-telecom', 'china-unicom', 'china-mobile')";

export interface SeedFigureQuery {
  key: SeedFigureName;
  label: string;
  label_zh: string;
  /** What the seed scenario puts in (SEED_FIGURES): the warehouse must give exactly this. */
  expected: number;
  sql: string;
}

const queries: Omit<SeedFigureQuery, 'expected'>[] = [
  {
    key: 'telecom_suspension_waived',
    label: 'suspension waived, three telecom operators (person-times)',
    label_zh: '免停机（人次）',
    sql: `SELECT sum(quantity) AS value FROM events WHERE type = 'suspension.waived' AND org IN ${TELECOMS}`,
  },
  {
    key: 'telecom_disconnection_deferred',
    label: 'disconnection deferred, three telecom operators (person-times)',
    label_zh: '缓停机（人次）',
    sql: `SELECT sum(quantity) AS value FROM events WHERE type = 'disconnection.deferred' AND org IN ${TELECOMS}`,
  },
  {
    key: 'sgcc_online_payments',
    label: 'State Grid online payments, 24 Jan – 1 Feb 2020',
    label_zh: '国家电网线上缴费（笔）',
    sql: `SELECT sum(quantity) AS value FROM events WHERE type = 'online.transaction' AND org = 'sgcc' AND data.kind::String = 'payment' AND day BETWEEN '2020-01-24' AND '2020-02-01'`,
  },
  {
    key: 'sgcc_service_tickets',
    label: 'State Grid online service tickets, 24 Jan – 1 Feb 2020',
    label_zh: '国家电网在线客服工单（件）',
    sql: `SELECT sum(quantity) AS value FROM events WHERE type = 'online.transaction' AND org = 'sgcc' AND data.kind::String = 'service_ticket' AND day BETWEEN '2020-01-24' AND '2020-02-01'`,
  },
  {
    key: 'sgcc_app_registrations',
    label: 'State Grid app registrations, cumulative',
    label_zh: '网上国网累计注册用户',
    sql: `SELECT sum(quantity) AS value FROM events WHERE type = 'online.transaction' AND org = 'sgcc' AND data.kind::String = 'registration' AND day <= '2020-02-01'`,
  },
  {
    key: 'crgas_wuhan_business',
    label: 'China Resources Gas business handled, Wuhan, Spring Festival',
    label_zh: '华润燃气武汉春节期间受理业务（笔）',
    sql: `SELECT sum(quantity) AS value FROM events WHERE type = 'online.transaction' AND org = 'cr-gas' AND region = '420100' AND data.kind::String = 'business'`,
  },
  {
    key: 'crgas_hubei_repairs',
    label: 'China Resources Gas leak and repair jobs, Hubei',
    label_zh: '华润燃气湖北户内漏气和维修（起）',
    sql: `SELECT uniqExact(data.order_id::String) AS value FROM events WHERE type = 'repair.completed' AND org = 'cr-gas' AND startsWith(region, '42')`,
  },
  {
    key: 'late_fee_waivers_guangdong_shenzhen',
    label: 'late fees waived, Guangdong Power and Shenzhen (CNY)',
    label_zh: '广东电网、深圳供电局减免违约金（元）',
    sql: `SELECT round(sum(data.amount_cny::Float64), 2) AS value FROM events WHERE type = 'late_fee.waived' AND org IN ('csg-gd', 'csg-sz')`,
  },
  {
    key: 'sgcc_sh_no_disconnection_2022',
    label: 'no disconnection for arrears, State Grid Shanghai, April 2022',
    label_zh: '国网上海欠费不停电（2022年4月，户次）',
    sql: `SELECT sum(quantity) AS value FROM events WHERE type = 'suspension.waived' AND org = 'sgcc-sh' AND day BETWEEN '2022-04-01' AND '2022-04-30'`,
  },
];

export const seedFigureQueries: SeedFigureQuery[] = queries.map((q) => ({ ...q, expected: seedFigure(q.key).value }));

export interface SeedFigure extends SeedFigureQuery {
  value: number;
}

export async function computeSeedFigures(warehouse: Warehouse): Promise<SeedFigure[]> {
  const out: SeedFigure[] = [];
  for (const q of seedFigureQueries) {
    const [row] = await warehouse.rows<{ value: number | string | null }>(q.sql);
    out.push({ ...q, value: Number(row?.value ?? 0) });
  }
  return out;
}

export function renderSeedSummary(figures: SeedFigure[]): string {
  const lines = ['Seed figures, computed by ClickHouse:'];
  for (const f of figures) {
    const check = f.value === f.expected ? '✓' : '✗';
    const chinese = f.value >= 1e4 ? ` (${formatChineseUnits(f.value)})` : '';
    lines.push(`  ${check} ${formatThousands(f.value).padStart(15)}${chinese.padEnd(12)} ${f.label} · ${f.label_zh}`);
  }
  return lines.join('\n');
}
