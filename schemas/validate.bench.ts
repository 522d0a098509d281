/**
 * Validation throughput, to keep an eye on the hot path of ingest and replay.
 * Usage: npx tsx schemas/validate.bench.ts [events]
 */
import { EVENT_TYPES, type EventType, parseEventLine, validateEvent } from './index.ts';

const DATA: Record<EventType, Record<string, unknown>> = {
  'suspension.waived': { service: 'telecom', arrears_cny: 58.3 },
  'disconnection.deferred': { service: 'telecom', deferred_until: '2020-03-31' },
  'late_fee.waived': { service: 'power', amount_cny: 12.5 },
  'online.transaction': { kind: 'payment', channel: 'app', amount_cny: 200 },
  'repair.reported': { order_id: 'CRG-1', kind: 'gas_leak', priority: 'urgent' },
  'repair.dispatched': { order_id: 'CRG-1', kind: 'gas_leak', priority: 'urgent' },
  'repair.arrived': { order_id: 'CRG-1', kind: 'gas_leak', priority: 'urgent' },
  'repair.completed': { order_id: 'CRG-1', kind: 'gas_leak', priority: 'urgent' },
};

const total = Number(process.argv[2] ?? 1_000_000);
const lines = Array.from({ length: 4096 }, (_, i) => {
  const type = EVENT_TYPES[i % EVENT_TYPES.length];
  return JSON.stringify({
    id: `0190a5b2-7c3e-7f00-8a00-${String(i).padStart(12, '0')}`,
    type,
    schema_version: 1,
    occurred_at: `2020-01-${String(1 + (i % 28)).padStart(2, '0')}T08:00:00+08:00`,
    org: 'cr-gas',
    region: i % 2 === 0 ? '420100' : '429005',
    quantity: 1 + (i % 5),
    ...(i % 3 === 0 ? { customer_ref: `c-${i}` } : {}),
    source: 'bench',
    data: DATA[type],
  });
});
const objects = lines.map((l) => JSON.parse(l) as unknown);
const invalid = objects.map((o) => ({ ...(o as object), region: '999999', quantity: 0 }));

function rate(name: string, fn: (i: number) => unknown) {
  for (let i = 0; i < 50_000; i++) fn(i);
  const start = performance.now();
  for (let i = 0; i < total; i++) fn(i);
  const seconds = (performance.now() - start) / 1000;
  console.log(`${name.padEnd(36)} ${Math.round(total / seconds).toLocaleString('en-US').padStart(12)} events/s`);
}

rate('validateEvent (parsed objects)', (i) => validateEvent(objects[i & 4095]));
rate('parseEventLine (JSON text)', (i) => parseEventLine(lines[i & 4095]));
rate('validateEvent (invalid, 2 errors)', (i) => validateEvent(invalid[i & 4095]));
