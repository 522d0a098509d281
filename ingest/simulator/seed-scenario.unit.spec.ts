import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ContinuityEvent, defaultCatalog, type EventOf, formatFieldErrors, serializeEvent, validateEvent } from '../../schemas/index.ts';
import { chineseDisplay, measureFigure, SEED_FIGURES, seedFigure, seedScenario } from './index.ts';

const events = seedScenario();
const TELECOMS = ['china-telecom', 'china-unicom', 'china-mobile'];
const day = (e: ContinuityEvent) => e.occurred_at.slice(0, 10);
const sum = (list: ContinuityEvent[]) => list.reduce((s, e) => s + e.quantity, 0);
const of = <T extends ContinuityEvent['type']>(type: T) => events.filter((e): e is EventOf<T> & ContinuityEvent => e.type === type);
const distinct = <T>(values: T[]) => [...new Set(values)].sort();

describe('seed scenario', () => {
  it('every event passes validateEvent unchanged', () => {
    for (const event of events) {
      const result = validateEvent(event);
      assert.ok(result.ok, result.ok ? '' : `${event.id}: ${formatFieldErrors(result.errors)}`);
      assert.deepEqual(result.event, event);
    }
  });

  it('stays small enough for a quick demo, with unique ids', () => {
    assert.ok(events.length > 10_000 && events.length <= 30_000, `${events.length} events`);
    assert.equal(new Set(events.map((e) => e.id)).size, events.length);
  });

  it('is identical on every run', () => {
    const again = seedScenario();
    assert.equal(again.length, events.length);
    for (let i = 0; i < events.length; i++) assert.equal(serializeEvent(again[i]), serializeEvent(events[i]));
  });

  it('is ordered by occurred_at, all in China Standard Time', () => {
    for (let i = 1; i < events.length; i++) assert.ok(events[i - 1].occurred_at <= events[i].occurred_at, `${i}`);
    assert.ok(events.every((e) => e.occurred_at.endsWith('+08:00')));
  });

  it('carries customer_ref only on single-customer events', () => {
    for (const e of events) if (e.quantity > 1) assert.equal(e.customer_ref, undefined, e.id);
    assert.ok(events.every((e) => e.customer_ref === undefined || e.type.startsWith('repair.')));
  });

  it('names a producing system on every event', () => {
    assert.deepEqual(distinct(events.map((e) => e.source)), [
      'china-mobile-boss',
      'china-telecom-bss',
      'china-unicom-cbss',
      'crgas-callcenter',
      'crgas-card-terminal',
      'crgas-crm',
      'crgas-wechat',
      'crgas-workorder',
      'csg-gd-marketing',
      'csg-marketing',
      'csg-sz-marketing',
      'sgcc-sg186-marketing',
      'sgcc-sh-marketing',
      'sgcc-wsgw-app',
    ]);
  });
});

