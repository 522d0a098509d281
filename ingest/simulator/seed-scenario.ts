/**
 * The seed scenario: the commitments of the two source articles as the
 * producing systems of each org would have reported them, day by day, so that
 * summing the events gives every figure of SEED_FIGURES exactly.
 *
 * Deterministic: each part draws from its own seeded generator and its ids are
 * UUIDv5 of ("seed", part, index), so re-running yields the same events, and
 * changing one part leaves the others' ids alone.
 */
import { type ContinuityEvent, defaultCatalog, type EventData, type EventType, latestSchemaVersion } from '../../schemas/index.ts';
import { allocate } from './allocate.ts';
import {
  CR_GAS_HUBEI,
  CSG_PROVINCES,
  GUANGDONG,
  HUBEI,
  PROVINCE_POPULATION,
  SGCC_PROVINCES,
  SHANGHAI,
  SHENZHEN,
  WUHAN,
  WUHAN_POPULATION,
} from './geography.ts';
import { uuidV5 } from './ids.ts';
import { Rng } from './random.ts';
import { type SeedFigureName, seedFigure } from './seed-figures.ts';
import { addDays, atCst, daysBetween, lastDayOfMonth } from './time.ts';

export const SEED_SCENARIO_NAME = 'seed';

type Draft<T extends EventType = EventType> = {
  type: T;
  occurred_at: string;
  org: string;
  region: string;
  quantity: number;
  customer_ref?: string;
  source: string;
  data: EventData<T>;
};

/** Assigns ids and lays the fields out in catalog order. */
function finish(part: string, drafts: Draft[]): ContinuityEvent[] {
  return drafts.map((d, i) => {
    const event: Record<string, unknown> = {
      id: uuidV5(`${SEED_SCENARIO_NAME}:${part}:${i}`),
      type: d.type,
      schema_version: latestSchemaVersion(d.type),
      occurred_at: d.occurred_at,
      org: d.org,
      region: d.region,
      quantity: d.quantity,
    };
    if (d.customer_ref !== undefined) event.customer_ref = d.customer_ref;
    event.source = d.source;
    event.data = d.data;
    return event as unknown as ContinuityEvent;
  });
}

interface Bucket {
  org: string;
  region: string;
  day: string;
  weight: number;
}

/** Splits a figure's exact total over buckets; empty buckets produce no event. */
function spread(total: number, buckets: Bucket[]): Array<Bucket & { quantity: number }> {
  const parts = allocate(
    total,
    buckets.map((b) => b.weight),
  );
  return buckets.map((b, i) => ({ ...b, quantity: parts[i] })).filter((b) => b.quantity > 0);
}

/** A daily report is produced late in the evening, a few minutes apart from day to day. */
function eveningReport(rng: Rng, day: string, fromMinute: number): string {
  return atCst(day, fromMinute * 60 + rng.int(0, 20 * 60 - 1));
}

/** Money in whole fen, so totals add up exactly wherever they are summed. */
function yuan(value: number): number {
  return Math.round(value * 100) / 100;
}

function total(name: SeedFigureName): number {
  return seedFigure(name).value;
}

const EPIDEMIC_DAYS = daysBetween('2020-01-24', '2020-02-29');

// ---------------------------------------------------------------- telecom

const TELECOM_SHARE: Readonly<Record<string, number>> = { 'china-mobile': 0.59, 'china-telecom': 0.21, 'china-unicom': 0.2 };
const TELECOM_SOURCE: Readonly<Record<string, string>> = { 'china-mobile': 'china-mobile-boss', 'china-telecom': 'china-telecom-bss', 'china-unicom': 'china-unicom-cbss' };
const TELECOM_REPORT_MINUTE: Readonly<Record<string, number>> = { 'china-mobile': 23 * 60, 'china-telecom': 22 * 60 + 10, 'china-unicom': 22 * 60 + 35 };

