import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ContinuityEvent, EVENT_TYPES, formatFieldErrors, parseEventLine, serializeEvent, validateEvent } from '../../schemas/index.ts';
import { allocate } from './allocate.ts';
import { realisticEvents, scenarios, toNdjson } from './index.ts';

const lines = (events: Iterable<ContinuityEvent>) => [...events].map(serializeEvent);

function repairSteps(events: ContinuityEvent[]): Map<string, ContinuityEvent[]> {
  const orders = new Map<string, ContinuityEvent[]>();
  for (const e of events) {
    if (!e.type.startsWith('repair.')) continue;
    const id = (e.data as { order_id: string }).order_id;
    orders.set(id, [...(orders.get(id) ?? []), e]);
  }
  return orders;
}

describe('realisticEvents', () => {
  const sample = [...realisticEvents(20_000, 1)];

  it('yields exactly count events, each valid and unchanged by validation', () => {
    assert.equal(sample.length, 20_000);
    for (const event of sample) {
      const result = validateEvent(event);
      assert.ok(result.ok, result.ok ? '' : `${event.id}: ${formatFieldErrors(result.errors)}`);
      assert.deepEqual(result.event, event);
    }
    assert.equal(new Set(sample.map((e) => e.id)).size, sample.length);
  });

  it('is deterministic per seed', () => {
    assert.deepEqual(lines(realisticEvents(20_000, 1)), lines(sample));
    assert.deepEqual(lines(realisticEvents(2_000, 5)), lines(realisticEvents(2_000, 5)));
    const other = lines(realisticEvents(2_000, 2));
    assert.notDeepEqual(other, lines(sample.slice(0, 2_000)));
    const ids = new Set(sample.map((e) => e.id));
    assert.ok([...realisticEvents(2_000, 2)].every((e) => !ids.has(e.id)), 'seeds do not share ids');
  });

  it('mixes every type and org, mostly single-customer events', () => {
    const types = new Set(sample.map((e) => e.type));
    assert.deepEqual([...EVENT_TYPES].filter((t) => !types.has(t)), []);
    assert.deepEqual([...new Set(sample.map((e) => e.org))].sort(), ['china-mobile', 'china-telecom', 'china-unicom', 'cr-gas', 'csg', 'csg-gd', 'csg-sz', 'sgcc', 'sgcc-sh']);
    assert.ok(new Set(sample.map((e) => e.region)).size > 200);
    const singles = sample.filter((e) => e.quantity === 1).length;
    assert.ok(singles / sample.length > 0.85, `${singles} single events`);
    for (const e of sample) assert.equal(e.customer_ref === undefined, e.quantity > 1, e.id);
  });

  it('keeps dates in the requested range, in China Standard Time', () => {
    const ranged = [...realisticEvents(5_000, 3, { from: '2022-04-01', to: '2022-04-30' })];
    const newEvents = ranged.filter((e) => e.type !== 'repair.dispatched' && e.type !== 'repair.arrived' && e.type !== 'repair.completed');
    assert.ok(newEvents.every((e) => e.occurred_at >= '2022-04-01T00:00:00+08:00' && e.occurred_at < '2022-05-01T00:00:00+08:00'));
    assert.ok(ranged.every((e) => e.occurred_at.endsWith('+08:00') && e.occurred_at < '2022-05-02'));
  });

  it('emits repairs as complete work orders in time order, whatever the count', () => {
    for (const count of [0, 1, 3, 4, 5, 7, 101, 20_000]) {
      const events = count === 20_000 ? sample : [...realisticEvents(count, 9)];
      assert.equal(events.length, count);
      for (const [order, steps] of repairSteps(events)) {
        assert.deepEqual(
          steps.map((e) => e.type),
          ['repair.reported', 'repair.dispatched', 'repair.arrived', 'repair.completed'],
          `${count}: ${order}`,
        );
        for (let i = 1; i < 4; i++) assert.ok(Date.parse(steps[i].occurred_at) > Date.parse(steps[i - 1].occurred_at), order);
        assert.equal(new Set(steps.map((e) => `${e.org}|${e.region}|${e.customer_ref}`)).size, 1, order);
      }
    }
    assert.ok(repairSteps(sample).size > 500);
  });

  it('is a lazy generator', () => {
    const it = realisticEvents(Number.MAX_SAFE_INTEGER, 1);
    assert.equal(serializeEvent(it.next().value as ContinuityEvent), serializeEvent(sample[0]));
  });

  it('rejects a negative count and an inverted range', () => {
    assert.throws(() => realisticEvents(-1).next(), /count must be a non-negative integer/);
    assert.throws(() => realisticEvents(1, 1, { from: '2021-01-02', to: '2021-01-01' }).next(), /before/);
  });
});

describe('toNdjson and scenarios', () => {
  it('writes one canonical line per event that parses back to the same event', () => {
    const events = [...realisticEvents(500, 4)];
    const out = [...toNdjson(events)];
    assert.equal(out.length, 500);
    out.forEach((line, i) => {
      assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
      const parsed = parseEventLine(line.slice(0, -1));
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.event, events[i]);
    });
  });

  it('registers the seed and realistic scenarios', () => {
    assert.deepEqual(Object.keys(scenarios), ['seed', 'realistic']);
    assert.equal([...scenarios.realistic.events({ count: 10, seed: 2 })].length, 10);
    assert.deepEqual(lines(scenarios.realistic.events({ count: 10, seed: 2 })), lines(realisticEvents(10, 2)));
  });
});

describe('allocate', () => {
  it('splits a total exactly, in proportion, by largest remainder', () => {
    assert.deepEqual(allocate(10, [1, 1, 1]), [4, 3, 3]);
    assert.deepEqual(allocate(7, [0.5, 0.3, 0.2]), [4, 2, 1]);
    assert.deepEqual(allocate(100, [0, 1, 0, 3]), [0, 25, 0, 75]);
    assert.deepEqual(allocate(0, [1, 2]), [0, 0]);
    const parts = allocate(1_748_000_000, Array.from({ length: 3441 }, (_, i) => 1 + (i % 17) / 7));
    assert.equal(
      parts.reduce((s, p) => s + p, 0),
      1_748_000_000,
    );
  });

  it('refuses what it cannot split', () => {
    assert.throws(() => allocate(5, [0, 0]), /positive total weight/);
    assert.throws(() => allocate(1.5, [1]), /non-negative safe integer/);
    assert.throws(() => allocate(5, [-1, 2]), /≥ 0/);
  });
});
