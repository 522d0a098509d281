/**
 * The figures the seed scenario reproduces, defined once: the scenario is
 * built to hit them, its tests measure the events against them, and the demo
 * prints them.
 *
 * `published: true` figures are the ones printed in the source articles
 * (seeds/003_…: Jan–Feb 2020; seeds/000_…: Apr 2022). The articles report the
 * other commitments without a number; their values here are the scenario's own
 * illustrative choice, so that dashboards have something to show.
 */
import type { ContinuityEvent, EventType, Service } from '../../schemas/index.ts';
import { cstDayOf } from './time.ts';

export type FigureMeasure =
  /** Sum of `quantity` (person-times, transactions, customers). */
  | 'quantity'
  /** Distinct `data.order_id` of the matching events. */
  | 'distinct_orders'
  /** Sum of `data.amount_cny` in yuan; the scenario writes whole fen (cents) so the sum is exact. */
  | 'amount_cny';

export interface SeedFigure {
  /** Stable key, snake_case. */
  name: string;
  label: string;
  label_zh: string;
  /** The exact total of the seed scenario. */
  value: number;
  /** As people reading Chinese read it: 116.95万, 17.48亿. */
  display: string;
  /** Unit of the count in Chinese (人次, 笔, 件, 起, 户次, 元). */
  unit_zh: string;
  published: boolean;
  measure: FigureMeasure;
  type: EventType;
  orgs: readonly string[];
  filter: {
    service?: Service;
    kind?: string;
    channel?: string;
    /** Exact region codes. */
    regions?: readonly string[];
    /** A province code: the province and everything in it. */
    province?: string;
  };
  /** Calendar days in China Standard Time, both inclusive; `from: null` means since records began. */
  window: { from: string | null; to: string };
  /** What the source says, in its words. */
  source_zh: string;
}

const TELECOMS = ['china-telecom', 'china-unicom', 'china-mobile'] as const;

