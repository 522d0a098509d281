/**
 * A realistic event stream for load and soak runs: every type, org and region
 * in plausible proportions, mostly single customer events with occasional
 * daily aggregates, and repairs as complete work orders whose four steps
 * arrive interleaved with other traffic, the way a work-order system emits them.
 *
 * Deterministic for a (count, seed, options), and memory-bounded: only open
 * work orders are held, never the stream.
 */
import { type Beneficiary, CHANNELS, type ContinuityEvent, defaultCatalog, latestSchemaVersion, ONLINE_KINDS, type Service } from '../../schemas/index.ts';
import { CR_GAS_HUBEI, CR_GAS_OTHER_CITIES, CSG_PROVINCES, GUANGDONG, MAINLAND_PROVINCES, PROVINCE_POPULATION, SGCC_PROVINCES, SHANGHAI, SHENZHEN } from './geography.ts';
import { uuidV5 } from './ids.ts';
import { Rng, WeightedPicker } from './random.ts';
import { addDays, cstDay, cstMidnight, formatCst } from './time.ts';

export interface RealisticOptions {
  /** First CST calendar day, default 2020-01-01. */
  from?: string;
  /** Last CST calendar day (inclusive), default 2022-12-31. */
  to?: string;
}

type SimpleType = 'suspension.waived' | 'disconnection.deferred' | 'late_fee.waived' | 'online.transaction' | 'repair';
type RepairKind = 'gas_leak' | 'outage' | 'line_fault' | 'meter' | 'other';

interface OrgProfile {
  org: string;
  service: Service;
  regions: WeightedPicker<string>;
  types: WeightedPicker<SimpleType>;
  repairKinds: WeightedPicker<RepairKind>;
  billing: string;
  app: string;
  workorder: string;
}

const ORG_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  ['china-mobile', 25],
  ['china-telecom', 10],
  ['china-unicom', 10],
  ['sgcc', 30],
  ['sgcc-sh', 3],
  ['csg', 6],
  ['csg-gd', 6],
  ['csg-sz', 2],
  ['cr-gas', 8],
];

const TYPES_BY_SERVICE: Readonly<Record<Service, ReadonlyArray<readonly [SimpleType, number]>>> = {
  power: [
    ['suspension.waived', 15],
    ['disconnection.deferred', 5],
    ['late_fee.waived', 10],
    ['online.transaction', 55],
    ['repair', 15],
  ],
  telecom: [
    ['suspension.waived', 15],
    ['disconnection.deferred', 20],
    ['late_fee.waived', 5],
    ['online.transaction', 55],
    ['repair', 5],
  ],
  gas: [
    ['suspension.waived', 10],
    ['disconnection.deferred', 3],
    ['late_fee.waived', 7],
    ['online.transaction', 60],
    ['repair', 20],
  ],
  water: [
    ['suspension.waived', 10],
    ['disconnection.deferred', 5],
    ['late_fee.waived', 10],
    ['online.transaction', 60],
    ['repair', 15],
  ],
};

const REPAIRS_BY_SERVICE: Readonly<Record<Service, ReadonlyArray<readonly [RepairKind, number]>>> = {
  power: [
    ['outage', 45],
    ['line_fault', 30],
    ['meter', 15],
    ['other', 10],
  ],
  telecom: [
    ['line_fault', 70],
    ['outage', 15],
    ['other', 15],
  ],
  gas: [
    ['gas_leak', 40],
    ['meter', 25],
    ['other', 35],
  ],
  water: [
    ['outage', 30],
    ['meter', 40],
    ['other', 30],
  ],
};

const KINDS = new WeightedPicker<(typeof ONLINE_KINDS)[number]>([
  ['payment', 60],
  ['service_ticket', 15],
  ['business', 10],
  ['registration', 15],
]);
const CHANNEL_PICKER = new WeightedPicker<(typeof CHANNELS)[number]>([
  ['app', 40],
  ['wechat', 25],
  ['web', 10],
  ['hotline', 10],
  ['terminal', 5],
  ['counter', 10],
]);
const REASONS = ['疫情防控期间欠费不停', '疫情防控一线人员', '疫情高发区用户', '困难群众', '封控区居民'];
const BENEFICIARY_OF_REASON: Readonly<Record<string, Beneficiary>> = {
  疫情防控一线人员: 'frontline',
  疫情高发区用户: 'epidemic_area',
  困难群众: 'resident',
  封控区居民: 'epidemic_area',
};