function telecomBuckets(rng: Rng, hubeiFactor: number, ramp: number): Bucket[] {
  const buckets: Bucket[] = [];
  for (const org of Object.keys(TELECOM_SHARE)) {
    for (const region of Object.keys(PROVINCE_POPULATION)) {
      const people = PROVINCE_POPULATION[region] * (region === HUBEI ? hubeiFactor : 1);
      EPIDEMIC_DAYS.forEach((day, i) => {
        const growth = 1 - ramp + (2 * ramp * i) / (EPIDEMIC_DAYS.length - 1);
        buckets.push({ org, region, day, weight: TELECOM_SHARE[org] * people * growth * rng.jitter(0.2) });
      });
    }
  }
  return buckets;
}

function telecomSuspensions(): ContinuityEvent[] {
  const rng = new Rng('seed:telecom_suspension_waived');
  const drafts = spread(total('telecom_suspension_waived'), telecomBuckets(rng, 4, 0.5)).map(
    (b): Draft<'suspension.waived'> => ({
      type: 'suspension.waived',
      occurred_at: eveningReport(rng, b.day, TELECOM_REPORT_MINUTE[b.org]),
      org: b.org,
      region: b.region,
      quantity: b.quantity,
      source: TELECOM_SOURCE[b.org],
      data:
        b.region === HUBEI
          ? { service: 'telecom', reason: '疫情高发区用户欠费不停机', beneficiary: 'epidemic_area' }
          : { service: 'telecom', reason: '疫情防控一线人员欠费不停机', beneficiary: 'frontline' },
    }),
  );
  return finish('telecom_suspension_waived', drafts);
}

function telecomDeferrals(): ContinuityEvent[] {
  const rng = new Rng('seed:telecom_disconnection_deferred');
  const drafts = spread(total('telecom_disconnection_deferred'), telecomBuckets(rng, 3, 0.2)).map(
    (b): Draft<'disconnection.deferred'> => ({
      type: 'disconnection.deferred',
      occurred_at: eveningReport(rng, b.day, TELECOM_REPORT_MINUTE[b.org]),
      org: b.org,
      region: b.region,
      quantity: b.quantity,
      source: TELECOM_SOURCE[b.org],
      // Hubei's deferrals ran longer: the lockdown there lasted into April.
      data: { service: 'telecom', deferred_until: addDays(b.day, b.region === HUBEI ? 60 : 30) },
    }),
  );
  return finish('telecom_disconnection_deferred', drafts);
}

// ---------------------------------------------------------------- State Grid

/** State Grid's provinces, with Wuhan reported apart from the rest of Hubei. */
function sgccRegions(wuhanFactor: number, hubeiFactor: number): Array<[region: string, people: number]> {
  const out: Array<[string, number]> = [];
  for (const p of SGCC_PROVINCES) {
    if (p === HUBEI) {
      out.push([WUHAN, WUHAN_POPULATION * wuhanFactor]);
      out.push([HUBEI, (PROVINCE_POPULATION[HUBEI] - WUHAN_POPULATION) * hubeiFactor]);
    } else {
      out.push([p, PROVINCE_POPULATION[p]]);
    }
  }
  return out;
}

const APP_WINDOW = daysBetween('2020-01-24', '2020-02-01');

function sgccAppActivity(name: 'sgcc_online_payments' | 'sgcc_service_tickets', kind: 'payment' | 'service_ticket'): ContinuityEvent[] {
  const rng = new Rng(`seed:${name}`);
  const buckets: Bucket[] = [];
  // 优先保障湖北特别是武汉地区: Hubei, Wuhan most of all, leaned on the app hardest.
  for (const [region, people] of sgccRegions(1.8, 1.3)) {
    APP_WINDOW.forEach((day, i) => buckets.push({ org: 'sgcc', region, day, weight: people * (0.75 + 0.06 * i) * rng.jitter(0.15) }));
  }
  const drafts = spread(total(name), buckets).map(
    (b): Draft<'online.transaction'> => ({
      type: 'online.transaction',
      occurred_at: eveningReport(rng, b.day, 23 * 60 + 30),
      org: 'sgcc',
      region: b.region,
      quantity: b.quantity,
      source: 'sgcc-wsgw-app',
      data: kind === 'payment' ? { kind, channel: 'app', amount_cny: yuan(b.quantity * 96 * rng.jitter(0.2)) } : { kind, channel: 'app' },
    }),
  );
  return finish(name, drafts);
}