export const SEED_FIGURES = [
  {
    name: 'telecom_suspension_waived',
    label: 'suspension waived, three telecom operators',
    label_zh: '免停机',
    value: 1_169_500,
    display: '116.95万',
    unit_zh: '人次',
    published: true,
    measure: 'quantity',
    type: 'suspension.waived',
    orgs: TELECOMS,
    filter: { service: 'telecom' },
    window: { from: '2020-01-24', to: '2020-02-29' },
    source_zh: '累计为116.95万人次免停机',
  },
  {
    name: 'telecom_disconnection_deferred',
    label: 'disconnection deferred, three telecom operators',
    label_zh: '缓停机',
    value: 1_748_000_000,
    display: '17.48亿',
    unit_zh: '人次',
    published: true,
    measure: 'quantity',
    type: 'disconnection.deferred',
    orgs: TELECOMS,
    filter: { service: 'telecom' },
    window: { from: '2020-01-24', to: '2020-02-29' },
    source_zh: '为17.48亿人次缓停机',
  },
  {
    name: 'sgcc_online_payments',
    label: 'State Grid online payments, 网上国网 app, 24 Jan – 1 Feb 2020',
    label_zh: '网上国网缴费',
    value: 940_000,
    display: '94万',
    unit_zh: '笔',
    published: true,
    measure: 'quantity',
    type: 'online.transaction',
    orgs: ['sgcc'],
    filter: { kind: 'payment', channel: 'app' },
    window: { from: '2020-01-24', to: '2020-02-01' },
    source_zh: '1月24日至2月1日，……缴费超过94万笔',
  },
  {
    name: 'sgcc_service_tickets',
    label: 'State Grid online service tickets, 24 Jan – 1 Feb 2020',
    label_zh: '在线客服工单',
    value: 60_000,
    display: '6万',
    unit_zh: '件',
    published: true,
    measure: 'quantity',
    type: 'online.transaction',
    orgs: ['sgcc'],
    filter: { kind: 'service_ticket', channel: 'app' },
    window: { from: '2020-01-24', to: '2020-02-01' },
    source_zh: '1月24日至2月1日，在线客服工单超过6万件',
  },
  {
    name: 'sgcc_app_registrations',
    label: 'State Grid app registrations, cumulative to 1 Feb 2020',
    label_zh: '网上国网累计注册用户',
    value: 29_000_000,
    display: '2900万',
    unit_zh: '人',
    published: true,
    measure: 'quantity',
    type: 'online.transaction',
    orgs: ['sgcc'],
    filter: { kind: 'registration', channel: 'app' },
    window: { from: null, to: '2020-02-01' },
    source_zh: '网上国网APP累计注册用户数突破2900万人',
  },
  {
    name: 'crgas_wuhan_business',
    label: 'China Resources Gas business handled, Wuhan, Spring Festival 2020',
    label_zh: '华润燃气武汉区域春节期间受理业务',
    value: 7_500,
    display: '7500',
    unit_zh: '笔',
    published: true,
    measure: 'quantity',
    type: 'online.transaction',
    orgs: ['cr-gas'],
    filter: { kind: 'business', regions: ['420100'] },
    window: { from: '2020-01-24', to: '2020-02-02' },
    source_zh: '截至2月2日，华润燃气武汉区域春节期间累计受理业务7500余笔',
  },
  {
    name: 'crgas_hubei_repairs',
    label: 'China Resources Gas indoor leak and repair jobs, Hubei',
    label_zh: '华润燃气户内漏气和维修',
    value: 1_760,
    display: '1760',
    unit_zh: '起',
    published: true,
    measure: 'distinct_orders',
    type: 'repair.completed',
    orgs: ['cr-gas'],
    filter: { province: '420000' },
    window: { from: '2020-01-24', to: '2020-02-02' },
    source_zh: '累计处理户内漏气和维修业务1760余起',
  },
  {
    name: 'csg_gd_late_fee_waived',
    label: 'late fees not charged on January bills, Guangdong Power Grid',
    label_zh: '广东电网1月份电费不计违约金',
    value: 1_200_000,
    display: '120万',
    unit_zh: '户次',
    published: false,
    measure: 'quantity',
    type: 'late_fee.waived',
    orgs: ['csg-gd'],
    filter: { service: 'power' },
    window: { from: '2020-02-01', to: '2020-02-29' },
    source_zh: '广东电网实行“欠费不停电”措施至2020年2月29日，1月份电费在2月份期间不计算违约金',
  },
  {
    name: 'csg_sz_late_fee_waived',
    label: 'late fees not charged, Shenzhen Power Supply Bureau, 31 Jan – 1 Mar 2020',
    label_zh: '深圳供电局不计违约金',
    value: 160_000,
    display: '16万',
    unit_zh: '户次',
    published: false,
    measure: 'quantity',
    type: 'late_fee.waived',
    orgs: ['csg-sz'],
    filter: { service: 'power', regions: ['440300'] },
    // Valid "from 31 January until 1 March 2020, 00:00": the last whole day is 29 February.
    window: { from: '2020-01-31', to: '2020-02-29' },
    source_zh: '深圳供电局“欠费不停电”措施从1月31日起至2020年3月1日零点有效，对1月份及2月份抄表出账的电费在3月1日前不计算违约金',
  },
  {
    name: 'late_fee_waivers_guangdong_shenzhen',
    label: 'late fees waived, Guangdong Power Grid and Shenzhen Power Supply Bureau',
    label_zh: '广东电网、深圳供电局减免违约金',
    value: 3_300_000,
    display: '330万',
    unit_zh: '元',
    published: false,
    measure: 'amount_cny',
    type: 'late_fee.waived',
    orgs: ['csg-gd', 'csg-sz'],
    filter: { service: 'power' },
    window: { from: '2020-01-31', to: '2020-02-29' },
    source_zh: '1月份电费在2月份期间不计算违约金；对1月份及2月份抄表出账的电费在3月1日前不计算违约金',
  },
  {
    name: 'csg_no_disconnection_2020',
    label: 'no disconnection for arrears, China Southern Power Grid, early 2020',
    label_zh: '南方电网欠费不停电',
    value: 860_000,
    display: '86万',
    unit_zh: '户次',
    published: false,
    measure: 'quantity',
    type: 'suspension.waived',
    orgs: ['csg', 'csg-gd', 'csg-sz'],
    filter: { service: 'power' },
    window: { from: '2020-01-24', to: '2020-02-29' },
    source_zh: '南方电网公司对居民用电客户、防疫有关重点用户实施欠费不停电',
  },
  {
    name: 'sgcc_no_disconnection_2020',
    label: 'no disconnection for arrears, State Grid, early 2020',
    label_zh: '国家电网欠费不停电',
    value: 2_150_000,
    display: '215万',
    unit_zh: '户次',
    published: false,
    measure: 'quantity',
    type: 'suspension.waived',
    orgs: ['sgcc'],
    filter: { service: 'power' },
    window: { from: '2020-01-24', to: '2020-02-29' },
    source_zh: '针对疫情防控一线，两大电网企业采取“欠费不停电”等举措',
  },
  {
    name: 'sgcc_sh_no_disconnection_2022',
    label: 'no disconnection for arrears, State Grid Shanghai, April 2022',
    label_zh: '国网上海欠费不停电',
    value: 68_000,
    display: '6.8万',
    unit_zh: '户次',
    published: false,
    measure: 'quantity',
    type: 'suspension.waived',
    orgs: ['sgcc-sh'],
    filter: { service: 'power', regions: ['310000'] },
    window: { from: '2022-04-05', to: '2022-04-30' },
    source_zh: '对受疫情影响、交费有困难的居民用户，严格实施“欠费不停电、减免违约金”措施',
  },
  {
    name: 'sgcc_sh_late_fee_waived_2022',
    label: 'late fees waived, State Grid Shanghai, April 2022',
    label_zh: '国网上海减免违约金',
    value: 41_000,
    display: '4.1万',
    unit_zh: '户次',
    published: false,
    measure: 'quantity',
    type: 'late_fee.waived',
    orgs: ['sgcc-sh'],
    filter: { service: 'power', regions: ['310000'] },
    window: { from: '2022-04-05', to: '2022-04-30' },
    source_zh: '对受疫情影响、交费有困难的居民用户，严格实施“欠费不停电、减免违约金”措施',
  },
] as const satisfies readonly SeedFigure[];