const SOURCES: Readonly<Record<string, readonly [billing: string, app: string, workorder: string]>> = {
  'china-mobile': ['china-mobile-boss', 'china-mobile-app', 'china-mobile-workorder'],
  'china-telecom': ['china-telecom-bss', 'china-telecom-app', 'china-telecom-workorder'],
  'china-unicom': ['china-unicom-cbss', 'china-unicom-app', 'china-unicom-workorder'],
  sgcc: ['sgcc-sg186-marketing', 'sgcc-wsgw-app', 'sgcc-95598'],
  'sgcc-sh': ['sgcc-sh-marketing', 'sgcc-wsgw-app', 'sgcc-sh-95598'],
  csg: ['csg-marketing', 'csg-online-app', 'csg-95598'],
  'csg-gd': ['csg-gd-marketing', 'csg-online-app', 'csg-gd-95598'],
  'csg-sz': ['csg-sz-marketing', 'csg-online-app', 'csg-sz-95598'],
  'cr-gas': ['crgas-crm', 'crgas-wechat', 'crgas-workorder'],
};

/** Regions each org serves, weighted by population and a fixed per-region draw. */
function orgRegions(org: string, rng: Rng): Array<readonly [string, number]> {
  const catalog = defaultCatalog();
  const under = (provinces: readonly string[], except: readonly string[] = []) => {
    const out: Array<readonly [string, number]> = [];
    for (const province of provinces) {
      const members = catalog.regionCodes.filter((c) => catalog.regions[c].parent === province && !except.includes(c));
      for (const code of members) out.push([code, (PROVINCE_POPULATION[province] / members.length) * rng.between(0.3, 1.7)]);
    }
    return out;
  };
  switch (org) {
    case 'sgcc':
      return under(SGCC_PROVINCES.filter((p) => p !== SHANGHAI));
    case 'sgcc-sh':
      return [[SHANGHAI, 1]];
    case 'csg':
      return under(CSG_PROVINCES.filter((p) => p !== GUANGDONG));
    case 'csg-gd':
      return under([GUANGDONG], [SHENZHEN]);
    case 'csg-sz':
      return [[SHENZHEN, 1]];
    case 'cr-gas':
      return [...CR_GAS_HUBEI, ...CR_GAS_OTHER_CITIES.map((c) => [c, 8] as const)];
    default:
      return under(MAINLAND_PROVINCES);
  }
}

function profiles(rng: Rng): WeightedPicker<OrgProfile> {
  const catalog = defaultCatalog();
  return new WeightedPicker(
    ORG_WEIGHTS.map(([org, weight]) => {
      const service = catalog.orgs[org].sector;
      const [billing, app, workorder] = SOURCES[org];
      const profile: OrgProfile = {
        org,
        service,
        regions: new WeightedPicker(orgRegions(org, rng)),
        types: new WeightedPicker(TYPES_BY_SERVICE[service]),
        repairKinds: new WeightedPicker(REPAIRS_BY_SERVICE[service]),
        billing,
        app,
        workorder,
      };
      return [profile, weight] as const;
    }),
  );
}

/** The next step of an open work order, due at `at`. */
interface PendingStep {
  at: number;
  /** Tie-break so equal times leave in the order they were scheduled. */
  seq: number;
  step: 1 | 2 | 3;
  order: RepairOrder;
  /** Milliseconds from this step to the next ones. */
  gaps: readonly [number, number, number];
}

/** A binary min-heap on (at, seq): the open work orders. */
class StepQueue {
  private readonly items: PendingStep[] = [];
  get size() {
    return this.items.length;
  }
  peek(): PendingStep | undefined {
    return this.items[0];
  }
  private less(i: number, j: number) {
    const a = this.items[i];
    const b = this.items[j];
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  push(item: PendingStep) {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }
  pop(): PendingStep | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && this.less(l, m)) m = l;
        if (r < items.length && this.less(r, m)) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m], items[i]];
        i = m;
      }
    }
    return top;
  }
}

const REPAIR_STEPS = ['repair.reported', 'repair.dispatched', 'repair.arrived', 'repair.completed'] as const;

interface RepairOrder {
  org: string;
  region: string;
  customer_ref: string;
  source: string;
  data: { order_id: string; kind: RepairKind; priority?: 'urgent' | 'normal' };
}

function repairEvent(id: string, step: 0 | 1 | 2 | 3, at: number, o: RepairOrder): ContinuityEvent {
  return {
    id,
    type: REPAIR_STEPS[step],
    schema_version: 1,
    occurred_at: formatCst(at),
    org: o.org,
    region: o.region,
    quantity: 1,
    customer_ref: o.customer_ref,
    source: o.source,
    data: { ...o.data },
  };
}
const MINUTE = 60_000;

function money(value: number): number {
  return Math.round(value * 100) / 100;
}