/**
 * 29 million registrations by 1 February 2020: monthly totals for 2019, then
 * daily reports, with sign-ups doubling once the lockdowns began on 24 January.
 */
function sgccRegistrations(): ContinuityEvent[] {
  const rng = new Rng('seed:sgcc_app_registrations');
  const periods: Array<{ day: string; weight: number; minute: number }> = [];
  for (let month = 1; month <= 12; month++) periods.push({ day: lastDayOfMonth(2019, month), weight: 30 * (0.5 + 0.08 * (month - 1)), minute: 23 * 60 + 35 });
  for (const day of daysBetween('2020-01-01', '2020-02-01')) periods.push({ day, weight: day >= '2020-01-24' ? 3 : 1.5, minute: 23 * 60 + 35 });
  const buckets: Array<Bucket & { minute: number }> = [];
  for (const [region, people] of sgccRegions(1, 1)) {
    for (const p of periods) buckets.push({ org: 'sgcc', region, day: p.day, weight: people * p.weight * rng.jitter(0.2), minute: p.minute });
  }
  const parts = allocate(
    total('sgcc_app_registrations'),
    buckets.map((b) => b.weight),
  );
  const drafts = buckets
    .map((b, i) => ({ ...b, quantity: parts[i] }))
    .filter((b) => b.quantity > 0)
    .map(
      (b): Draft<'online.transaction'> => ({
        type: 'online.transaction',
        occurred_at: eveningReport(rng, b.day, b.minute),
        org: 'sgcc',
        region: b.region,
        quantity: b.quantity,
        source: 'sgcc-wsgw-app',
        data: { kind: 'registration', channel: 'app' },
      }),
    );
  return finish('sgcc_app_registrations', drafts);
}

function sgccNoDisconnection(): ContinuityEvent[] {
  const rng = new Rng('seed:sgcc_no_disconnection_2020');
  const buckets: Bucket[] = [];
  for (const [region, people] of sgccRegions(3, 3)) {
    EPIDEMIC_DAYS.forEach((day, i) => buckets.push({ org: 'sgcc', region, day, weight: people * (0.6 + (0.8 * i) / 36) * rng.jitter(0.2) }));
  }
  const drafts = spread(total('sgcc_no_disconnection_2020'), buckets).map(
    (b): Draft<'suspension.waived'> => ({
      type: 'suspension.waived',
      occurred_at: eveningReport(rng, b.day, 22 * 60),
      org: 'sgcc',
      region: b.region,
      quantity: b.quantity,
      source: 'sgcc-sg186-marketing',
      // "针对疫情防控一线，两大电网企业采取“欠费不停电”等举措"
      data: { service: 'power', arrears_cny: yuan(b.quantity * 140 * rng.jitter(0.3)), reason: '疫情防控期间欠费不停电', beneficiary: 'frontline' },
    }),
  );
  return finish('sgcc_no_disconnection_2020', drafts);
}

// ---------------------------------------------------------------- Shanghai, April 2022

const SHANGHAI_DAYS = daysBetween('2022-04-05', '2022-04-30');

