/**
 * Seeded generator of ingest input: valid events, boundary cases that are
 * valid, and malformed lines of every kind a producer, a broken exporter or an
 * attacker sends. Each case says whether it must be accepted, so a test can
 * hold the pipeline to an exact count.
 */
import { realisticEvents } from '../ingest/simulator/index.ts';
import { serializeEvent, type ContinuityEvent } from '../schemas/index.ts';
import { prng, seededUuid } from './safety.ts';

export interface FuzzCase {
  /** The line as bytes, without its newline. */
  bytes: Buffer;
  expect: 'accept' | 'reject';
  kind: string;
  /** For accepted cases: what must land. */
  id?: string;
  quantity?: number;
}

const INVALID_UTF8 = [[0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe4, 0xb8], [0x80], [0xfe, 0xfe]];
const BAD_QUANTITIES = ['1e400', '-0', '"NaN"', '0', '-1', '1.5', '1000000000001', '9007199254740993', '1e-400', '"1"', 'null', '[]', '{}', 'true', '-1e400'];
const RAW_REFS = ['13812345678', '+86 139 1234 5678', '110101199003071234', '11010119900307123X', 'li.si@example.com', '6222021234567890123', 'acct-0312345678', '0755-8888 6666'];
const CONTROL = Array.from({ length: 31 }, (_, i) => i + 1).filter((c) => c !== 10);
const ENVELOPE = ['id', 'type', 'schema_version', 'occurred_at', 'org', 'region', 'quantity', 'source', 'data'] as const;

function nested(depth: number, open: string, close: string, inner = '1'): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