export function* realisticEvents(count: number, seed = 1, options: RealisticOptions = {}): Generator<ContinuityEvent> {
  if (!Number.isSafeInteger(count) || count < 0) throw new Error(`count must be a non-negative integer (got ${count})`);
  const from = options.from ?? '2020-01-01';
  const to = options.to ?? '2022-12-31';
  if (to < from) throw new Error(`options.to (${to}) is before options.from (${from})`);

  const rng = new Rng(`realistic:${seed}`);
  const orgs = profiles(rng);
  const start = cstMidnight(from);
  const span = cstMidnight(addDays(to, 1)) - start;
  // Spread the arrivals of new events so the stream covers the whole range.
  const meanGap = span / Math.max(1, count);

  const queue = new StepQueue();
  let pendingEvents = 0;
  let seq = 0;
  let emitted = 0;
  let now = start;
  const id = (i: number) => uuidV5(`realistic:${seed}:${i}`);

  // A pool of two million customers per org, keyed by a scrambled index: repeat
  // customers occur, and no key looks like an account number.
  const customer = (p: OrgProfile) => `${p.org}-${((rng.int(0, 2_000_000) * 2654435761) >>> 0).toString(16).padStart(8, '0')}`;

  while (emitted < count) {
    const remaining = count - emitted;
    const due = queue.peek();
    if (due !== undefined && (due.at <= now || remaining === pendingEvents)) {
      queue.pop();
      pendingEvents--;
      yield repairEvent(id(emitted++), due.step, due.at, due.order);
      if (due.step !== 3) queue.push({ ...due, at: due.at + due.gaps[due.step], seq: seq++, step: (due.step + 1) as 2 | 3 });
      continue;
    }

    const p = orgs.pick(rng);
    const region = p.regions.pick(rng);
    let type = p.types.pick(rng);
    // A work order is four events; start one only if all four fit in the count.
    if (type === 'repair' && remaining - pendingEvents < 4) type = 'online.transaction';

    if (type === 'repair') {
      const kind = p.repairKinds.pick(rng);
      const urgent = kind === 'gas_leak' || kind === 'outage' ? rng.chance(0.8) : rng.chance(0.15);
      const data: RepairOrder['data'] = { order_id: `${p.org.toUpperCase()}-WO-${seed}-${emitted}`, kind };
      // Some work-order systems do not grade priority at all.
      if (rng.chance(0.9)) data.priority = urgent ? 'urgent' : 'normal';
      const order: RepairOrder = { org: p.org, region, customer_ref: customer(p), source: p.workorder, data };
      const gaps = [
        (urgent ? rng.between(1, 5) : rng.between(3, 20)) * MINUTE,
        (urgent ? rng.between(12, 45) : rng.between(30, 240)) * MINUTE,
        rng.between(20, 150) * MINUTE,
      ] as const;
      yield repairEvent(id(emitted++), 0, now, order);
      queue.push({ at: now + gaps[0], seq: seq++, step: 1, order, gaps });
      pendingEvents += 3;
    } else {
      // Mostly one customer's event; now and then a system's daily total.
      const aggregate = rng.chance(0.08);
      const quantity = aggregate ? Math.max(2, Math.floor(Math.exp(rng.between(Math.log(2), Math.log(50_000))))) : 1;
      const event: Record<string, unknown> = { id: id(emitted++), type, schema_version: 1, occurred_at: formatCst(now), org: p.org, region, quantity };
      if (!aggregate) event.customer_ref = customer(p);
      switch (type) {
        case 'suspension.waived': {
          const data: Record<string, unknown> = { service: p.service };
          if (rng.chance(0.7)) data.arrears_cny = money(quantity * rng.between(20, 600));
          if (rng.chance(0.3)) data.reason = rng.pick(REASONS);
          // From the reason, so the draws (and every other event) stay as they were before v2.
          data.beneficiary = BENEFICIARY_OF_REASON[data.reason as string] ?? 'unspecified';
          event.schema_version = latestSchemaVersion('suspension.waived');
          event.source = p.billing;
          event.data = data;
          break;
        }
        case 'disconnection.deferred':
          event.source = p.billing;
          event.data = { service: p.service, deferred_until: addDays(cstDay(now), rng.int(7, 60)) };
          break;
        case 'late_fee.waived':
          event.source = p.billing;
          event.data = { service: p.service, amount_cny: money(quantity * rng.between(0.5, 20)) };
          break;
        default: {
          const kind = KINDS.pick(rng);
          const channel = CHANNEL_PICKER.pick(rng);
          event.source = channel === 'app' || channel === 'wechat' || channel === 'web' ? p.app : p.billing;
          event.data = kind === 'payment' ? { kind, channel, amount_cny: money(quantity * rng.between(10, 500)) } : { kind, channel };
        }
      }
      yield event as unknown as ContinuityEvent;
    }
    now += rng.exponential(meanGap);
    if (now >= start + span) now = start + span - 1;
  }
}
