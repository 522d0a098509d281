/**
 * 服务保障承诺总览 — whether the commitments were kept: totals per commitment
 * with the figures of the source articles, daily trends, by org and region,
 * repair times and overdue repairs, the online share of transactions.
 */
import type { Dashboard, Panel } from '../model.ts';
import { DAY_TIME, figure, FILTERS, IN_RANGE_DAYS, ORG_FILTER, REGION_FILTER, sql, UP_TO_RANGE_END } from './sql.ts';
import { orgVariable, regionVariable } from './variables.ts';

const stat = (x: number, y: number) => ({ x, y, w: 4, h: 4 });

const commitmentTotal = (where: string) => sql`
  SELECT ${figure('sum(quantity)')}
  FROM commitments_daily
  WHERE ${where}
    AND ${IN_RANGE_DAYS}
    AND ${FILTERS}`;

const panels: Panel[] = [
  // ---------------------------------------------------------------- commitments kept despite arrears
  {
    kind: 'stat',
    id: 1,
    title: { zh: '免停机', en: 'Suspension waived (telecom)' },
    description: { zh: '三大电信运营商为欠费用户免停机（人次）', en: 'Telecom customers in arrears kept connected (person-times)' },
    unit: { zh: '人次', en: 'person-times' },
    gridPos: stat(0, 0),
    figures: ['telecom_suspension_waived'],
    sql: commitmentTotal("type = 'suspension.waived' AND service = 'telecom'"),
  },
  {
    kind: 'stat',
    id: 2,
    title: { zh: '缓停机', en: 'Disconnection deferred (telecom)' },
    description: { zh: '三大电信运营商缓停机（人次）', en: 'Telecom disconnections deferred (person-times)' },
    unit: { zh: '人次', en: 'person-times' },
    gridPos: stat(4, 0),
    figures: ['telecom_disconnection_deferred'],
    sql: commitmentTotal("type = 'disconnection.deferred'"),
  },
  {
    kind: 'stat',
    id: 3,
    title: { zh: '欠费不停电', en: 'No disconnection for arrears (power)' },
    description: { zh: '电网企业对欠费用户不停电（户次）', en: 'Power customers in arrears kept supplied (households)' },
    unit: { zh: '户次', en: 'households' },
    gridPos: stat(8, 0),
    figures: ['sgcc_no_disconnection_2020', 'csg_no_disconnection_2020'],
    sql: commitmentTotal("type = 'suspension.waived' AND service = 'power'"),
  },
  {
    kind: 'stat',
    id: 4,
    title: { zh: '不计违约金', en: 'Late fees not charged' },
    description: { zh: '不计或减免电费违约金（户次）', en: 'Bills whose late fee was waived (households)' },
    unit: { zh: '户次', en: 'households' },
    gridPos: stat(12, 0),
    figures: ['csg_gd_late_fee_waived', 'csg_sz_late_fee_waived'],
    sql: commitmentTotal("type = 'late_fee.waived'"),
  },
  {
    kind: 'stat',
    id: 5,
    title: { zh: '减免违约金金额', en: 'Late fees waived (amount)' },
    description: { zh: '减免的违约金合计（元）', en: 'Late fees waived in total (yuan)' },
    unit: { zh: '元', en: 'yuan' },
    gridPos: stat(16, 0),
    figures: ['late_fee_waivers_guangdong_shenzhen'],
    sql: sql`
      SELECT ${figure('sum(amount_cny)')}
      FROM commitments_daily
      WHERE type = 'late_fee.waived'
        AND ${IN_RANGE_DAYS}
        AND ${FILTERS}`,
  },
  {
    kind: 'stat',
    id: 6,
    title: { zh: '受理业务', en: 'Business handled' },
    description: { zh: '营业厅、热线、自助终端和线上受理的业务（笔）', en: 'Business handled at counters, hotlines, terminals and online (transactions)' },
    unit: { zh: '笔', en: 'transactions' },
    gridPos: stat(20, 0),
    figures: ['crgas_wuhan_business'],
    sql: commitmentTotal("type = 'online.transaction' AND kind = 'business'"),
  },
  // ---------------------------------------------------------------- online, repairs
  {
    kind: 'stat',
    id: 7,
    title: { zh: '线上缴费', en: 'Online payments' },
    unit: { zh: '笔', en: 'payments' },
    gridPos: stat(0, 4),
    figures: ['sgcc_online_payments'],
    sql: commitmentTotal("type = 'online.transaction' AND kind = 'payment'"),
  },
  {
    kind: 'stat',
    id: 8,
    title: { zh: '在线客服工单', en: 'Online service tickets' },
    unit: { zh: '件', en: 'tickets' },
    gridPos: stat(4, 4),
    figures: ['sgcc_service_tickets'],
    sql: commitmentTotal("type = 'online.transaction' AND kind = 'service_ticket'"),
  },
  {
    kind: 'stat',
    id: 9,
    title: { zh: '累计注册用户', en: 'App registrations (cumulative)' },
    description: { zh: '截至所选时段末的累计注册用户', en: 'Registered users up to the end of the time range' },
    unit: { zh: '人', en: 'users' },
    gridPos: stat(8, 4),
    figures: ['sgcc_app_registrations'],
    sql: sql`
      SELECT ${figure('sum(quantity)')}
      FROM commitments_daily
      WHERE type = 'online.transaction' AND kind = 'registration'
        AND ${UP_TO_RANGE_END}
        AND ${FILTERS}`,
  },
  {
    kind: 'stat',
    id: 10,
    title: { zh: '线上办理占比', en: 'Online share' },
    description: {
      zh: '缴费、客服工单和业务受理中经 App、微信、网站办理的比例（不含注册）',
      en: 'Share of payments, service tickets and business handled through the app, WeChat or the web (registrations excluded)',
    },
    unit: { zh: '', en: '' },
    gridPos: stat(12, 4),
    sql: sql`
      SELECT sumIf(quantity, online) / sum(quantity) AS value,
             if(isFinite(value), concat(toString(round(100 * value, 1)), '%'), '—') AS display
      FROM online_transactions_daily
      WHERE kind != 'registration'
        AND ${IN_RANGE_DAYS}
        AND ${FILTERS}`,
  },
  {
    kind: 'stat',
    id: 11,
    title: { zh: '抢修完成', en: 'Repairs completed' },
    description: { zh: '所选时段内报修并已完成的抢修和维修工单（起）', en: 'Repair orders reported in the range and completed' },
    unit: { zh: '起', en: 'orders' },
    gridPos: stat(16, 4),
    figures: ['crgas_hubei_repairs'],
    sql: sql`
      SELECT ${figure('countIf(completed_at IS NOT NULL)')}
      FROM repair_orders
      WHERE ${IN_RANGE_DAYS}
        AND ${FILTERS}`,
  },
  {
    kind: 'stat',
    id: 12,
    title: { zh: '超时抢修', en: 'Overdue repairs' },
    description: {
      zh: '到场超过时限的工单：紧急 60 分钟、一般 120 分钟（自报修起）',
      en: 'Orders whose crew arrived later than the limit: 60 minutes urgent, 120 normal, from the report',
    },
    unit: { zh: '起', en: 'orders' },
    gridPos: stat(20, 4),
    sql: sql`
      SELECT ${figure('countIf(overdue)')}
      FROM repair_orders
      WHERE ${IN_RANGE_DAYS}
        AND ${FILTERS}`,
  },
  // ---------------------------------------------------------------- daily trends
  {
    kind: 'timeseries',
    id: 13,
    title: { zh: '每日欠费不停（按行业）', en: 'Kept connected despite arrears, per day (by sector)' },
    unit: { zh: '人次/户次', en: 'person-times / households' },
    gridPos: { x: 0, y: 8, w: 12, h: 8 },
    series: { column: 'service', codes: 'service' },
    sql: sql`
      SELECT ${DAY_TIME} AS time, service, sum(quantity) AS value
      FROM commitments_daily
      WHERE type = 'suspension.waived'
        AND ${IN_RANGE_DAYS}
        AND ${FILTERS}
      GROUP BY time, service
      ORDER BY time, service`,
  },
  {
    kind: 'timeseries',
    id: 14,
    title: { zh: '每日缓停机（按单位）', en: 'Disconnections deferred per day (by org)' },
    unit: { zh: '人次', en: 'person-times' },
    gridPos: { x: 12, y: 8, w: 12, h: 8 },
    series: { column: 'org', codes: 'org' },
    sql: sql`
      SELECT ${DAY_TIME} AS time, org, sum(quantity) AS value
      FROM commitments_daily
      WHERE type = 'disconnection.deferred'
        AND ${IN_RANGE_DAYS}
        AND ${FILTERS}
      GROUP BY time, org
      ORDER BY time, org`,
  },
  {
    kind: 'timeseries',
    id: 15,
    title: { zh: '每日线上及受理业务（按类型）', en: 'Transactions per day (by kind)' },
    unit: { zh: '笔', en: 'transactions' },
    gridPos: { x: 0, y: 16, w: 12, h: 8 },
    series: { column: 'kind', codes: 'kind' },
    sql: sql`
      SELECT ${DAY_TIME} AS time, kind, sum(quantity) AS value
      FROM online_transactions_daily
      WHERE kind != 'registration'
        AND ${IN_RANGE_DAYS}
        AND ${FILTERS}
      GROUP BY time, kind
      ORDER BY time, kind`,
  },
  {
    kind: 'barchart',
    id: 16,
    title: { zh: '线上办理占比（按单位）', en: 'Online share (by org)' },
    unit: { zh: '', en: '' },
    percent: true,
    gridPos: { x: 12, y: 16, w: 12, h: 8 },
    category: { column: 'org', codes: 'org' },
    values: { online_share: { zh: '线上占比', en: 'Online share' } },
    sql: sql`
      SELECT org, sumIf(quantity, online) / sum(quantity) AS online_share
      FROM online_transactions_daily
      WHERE kind != 'registration'
        AND ${IN_RANGE_DAYS}
        AND ${FILTERS}
      GROUP BY org
      ORDER BY online_share DESC, org`,
  },
  // ---------------------------------------------------------------- by org, by region
  {
    kind: 'table',
    id: 17,
    title: { zh: '按单位汇总', en: 'By org' },
    gridPos: { x: 0, y: 24, w: 12, h: 9 },
    columns: {
      org: { zh: '单位', en: 'Org', codes: 'org' },
      kept_connected: { zh: '欠费不停（人次/户次）', en: 'Kept connected', format: 'cn' },
      deferred: { zh: '缓停（人次）', en: 'Deferred', format: 'cn' },
      late_fees_waived: { zh: '不计违约金（户次）', en: 'Late fees waived', format: 'cn' },
      transactions: { zh: '缴费、工单及受理（笔）', en: 'Transactions', format: 'cn' },
      repairs: { zh: '抢修（起）', en: 'Repairs', format: 'number' },
    },
    sql: sql`
      SELECT org,
             sumIf(quantity, type = 'suspension.waived') AS kept_connected,
             sumIf(quantity, type = 'disconnection.deferred') AS deferred,
             sumIf(quantity, type = 'late_fee.waived') AS late_fees_waived,
             sumIf(quantity, type = 'online.transaction' AND kind != 'registration') AS transactions,
             sumIf(quantity, type = 'repair.completed') AS repairs
      FROM commitments_daily
      WHERE ${IN_RANGE_DAYS}
        AND ${FILTERS}
      GROUP BY org
      ORDER BY org`,
  },
  {
    kind: 'barchart',
    id: 18,
    title: { zh: '按地区：欠费不停（前 15 个省份）', en: 'Kept connected despite arrears, by province (top 15)' },
    unit: { zh: '人次/户次', en: 'person-times / households' },
    gridPos: { x: 12, y: 24, w: 12, h: 9 },
    category: { column: 'province', codes: 'province' },
    values: { kept_connected: { zh: '欠费不停', en: 'Kept connected' } },
    sql: sql`
      SELECT province, sum(quantity) AS kept_connected
      FROM commitments_daily
      WHERE type = 'suspension.waived'
        AND ${IN_RANGE_DAYS}
        AND ${FILTERS}
      GROUP BY province
      ORDER BY kept_connected DESC, province
      LIMIT 15`,
  },
  // ---------------------------------------------------------------- repairs
  {
    kind: 'barchart',
    id: 19,
    title: { zh: '抢修到场时间（分钟）', en: 'Minutes to arrive' },
    description: { zh: '自报修至到场；时限：紧急 60 分钟，一般 120 分钟', en: 'From report to arrival; limits: 60 minutes urgent, 120 normal' },
    unit: { zh: '分钟', en: 'minutes' },
    gridPos: { x: 0, y: 33, w: 8, h: 8 },
    category: { column: 'priority', codes: 'priority' },
    values: {
      average: { zh: '平均', en: 'Average' },
      p90: { zh: '90% 工单以内', en: '90th percentile' },
      limit_minutes: { zh: '时限', en: 'Limit' },
    },
    sql: sql`
      SELECT priority,
             round(avg(minutes_to_arrive), 1) AS average,
             round(quantileExact(0.9)(minutes_to_arrive), 1) AS p90,
             any(arrive_limit_minutes) AS limit_minutes
      FROM repair_orders
      WHERE arrived_at IS NOT NULL
        AND ${IN_RANGE_DAYS}
        AND ${FILTERS}
      GROUP BY priority
      ORDER BY priority DESC`,
  },
  {
    kind: 'timeseries',
    id: 20,
    title: { zh: '每日抢修与超时', en: 'Repairs and overdue repairs per day' },
    unit: { zh: '起', en: 'orders' },
    gridPos: { x: 8, y: 33, w: 8, h: 8 },
    values: {
      completed: { zh: '完成', en: 'Completed' },
      overdue: { zh: '超时', en: 'Overdue' },
    },
    sql: sql`
      SELECT ${DAY_TIME} AS time, countIf(completed_at IS NOT NULL) AS completed, countIf(overdue) AS overdue
      FROM repair_orders
      WHERE ${IN_RANGE_DAYS}
        AND ${FILTERS}
      GROUP BY time
      ORDER BY time`,
  },
  {
    kind: 'table',
    id: 21,
    title: { zh: '超时抢修工单（到场最慢的 100 单）', en: 'Overdue repair orders (slowest 100)' },
    gridPos: { x: 16, y: 33, w: 8, h: 8 },
    columns: {
      order_id: { zh: '工单', en: 'Order' },
      org: { zh: '单位', en: 'Org', codes: 'org' },
      priority: { zh: '优先级', en: 'Priority', codes: 'priority' },
      minutes_to_arrive: { zh: '到场（分钟）', en: 'Minutes to arrive', format: 'minutes' },
      arrive_limit_minutes: { zh: '时限（分钟）', en: 'Limit (minutes)', format: 'number' },
    },
    sql: sql`
      SELECT order_id, org, priority, round(minutes_to_arrive, 1) AS minutes_to_arrive, arrive_limit_minutes
      FROM repair_orders
      WHERE overdue
        AND ${IN_RANGE_DAYS}
        AND ${ORG_FILTER}
        AND ${REGION_FILTER}
      ORDER BY minutes_to_arrive DESC, order_id
      LIMIT 100`,
  },
];