describe('seed figures, summed from the events', () => {
  it('免停机 116.95万: telecom suspension.waived', () => {
    const list = of('suspension.waived').filter((e) => e.data.service === 'telecom');
    assert.equal(sum(list), 1_169_500);
    assert.deepEqual(distinct(list.map((e) => e.org)), [...TELECOMS].sort());
    assert.deepEqual(distinct(list.map(day)), distinct(daysFrom('2020-01-24', '2020-02-29')));
    const byProvince = new Map<string, number>();
    for (const e of list) byProvince.set(e.region, (byProvince.get(e.region) ?? 0) + e.quantity);
    assert.equal(byProvince.size, 31);
    assert.equal([...byProvince.entries()].sort((a, b) => b[1] - a[1])[0][0], '420000', 'Hubei is heaviest');
  });

  it('缓停机 17.48亿: telecom disconnection.deferred, deferred past the event', () => {
    const list = of('disconnection.deferred');
    assert.equal(sum(list.filter((e) => e.data.service === 'telecom' && TELECOMS.includes(e.org))), 1_748_000_000);
    assert.equal(sum(list), 1_748_000_000);
    for (const e of list) assert.ok(e.data.deferred_until > day(e), e.id);
    assert.deepEqual(distinct(list.map(day)), distinct(daysFrom('2020-01-24', '2020-02-29')));
  });

  it('缴费 94万 and 在线客服工单 6万: State Grid app, 24 Jan – 1 Feb', () => {
    const online = of('online.transaction').filter((e) => e.org === 'sgcc' && e.data.channel === 'app');
    const payments = online.filter((e) => e.data.kind === 'payment');
    const tickets = online.filter((e) => e.data.kind === 'service_ticket');
    assert.equal(sum(payments), 940_000);
    assert.equal(sum(tickets), 60_000);
    for (const list of [payments, tickets]) {
      assert.deepEqual(distinct(list.map(day)), daysFrom('2020-01-24', '2020-02-01'));
      assert.ok(list.some((e) => e.region === '420100'), 'Wuhan reported on its own');
    }
    assert.ok(payments.every((e) => typeof e.data.amount_cny === 'number' && e.data.amount_cny > 0));
  });

  it('累计注册用户 2900万: State Grid app registrations up to 1 Feb', () => {
    const list = of('online.transaction').filter((e) => e.data.kind === 'registration');
    assert.equal(sum(list), 29_000_000);
    assert.ok(list.every((e) => e.org === 'sgcc' && day(e) <= '2020-02-01'));
  });

  it('受理业务 7500: China Resources Gas, Wuhan, Spring Festival, four channels', () => {
    const list = of('online.transaction').filter((e) => e.data.kind === 'business');
    assert.equal(sum(list), 7_500);
    assert.ok(list.every((e) => e.org === 'cr-gas' && e.region === '420100' && day(e) >= '2020-01-24' && day(e) <= '2020-02-02'));
    assert.deepEqual(distinct(list.map((e) => e.data.channel)), ['counter', 'hotline', 'terminal', 'wechat']);
  });

  it('户内漏气和维修 1760: complete work orders in Hubei', () => {
    const repairs = events.filter((e) => e.type.startsWith('repair.')) as Array<EventOf<'repair.reported'> | EventOf<'repair.completed'>>;
    const completed = new Set(repairs.filter((e) => e.type === 'repair.completed').map((e) => e.data.order_id));
    assert.equal(completed.size, 1_760);
    const byOrder = new Map<string, typeof repairs>();
    for (const e of repairs) byOrder.set(e.data.order_id, [...(byOrder.get(e.data.order_id) ?? []), e]);
    assert.equal(byOrder.size, 1_760);
    for (const [order, steps] of byOrder) {
      assert.deepEqual(
        steps.map((e) => e.type),
        ['repair.reported', 'repair.dispatched', 'repair.arrived', 'repair.completed'],
        order,
      );
      for (let i = 1; i < 4; i++) assert.ok(Date.parse(steps[i].occurred_at) > Date.parse(steps[i - 1].occurred_at), order);
      assert.equal(new Set(steps.map((e) => `${e.org}|${e.region}|${e.customer_ref}|${e.data.kind}|${e.data.priority}|${e.quantity}`)).size, 1, order);
      assert.equal(steps[0].org, 'cr-gas');
      assert.ok(steps[0].region.startsWith('42'), order);
      assert.ok(['gas_leak', 'other'].includes(steps[0].data.kind), order);
      const toArrive = (Date.parse(steps[2].occurred_at) - Date.parse(steps[0].occurred_at)) / 60_000;
      const toComplete = (Date.parse(steps[3].occurred_at) - Date.parse(steps[2].occurred_at)) / 60_000;
      assert.ok(toArrive >= 13 && toArrive <= 165, `${order}: ${toArrive} min to arrive`);
      assert.ok(toComplete >= 20 && toComplete <= 120, `${order}: ${toComplete} min to complete`);
      assert.ok(day(steps[3]) <= '2020-02-02', order);
    }
    const regions = distinct(repairs.map((e) => e.region));
    for (const r of ['420100', '420600', '429005']) assert.ok(regions.includes(r), r);
    const priorities = repairs.filter((e) => e.type === 'repair.reported').map((e) => e.data.priority);
    assert.ok(priorities.includes('urgent') && priorities.includes('normal'));
    assert.ok(repairs.every((e) => e.data.kind !== 'gas_leak' || e.data.priority === 'urgent'));
  });

  it('不计违约金: Guangdong January bills to 29 Feb, Shenzhen 31 Jan – 1 Mar, in whole fen', () => {
    const list = of('late_fee.waived').filter((e) => e.org === 'csg-gd' || e.org === 'csg-sz');
    const gd = list.filter((e) => e.org === 'csg-gd');
    const sz = list.filter((e) => e.org === 'csg-sz');
    assert.ok(gd.every((e) => day(e) >= '2020-02-01' && day(e) <= '2020-02-29' && e.region.startsWith('44') && e.region !== '440300'));
    assert.ok(sz.every((e) => e.region === '440300' && day(e) >= '2020-01-31' && day(e) < '2020-03-01'));
    assert.equal(sz.map(day).sort()[0], '2020-01-31');
    assert.ok(list.every((e) => e.data.service === 'power' && Number.isInteger(Math.round(e.data.amount_cny * 100)) && Math.abs(e.data.amount_cny * 100 - Math.round(e.data.amount_cny * 100)) < 1e-6));
    assert.equal(sum(gd), 1_200_000);
    assert.equal(sum(sz), 160_000);
    assert.equal(list.reduce((s, e) => s + Math.round(e.data.amount_cny * 100), 0), 330_000_000);
  });

  it('欠费不停电: State Grid Shanghai from 5 April 2022, and both grids in early 2020', () => {
    const power = of('suspension.waived').filter((e) => e.data.service === 'power');
    const shanghai = power.filter((e) => e.org === 'sgcc-sh');
    assert.ok(shanghai.every((e) => e.region === '310000' && day(e) >= '2022-04-05' && day(e) <= '2022-04-30'));
    assert.equal(shanghai.map(day).sort()[0], '2022-04-05');
    assert.equal(sum(shanghai), 68_000);
    const csg = power.filter((e) => e.org.startsWith('csg'));
    assert.equal(sum(csg), 860_000);
    assert.ok(csg.every((e) => day(e) >= '2020-01-24' && day(e) <= '2020-02-29'));
    assert.equal(sum(power.filter((e) => e.org === 'sgcc')), 2_150_000);
  });

  it('SEED_FIGURES: every figure measured over the events equals its value', () => {
    for (const figure of SEED_FIGURES) assert.equal(measureFigure(figure, events), figure.value, figure.name);
  });

  it('SEED_FIGURES: displays in Chinese units, names unique, orgs in the catalog', () => {
    assert.equal(seedFigure('telecom_suspension_waived').display, '116.95万');
    assert.equal(seedFigure('telecom_disconnection_deferred').display, '17.48亿');
    for (const figure of SEED_FIGURES) {
      assert.equal(figure.display, chineseDisplay(figure.value), figure.name);
      for (const org of figure.orgs) assert.ok(defaultCatalog().orgs[org], `${figure.name}: ${org}`);
    }
    assert.equal(new Set(SEED_FIGURES.map((f) => f.name)).size, SEED_FIGURES.length);
    assert.deepEqual(
      SEED_FIGURES.filter((f) => f.published).map((f) => f.value),
      [1_169_500, 1_748_000_000, 940_000, 60_000, 29_000_000, 7_500, 1_760],
    );
  });
});

function daysFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}