function shanghai2022(): ContinuityEvent[] {
  const rng = new Rng('seed:sgcc_sh_2022');
  // The lockdown deepened through April; so did the arrears left unpaid.
  const buckets = SHANGHAI_DAYS.map((day, i): Bucket => ({ org: 'sgcc-sh', region: SHANGHAI, day, weight: (0.5 + i / 25) * rng.jitter(0.15) }));
  const suspensions = spread(total('sgcc_sh_no_disconnection_2022'), buckets).map(
    (b): Draft<'suspension.waived'> => ({
      type: 'suspension.waived',
      occurred_at: eveningReport(rng, b.day, 22 * 60 + 30),
      org: 'sgcc-sh',
      region: SHANGHAI,
      quantity: b.quantity,
      source: 'sgcc-sh-marketing',
      data: { service: 'power', arrears_cny: yuan(b.quantity * 185 * rng.jitter(0.25)), reason: '受疫情影响交费有困难的居民用户欠费不停电', beneficiary: 'resident' },
    }),
  );
  const waivers = spread(
    total('sgcc_sh_late_fee_waived_2022'),
    buckets.map((b) => ({ ...b, weight: b.weight * rng.jitter(0.2) })),
  ).map(
    (b): Draft<'late_fee.waived'> => ({
      type: 'late_fee.waived',
      occurred_at: eveningReport(rng, b.day, 22 * 60 + 30),
      org: 'sgcc-sh',
      region: SHANGHAI,
      quantity: b.quantity,
      source: 'sgcc-sh-marketing',
      data: { service: 'power', amount_cny: yuan(b.quantity * 3.4 * rng.jitter(0.3)) },
    }),
  );
  return [...finish('sgcc_sh_no_disconnection_2022', suspensions), ...finish('sgcc_sh_late_fee_waived_2022', waivers)];
}

// ---------------------------------------------------------------- China Southern Power Grid

const SHENZHEN_POPULATION = 1344;

/** Guangdong Power Grid's prefectures: all of Guangdong but Shenzhen, which has its own bureau. */
function guangdongPrefectures(): Array<[region: string, weight: number]> {
  const catalog = defaultCatalog();
  const big: Readonly<Record<string, number>> = { '440100': 4, '441900': 2.5, '440600': 2.2 };
  return catalog.regionCodes
    .filter((code) => catalog.regions[code].parent === GUANGDONG && catalog.regions[code].level === 'prefecture' && code !== SHENZHEN)
    .map((code) => [code, big[code] ?? 1]);
}

function csgNoDisconnection(): ContinuityEvent[] {
  const rng = new Rng('seed:csg_no_disconnection_2020');
  const prefectures = guangdongPrefectures();
  const perUnit = (PROVINCE_POPULATION[GUANGDONG] - SHENZHEN_POPULATION) / prefectures.reduce((s, [, w]) => s + w, 0);
  const buckets: Bucket[] = [];
  EPIDEMIC_DAYS.forEach((day, i) => {
    const growth = 0.6 + (0.8 * i) / 36;
    for (const p of CSG_PROVINCES) if (p !== GUANGDONG) buckets.push({ org: 'csg', region: p, day, weight: PROVINCE_POPULATION[p] * growth * rng.jitter(0.2) });
    for (const [region, w] of prefectures) buckets.push({ org: 'csg-gd', region, day, weight: w * perUnit * growth * rng.jitter(0.2) });
    // 深圳供电局: from 31 January.
    if (day >= '2020-01-31') buckets.push({ org: 'csg-sz', region: SHENZHEN, day, weight: SHENZHEN_POPULATION * growth * rng.jitter(0.2) });
  });
  const sources: Readonly<Record<string, string>> = { csg: 'csg-marketing', 'csg-gd': 'csg-gd-marketing', 'csg-sz': 'csg-sz-marketing' };
  const drafts = spread(total('csg_no_disconnection_2020'), buckets).map(
    (b): Draft<'suspension.waived'> => ({
      type: 'suspension.waived',
      occurred_at: eveningReport(rng, b.day, 21 * 60 + 30),
      org: b.org,
      region: b.region,
      quantity: b.quantity,
      source: sources[b.org],
      data: { service: 'power', arrears_cny: yuan(b.quantity * 120 * rng.jitter(0.3)), reason: '居民用电客户、防疫有关重点用户欠费不停电', beneficiary: 'resident' },
    }),
  );
  return finish('csg_no_disconnection_2020', drafts);
}

/**
 * Late fees not charged: Guangdong's January bills through February, and
 * Shenzhen's January and February bills from 31 January until 1 March 00:00.
 * The money is split in whole fen so the amount figure is exact.
 */