export const overview: Dashboard = {
  uid: 'continuity-overview',
  title: { zh: '服务保障承诺总览', en: 'Service-continuity commitments' },
  description: {
    zh: '欠费不停电、不停机、不停气，缓停机，减免违约金，线上办理和抢修：承诺是否兑现，按单位、地区和日期',
    en: 'No disconnection for arrears, deferrals, late fees waived, business online and repairs: were the commitments kept, by org, region and day',
  },
  tags: ['continuity', 'oversight'],
  // 20 January – 29 February 2020, China Standard Time: the epidemic window of the source articles.
  time: { from: '2020-01-19T16:00:00.000Z', to: '2020-02-29T15:59:59.999Z' },
  presets: [
    { label: { zh: '2020年1月20日–2月29日', en: '20 Jan – 29 Feb 2020' }, from: '2020-01-19T16:00:00.000Z', to: '2020-02-29T15:59:59.999Z' },
    { label: { zh: '2020年1月24日–2月1日', en: '24 Jan – 1 Feb 2020' }, from: '2020-01-23T16:00:00.000Z', to: '2020-02-01T15:59:59.999Z' },
    { label: { zh: '2022年4月', en: 'April 2022' }, from: '2022-03-31T16:00:00.000Z', to: '2022-04-30T15:59:59.999Z' },
    { label: { zh: '2019年至今', en: '2019 to now' }, from: '2018-12-31T16:00:00.000Z', to: 'now' },
  ],
  variables: [orgVariable, regionVariable],
  panels,
};
