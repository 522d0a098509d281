import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogRecord } from '../../event-log/event-log.ts';
import { realisticEvents } from '../../ingest/simulator/index.ts';
import { defaultCatalog, serializeEvent } from '../../schemas/index.ts';
import type { RowInPlace } from '../loader.ts';
import { eventRecordToRow, trustedEventRow, VALIDATED_HEADER } from './events-loader.ts';

const validated = Object.freeze({ [VALIDATED_HEADER]: '1' });
const canonical = [...realisticEvents(400, 7)].map(serializeEvent);

function peek(value: Buffer, start = 0, end = value.length, headers: Readonly<Record<string, string>> = validated) {
  const out: RowInPlace = { idStart: -1, idEnd: -1, time: NaN, coordinates: false };
  return trustedEventRow(value, start, end, headers, out) ? { id: value.toString('utf8', out.idStart, out.idEnd), time: out.time, coordinates: out.coordinates } : null;
}

describe('events loader: records our ingest validated', () => {
  it('reads id and occurred_at off the canonical bytes, equal to what a parse gives', () => {
    for (const line of canonical) {
      const event = JSON.parse(line);
      assert.deepEqual(peek(Buffer.from(line)), { id: event.id, time: Date.parse(event.occurred_at), coordinates: true }, line);
    }
  });

  it('reads the instant as Date.parse does for every form of occurred_at, month ends and offsets included', () => {
    const template = JSON.parse(canonical[0]);
    let state = 12345;
    const random = (n: number) => ((state = (state * 1103515245 + 12345) % 2 ** 31), state % n);
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    for (let i = 0; i < 5000; i++) {
      const year = 1900 + random(250);
      const stamp = `${pad(year, 4)}-${pad(1 + random(12))}-${pad(1 + random(31))}T${pad(random(24))}:${pad(random(60))}:${pad(random(60))}`;
      const fraction = [``, `.${pad(random(1000), 3)}`][random(2)];
      const zone = ['Z', '+08:00', '-05:30', '+14:00', '-00:00'][random(5)];
      const occurred = `${stamp}${fraction}${zone}`;
      const line = serializeEvent({ ...template, occurred_at: occurred });
      const expected = Date.parse(occurred);
      const got = peek(Buffer.from(line));
      if (Number.isNaN(expected)) assert.equal(got, null, occurred);
      else assert.equal(got?.time, expected, occurred);
    }
  });

  it('reads a value in place between other bytes, never past its end', () => {
    const line = Buffer.from(canonical[1]);
    const buf = Buffer.concat([Buffer.from('xx'), line, Buffer.from('"}')]);
    assert.equal(peek(buf, 2, 2 + line.length)?.id, JSON.parse(canonical[1]).id);
    // Cut inside occurred_at: the closing quote beyond the end must not be read.
    const cut = line.indexOf('"occurred_at":"') + 20;
    assert.equal(peek(Buffer.concat([line.subarray(0, cut), Buffer.from('"}')]), 0, cut), null);
  });

  it('takes nothing on trust that is not marked, not canonical, or an older schema version', () => {
    const line = Buffer.from(canonical[2]);
    assert.equal(peek(line, 0, line.length, {}), null, 'no mark');
    assert.equal(peek(line, 0, line.length, { [VALIDATED_HEADER]: '0' }), null, 'other mark');
    assert.equal(peek(Buffer.from(canonical[2].replace('{"id"', '{ "id"'))), null, 'whitespace');
    assert.equal(peek(Buffer.from(canonical[2].replace(/"type":"[a-z_.]+"/, '"type":"payment.made"'))), null, 'unknown type');
    const waived = canonical.find((l) => l.includes('"suspension.waived"'))!;
    assert.equal(peek(Buffer.from(waived.replace('"schema_version":2', '"schema_version":1'))), null, 'v1 is upcast, not trusted');
    assert.equal(peek(Buffer.from(`${canonical[2]} `)), null, 'not ending its object');
  });

  it('validates a record without the mark, and names the field of what is wrong', () => {
    const record = (value: string, headers: Record<string, string> = {}): LogRecord => ({ partition: 0, offset: 5, timestamp: 0, key: 'k', value: Buffer.from(value), headers });
    const ok = eventRecordToRow(record(canonical[3]), defaultCatalog());
    assert.ok(ok.ok);
    assert.equal(ok.id, JSON.parse(canonical[3]).id);
    assert.equal(ok.coordinates, true);
    const bad = eventRecordToRow(record(canonical[3].replace(/"quantity":\d+/, '"quantity":-1')), defaultCatalog());
    assert.deepEqual(bad.ok ? null : bad.errors.map((e) => e.field), ['quantity']);
  });
});