function csgLateFees(): ContinuityEvent[] {
  const rng = new Rng('seed:csg_late_fees');
  const gdBuckets: Bucket[] = [];
  for (const day of daysBetween('2020-02-01', '2020-02-29')) {
    for (const [region, w] of guangdongPrefectures()) gdBuckets.push({ org: 'csg-gd', region, day, weight: w * rng.jitter(0.25) });
  }
  const szBuckets = daysBetween('2020-01-31', '2020-02-29').map((day): Bucket => ({ org: 'csg-sz', region: SHENZHEN, day, weight: rng.jitter(0.25) }));
  const gd = spread(total('csg_gd_late_fee_waived'), gdBuckets);
  const sz = spread(total('csg_sz_late_fee_waived'), szBuckets);

  const figure = seedFigure('late_fee_waivers_guangdong_shenzhen');
  const totalFen = Math.round(figure.value * 100);
  // Shenzhen's bills are larger on average than the rest of the province's.
  const all = [...gd.map((b) => ({ ...b, perHead: 2.3 })), ...sz.map((b) => ({ ...b, perHead: 3.4 }))];
  const fen = allocate(
    totalFen,
    all.map((b) => b.quantity * b.perHead * rng.jitter(0.15)),
  );
  const drafts = all.map(
    (b, i): Draft<'late_fee.waived'> => ({
      type: 'late_fee.waived',
      occurred_at: eveningReport(rng, b.day, 21 * 60),
      org: b.org,
      region: b.region,
      quantity: b.quantity,
      source: b.org === 'csg-sz' ? 'csg-sz-marketing' : 'csg-gd-marketing',
      data: { service: 'power', amount_cny: fen[i] / 100 },
    }),
  );
  return [...finish('csg_gd_late_fee_waived', drafts.slice(0, gd.length)), ...finish('csg_sz_late_fee_waived', drafts.slice(gd.length))];
}

// ---------------------------------------------------------------- China Resources Gas, Hubei

const SPRING_FESTIVAL = daysBetween('2020-01-24', '2020-02-02');

/** Business handled in Wuhan over Spring Festival, reported per day and channel. */
function crGasBusiness(): ContinuityEvent[] {
  const rng = new Rng('seed:crgas_wuhan_business');
  // 16 service halls stayed open, the hotline answered around the clock, and
  // 38 card top-up terminals were added in residential compounds.
  const channels = [
    ['counter', 0.36, 'crgas-crm'],
    ['hotline', 0.3, 'crgas-callcenter'],
    ['terminal', 0.14, 'crgas-card-terminal'],
    ['wechat', 0.2, 'crgas-wechat'],
  ] as const;
  const buckets: Array<Bucket & { channel: (typeof channels)[number][0]; source: string }> = [];
  SPRING_FESTIVAL.forEach((day, i) => {
    for (const [channel, share, source] of channels) {
      // Terminals came into use as they were installed over the holiday.
      const ramp = channel === 'terminal' ? 0.2 + i / 9 : 1;
      buckets.push({ org: 'cr-gas', region: WUHAN, day, weight: share * ramp * rng.jitter(0.25), channel, source });
    }
  });
  const parts = allocate(
    total('crgas_wuhan_business'),
    buckets.map((b) => b.weight),
  );
  const drafts = buckets
    .map((b, i) => ({ ...b, quantity: parts[i] }))
    .filter((b) => b.quantity > 0)
    .map(
      (b): Draft<'online.transaction'> => ({
        type: 'online.transaction',
        occurred_at: eveningReport(rng, b.day, 21 * 60),
        org: 'cr-gas',
        region: WUHAN,
        quantity: b.quantity,
        source: b.source,
        data: { kind: 'business', channel: b.channel },
      }),
    );
  return finish('crgas_wuhan_business', drafts);
}

/** Share of each hour of the day in reported repairs: few at night, most in the morning and evening. */
const REPAIR_HOURS = [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.5, 3.8, 3.6, 3.4, 3, 2.6, 2.6, 2.8, 3, 3.4, 3.8, 3.6, 3, 2.2, 1.6, 1.2];