export function fuzzCases(count: number, seed: number): FuzzCase[] {
  const rng = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
  const base = [...realisticEvents(Math.ceil(count / 2) + 50, seed)];
  let b = 0;
  /** A fresh valid event with an id of its own. */
  const fresh = (): ContinuityEvent => ({ ...base[b++ % base.length], id: seededUuid(rng) }) as ContinuityEvent;
  const text = (e: unknown) => JSON.stringify(e);
  const line = (s: string | Buffer) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
  /** The event's JSON with one top-level field's value replaced by raw JSON text. */
  const withRaw = (e: ContinuityEvent, field: string, raw: string) => {
    const placeholder = '"__FUZZ__"';
    return text({ ...e, [field]: '__FUZZ__' }).replace(placeholder, raw);
  };

  const bad: (() => FuzzCase)[] = [
    () => {
      const s = Buffer.from(serializeEvent(fresh()));
      const at = 1 + Math.floor(rng() * (s.length - 2));
      return { kind: 'invalid UTF-8', expect: 'reject', bytes: Buffer.concat([s.subarray(0, at), Buffer.from(pick(INVALID_UTF8)), s.subarray(at)]) };
    },
    // Inside free text, where replacement characters would pass validation unnoticed.
    () => {
      const s = Buffer.from(serializeEvent(fresh()));
      const at = s.indexOf('"source":"') + 10;
      return { kind: 'invalid UTF-8 in free text', expect: 'reject', bytes: Buffer.concat([s.subarray(0, at), Buffer.from(pick(INVALID_UTF8)), s.subarray(at)]) };
    },
    () => {
      const s = serializeEvent(fresh());
      return { kind: 'truncated JSON', expect: 'reject', bytes: line(s.slice(0, 1 + Math.floor(rng() * (s.length - 2)))) };
    },
    // Any control character but the newline, which would end the line.
    () => ({ kind: 'raw control character', expect: 'reject', bytes: line(serializeEvent(fresh()).replace('"source":"', `"source":"x${String.fromCharCode(pick(CONTROL))}`)) }),
    () => ({ kind: 'null field', expect: 'reject', bytes: line(withRaw(fresh(), pick(ENVELOPE), 'null')) }),
    () => ({ kind: 'wrong type', expect: 'reject', bytes: line(withRaw(fresh(), pick(ENVELOPE.filter((f) => f !== 'quantity')), pick(['[]', '{}', '12345', 'true', '[{"a":1}]']))) }),
    () => ({ kind: 'bad number', expect: 'reject', bytes: line(withRaw(fresh(), 'quantity', pick(BAD_QUANTITIES))) }),
    () => ({ kind: 'not JSON numbers', expect: 'reject', bytes: line(withRaw(fresh(), 'quantity', pick(['NaN', 'Infinity', '-Infinity', '0x10', '01', '+1', '1.']))) }),
    () => ({ kind: 'deep nesting in data', expect: 'reject', bytes: line(withRaw(fresh(), 'data', nested(10_000, '[', ']'))) }),
    () => ({ kind: 'deep nesting in an unknown field', expect: 'reject', bytes: line(withRaw(fresh(), 'extra', nested(10_000, '{"a":', '}'))) }),
    () => ({ kind: 'string too long', expect: 'reject', bytes: line(text({ ...fresh(), source: 's'.repeat(129 + Math.floor(rng() * 5000)) })) }),
    () => ({ kind: 'array for the event', expect: 'reject', bytes: line(`[${serializeEvent(fresh())}]`) }),
    () => ({ kind: 'array for data', expect: 'reject', bytes: line(withRaw(fresh(), 'data', '["power"]')) }),
    () => ({ kind: 'duplicate key, last invalid', expect: 'reject', bytes: line(serializeEvent(fresh()).replace(/}$/, ',"org":"acme-power"}')) }),
    () => ({ kind: '__proto__ key', expect: 'reject', bytes: line(serializeEvent(fresh()).replace(/^{/, '{"__proto__":{"quantity":5,"polluted":true},')) }),
    () => ({ kind: 'constructor.prototype key', expect: 'reject', bytes: line(serializeEvent(fresh()).replace(/}$/, ',"constructor":{"prototype":{"polluted":true}}}')) }),
    () => ({ kind: '__proto__ in data', expect: 'reject', bytes: line(serializeEvent(fresh()).replace('"data":{', '"data":{"__proto__":{"polluted":true},')) }),
    () => ({ kind: 'BOM inside the line', expect: 'reject', bytes: line(serializeEvent(fresh()).replace('{', '{\uFEFF')) }),
    // ASCII only, so no UTF-16 code unit holds a newline byte.
    () => ({ kind: 'UTF-16 encoded', expect: 'reject', bytes: Buffer.from(serializeEvent(fresh()).replace(/[^\x20-\x7e]/g, 'x'), 'utf16le') }),
    () => ({ kind: 'unknown type', expect: 'reject', bytes: line(text({ ...fresh(), type: pick(['suspension.waved', 'SUSPENSION.WAIVED', '', 'repair']) })) }),
    () => ({ kind: 'unknown org', expect: 'reject', bytes: line(text({ ...fresh(), org: pick(['acme', 'SGCC', 'sgcc ', '']) })) }),
    () => ({ kind: 'unknown region', expect: 'reject', bytes: line(text({ ...fresh(), region: pick(['999999', '4201', '420100 ', '42O100']) })) }),
    () => ({ kind: 'bad id', expect: 'reject', bytes: line(text({ ...fresh(), id: pick(['1', 'not-a-uuid', '0192d5c4-8f3a-7c1e-9b2a-5d6e7f809a1', 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ', '']) })) }),
    () => ({
      kind: 'bad occurred_at',
      expect: 'reject',
      bytes: line(text({ ...fresh(), occurred_at: pick(['2020-01-24T08:00:00', '2019-02-29T08:00:00+08:00', '1899-12-31T23:59:59+08:00', '2020-13-01T00:00:00Z', 'yesterday', '2020-01-24T25:00:00+08:00']) })),
    }),
    () => ({ kind: 'bad schema_version', expect: 'reject', bytes: line(withRaw(fresh(), 'schema_version', pick(['0', '99', '"1"', '1.5', '-1']))) }),
    () => ({ kind: 'raw customer_ref', expect: 'reject', bytes: line(text({ ...fresh(), customer_ref: pick(RAW_REFS) })) }),
    () => ({ kind: 'unknown field', expect: 'reject', bytes: line(text({ ...fresh(), account_number: '6222021234567890' })) }),
    () => ({ kind: 'not an object', expect: 'reject', bytes: line(pick(['{}', 'null', '"event"', '123', 'true', '[]', '{"id":1}', '{,}', '}{'])) }),
  ];
  const goodBoundary: (() => FuzzCase)[] = [
    () => {
      const e = fresh();
      return { kind: 'BOM at the start of the line', expect: 'accept', id: e.id, quantity: e.quantity, bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(serializeEvent(e))]) };
    },
    () => {
      const e = { ...fresh(), quantity: 1_000_000_000_000 } as ContinuityEvent;
      return { kind: 'largest quantity', expect: 'accept', id: e.id, quantity: e.quantity, bytes: line(serializeEvent(e)) };
    },
    () => {
      const e = fresh();
      return { kind: 'CRLF and spaces', expect: 'accept', id: e.id, quantity: e.quantity, bytes: line(`  ${JSON.stringify(e, null, 0).replace(/,"/g, ' , "')}  \r`) };
    },
    () => {
      const e = fresh();
      return { kind: 'duplicate key, last valid', expect: 'accept', id: e.id, quantity: e.quantity, bytes: line(serializeEvent(e).replace(/^{/, `{"org":"acme-power",`)) };
    },
    () => {
      const e = { ...fresh(), quantity: 1 } as ContinuityEvent;
      return { kind: 'quantity 1.0', expect: 'accept', id: e.id, quantity: 1, bytes: line(withRaw(e, 'quantity', '1.0')) };
    },
  ];

  const cases: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const r = rng();
    if (r < 0.55) cases.push(pick(bad)());
    else if (r < 0.62) cases.push(pick(goodBoundary)());
    else {
      const e = fresh();
      cases.push({ kind: 'valid', expect: 'accept', id: e.id, quantity: e.quantity, bytes: line(serializeEvent(e)) });
    }
  }
  return cases;
}

/** A line longer than any event may be (1 MiB and more): refused without being parsed. */
export function overlongLine(seed: number): FuzzCase {
  const rng = prng(seed);
  return { kind: 'line over 1 MiB', expect: 'reject', bytes: Buffer.from(`{"id":"${seededUuid(rng)}","source":"${'x'.repeat(1024 * 1024 + 10)}"}`) };
}