export type SeedFigureName = (typeof SEED_FIGURES)[number]['name'];

export function seedFigure(name: SeedFigureName): SeedFigure {
  const figure = SEED_FIGURES.find((f) => f.name === name);
  if (figure === undefined) throw new Error(`no seed figure ${name}`);
  return figure;
}

/** Whether an event counts towards a figure. */
export function matchesFigure(figure: SeedFigure, event: ContinuityEvent): boolean {
  if (event.type !== figure.type || !figure.orgs.includes(event.org)) return false;
  const data = event.data as Record<string, unknown>;
  const f = figure.filter;
  if (f.service !== undefined && data.service !== f.service) return false;
  if (f.kind !== undefined && data.kind !== f.kind) return false;
  if (f.channel !== undefined && data.channel !== f.channel) return false;
  if (f.regions !== undefined && !f.regions.includes(event.region)) return false;
  if (f.province !== undefined && event.region.slice(0, 2) !== f.province.slice(0, 2)) return false;
  const day = cstDayOf(event.occurred_at);
  return (figure.window.from === null || day >= figure.window.from) && day <= figure.window.to;
}

/** A figure measured over events: what a dashboard query computes, in TypeScript. */
export function measureFigure(figure: SeedFigure, events: Iterable<ContinuityEvent>): number {
  let quantity = 0;
  let fen = 0;
  const orders = new Set<string>();
  for (const event of events) {
    if (!matchesFigure(figure, event)) continue;
    quantity += event.quantity;
    const data = event.data as { amount_cny?: number; order_id?: string };
    if (data.amount_cny !== undefined) fen += Math.round(data.amount_cny * 100);
    if (data.order_id !== undefined) orders.add(data.order_id);
  }
  if (figure.measure === 'quantity') return quantity;
  if (figure.measure === 'distinct_orders') return orders.size;
  return fen / 100;
}

/** 1169500 → 116.95万, 1748000000 → 17.48亿; below 10,000 the plain number. */
export function chineseDisplay(value: number): string {
  const trim = (n: number) => n.toFixed(2).replace(/\.?0+$/, '');
  if (Math.abs(value) >= 1e8) return `${trim(value / 1e8)}亿`;
  if (Math.abs(value) >= 1e4) return `${trim(value / 1e4)}万`;
  return String(value);
}