function pickHour(rng: Rng, maxHour: number): number {
  const weights = REPAIR_HOURS.slice(0, maxHour + 1);
  let target = rng.next() * weights.reduce((s, w) => s + w, 0);
  for (let h = 0; h < weights.length; h++) {
    target -= weights[h];
    if (target < 0) return h;
  }
  return maxHour;
}

/**
 * 1,760 indoor leak and repair jobs, each a complete work order: reported,
 * dispatched, arrived, completed. The last day's reports stop in the
 * afternoon so every job is closed by 2 February, the article's cut-off.
 */
function crGasRepairs(): ContinuityEvent[] {
  const rng = new Rng('seed:crgas_hubei_repairs');
  const buckets: Bucket[] = [];
  for (const [region, weight] of CR_GAS_HUBEI) for (const day of SPRING_FESTIVAL) buckets.push({ org: 'cr-gas', region, day, weight: weight * rng.jitter(0.3) });
  const drafts: Draft[] = [];
  const lastDay = SPRING_FESTIVAL[SPRING_FESTIVAL.length - 1];
  for (const b of spread(total('crgas_hubei_repairs'), buckets)) {
    const starts: number[] = [];
    for (let n = 0; n < b.quantity; n++) starts.push(pickHour(rng, b.day === lastDay ? 16 : 23) * 3600 + rng.int(0, 3599));
    starts.sort((x, y) => x - y);
    starts.forEach((start, n) => {
      const leak = rng.chance(0.42);
      const kind = leak ? 'gas_leak' : 'other';
      const urgent = leak || rng.chance(0.08);
      const dispatched = start + (urgent ? rng.int(60, 300) : rng.int(180, 900));
      const arrived = dispatched + (urgent ? rng.int(12 * 60, 40 * 60) : rng.int(30 * 60, 150 * 60));
      const completed = arrived + (leak ? rng.int(20 * 60, 90 * 60) : rng.int(25 * 60, 120 * 60));
      const order_id = `CRG-${b.region}-${b.day.replaceAll('-', '')}-${String(n + 1).padStart(3, '0')}`;
      // Same draws as before, spelled as base64url: 16 hex digits are sometimes all digits, which reads as a raw account number.
      const ref = Buffer.alloc(8);
      ref.writeUInt32BE(rng.uint32(), 0);
      ref.writeUInt32BE(rng.uint32(), 4);
      const customer_ref = `crg-${ref.toString('base64url')}`;
      const data = { order_id, kind, priority: urgent ? 'urgent' : 'normal' } as const;
      const steps = [
        ['repair.reported', start],
        ['repair.dispatched', dispatched],
        ['repair.arrived', arrived],
        ['repair.completed', completed],
      ] as const;
      for (const [type, second] of steps) {
        drafts.push({ type, occurred_at: atCst(b.day, second), org: 'cr-gas', region: b.region, quantity: 1, customer_ref, source: 'crgas-workorder', data: { ...data } });
      }
    });
  }
  return finish('crgas_hubei_repairs', drafts);
}

// ---------------------------------------------------------------- the scenario

/**
 * Every event of the seed scenario, ordered by occurred_at (ties keep their
 * part's order, so the four steps of a work order stay in sequence).
 */
export function seedScenario(): ContinuityEvent[] {
  const events = [
    ...telecomSuspensions(),
    ...telecomDeferrals(),
    ...sgccAppActivity('sgcc_online_payments', 'payment'),
    ...sgccAppActivity('sgcc_service_tickets', 'service_ticket'),
    ...sgccRegistrations(),
    ...sgccNoDisconnection(),
    ...csgNoDisconnection(),
    ...csgLateFees(),
    ...crGasBusiness(),
    ...crGasRepairs(),
    ...shanghai2022(),
  ];
  // All instants carry +08:00, so their strings sort as the instants do.
  return events.sort((a, b) => (a.occurred_at < b.occurred_at ? -1 : a.occurred_at > b.occurred_at ? 1 : 0));
}
