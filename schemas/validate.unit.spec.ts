import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ContinuityEvent,
  DATA_SCHEMAS,
  EVENT_TYPES,
  eventKey,
  type EventType,
  type FieldError,
  formatFieldErrors,
  knownSchemaVersions,
  latestSchemaVersion,
  parseEventLine,
  serializeEvent,
  upcast,
  upcasters,
  type VersionedEvent,
  validateEvent,
} from './index.ts';

const ID = '5f0c9b1e-2d4a-4c8e-9a7b-1c2d3e4f5a6b';

const DATA: Record<EventType, Record<string, unknown>> = {
  'suspension.waived': { service: 'telecom', arrears_cny: 58.3, reason: '疫情防控期间欠费不停机' },
  'disconnection.deferred': { service: 'telecom', deferred_until: '2020-03-31' },
  'late_fee.waived': { service: 'power', amount_cny: 12.5 },
  'online.transaction': { kind: 'payment', channel: 'app', amount_cny: 200 },
  'repair.reported': { order_id: 'CRG-HB-0001', kind: 'gas_leak', priority: 'urgent' },
  'repair.dispatched': { order_id: 'CRG-HB-0001', kind: 'gas_leak' },
  'repair.arrived': { order_id: 'CRG-HB-0001', kind: 'other', priority: 'normal' },
  'repair.completed': { order_id: 'CRG-HB-0001', kind: 'meter' },
};

function valid(type: EventType = 'suspension.waived', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: ID,
    type,
    schema_version: 1,
    occurred_at: '2020-01-24T08:00:00+08:00',
    org: 'china-telecom',
    region: '420100',
    quantity: 3,
    source: 'ct-billing',
    data: DATA[type],
    ...extra,
  };
}

function errorsOf(input: unknown): FieldError[] {
  const result = validateEvent(input);
  assert.equal(result.ok, false, 'expected a rejection');
  return result.ok ? [] : result.errors;
}

/** Asserts exactly one error, on `field`, whose reason contains `fragment`. */
function rejects(input: unknown, field: string, fragment: string) {
  const errors = errorsOf(input);
  assert.deepEqual(
    errors.map((e) => e.field),
    [field],
    formatFieldErrors(errors),
  );
  assert.ok(errors[0].reason.includes(fragment), `"${errors[0].reason}" should contain "${fragment}"`);
}

function withData(type: EventType, data: Record<string, unknown>) {
  return valid(type, { data });
}

describe('validateEvent: accepts', () => {
  for (const type of EVENT_TYPES) {
    it(`a valid ${type}`, () => {
      const result = validateEvent(valid(type));
      assert.equal(result.ok, true, result.ok ? '' : formatFieldErrors(result.errors));
      // A v1 suspension.waived comes back upcast to v2.
      const expected = type === 'suspension.waived' ? { ...valid(type), schema_version: 2, data: { ...DATA[type], beneficiary: 'unspecified' } } : { ...valid(type) };
      assert.deepEqual(result.ok && result.event, expected);
    });
  }

  it('a ULID, an upper-case UUID and a nil UUID as id', () => {
    for (const id of ['01ARZ3NDEKTSV4RRFFQ69G5FAV', '01arz3ndektsv4rrffq69g5fav', '5F0C9B1E-2D4A-4C8E-9A7B-1C2D3E4F5A6B', '00000000-0000-0000-0000-000000000000']) {
      assert.equal(validateEvent(valid('suspension.waived', { id })).ok, true, id);
    }
  });

  it('Z, negative offsets and fractional seconds in occurred_at', () => {
    for (const occurred_at of ['2020-01-24T00:00:00Z', '2020-01-24T00:00:00.123-05:30', '2020-02-29T23:59:59.123456789+08:00']) {
      assert.equal(validateEvent(valid('suspension.waived', { occurred_at })).ok, true, occurred_at);
    }
  });

  it('a county-level city directly under a province as region', () => {
    assert.equal(validateEvent(valid('repair.completed', { org: 'cr-gas', region: '429005' })).ok, true);
  });

  it('online.transaction without amount_cny', () => {
    assert.equal(validateEvent(withData('online.transaction', { kind: 'registration', channel: 'app' })).ok, true);
  });

  it('fills quantity with 1 when absent', () => {
    const input = valid();
    delete input.quantity;
    const result = validateEvent(input);
    assert.equal(result.ok && result.event.quantity, 1);
  });

  it('quantity up to 1e12', () => {
    assert.equal(validateEvent(valid('disconnection.deferred', { quantity: 1e12 })).ok, true);
  });
});

describe('validateEvent: rejects', () => {
  it('a non-object document on $', () => {
    assert.deepEqual(errorsOf([]), [{ field: '$', reason: 'must be a JSON object (got an array)' }]);
    assert.deepEqual(errorsOf(null), [{ field: '$', reason: 'must be a JSON object (got null)' }]);
    assert.deepEqual(errorsOf('x'), [{ field: '$', reason: 'must be a JSON object (got "x")' }]);
  });

  it('an id that is neither UUID nor ULID', () => {
    rejects(valid('suspension.waived', { id: 'evt-1' }), 'id', 'must be a UUID or a ULID (got "evt-1")');
    rejects(valid('suspension.waived', { id: '5f0c9b1e2d4a4c8e9a7b1c2d3e4f5a6b' }), 'id', 'must be a UUID or a ULID');
    rejects(valid('suspension.waived', { id: '81ARZ3NDEKTSV4RRFFQ69G5FAV' }), 'id', 'must be a UUID or a ULID');
    rejects(valid('suspension.waived', { id: 7 }), 'id', 'must be a UUID or a ULID (got 7)');
  });

  it('an unknown type, with no data errors', () => {
    assert.deepEqual(errorsOf(valid('suspension.waived', { type: 'x', data: { nonsense: true } })), [
      {
        field: 'type',
        reason:
          'unknown event type "x" (known: suspension.waived, disconnection.deferred, late_fee.waived, online.transaction, repair.reported, repair.dispatched, repair.arrived, repair.completed)',
      },
    ]);
  });

  it('an unknown type still reports envelope errors', () => {
    const errors = errorsOf(valid('suspension.waived', { type: 'x', region: '999999' }));
    assert.deepEqual(
      errors.map((e) => e.field),
      ['type', 'region'],
    );
  });

  it('schema_version that is not a known integer ≥ 1', () => {
    assert.deepEqual(errorsOf(valid('suspension.waived', { schema_version: 3 })), [{ field: 'schema_version', reason: 'unknown version 3 for suspension.waived (known: 1, 2)' }]);
    assert.deepEqual(errorsOf(valid('late_fee.waived', { schema_version: 2 })), [{ field: 'schema_version', reason: 'unknown version 2 for late_fee.waived (known: 1)' }]);
    rejects(valid('suspension.waived', { schema_version: 0 }), 'schema_version', 'must be an integer ≥ 1 (got 0)');
    rejects(valid('suspension.waived', { schema_version: '1' }), 'schema_version', 'must be an integer ≥ 1 (got "1")');
    rejects(valid('suspension.waived', { schema_version: 1.5 }), 'schema_version', 'must be an integer ≥ 1 (got 1.5)');
  });

  it('occurred_at without an offset', () => {
    assert.deepEqual(errorsOf(valid('suspension.waived', { occurred_at: '2020-01-24T08:00:00' })), [
      { field: 'occurred_at', reason: 'must be an ISO-8601 date-time with an offset, e.g. 2020-01-24T08:00:00+08:00 (got "2020-01-24T08:00:00")' },
    ]);
    rejects(valid('suspension.waived', { occurred_at: '2020-01-24' }), 'occurred_at', 'with an offset');
    rejects(valid('suspension.waived', { occurred_at: '2020-01-24 08:00:00+08:00' }), 'occurred_at', 'with an offset');
    rejects(valid('suspension.waived', { occurred_at: '2020-01-24T08:00:00+0800' }), 'occurred_at', 'with an offset');
    rejects(valid('suspension.waived', { occurred_at: 1579824000000 }), 'occurred_at', 'with an offset');
  });

  it('occurred_at that is not a real instant', () => {
    rejects(valid('suspension.waived', { occurred_at: '2020-02-30T08:00:00+08:00' }), 'occurred_at', 'must be a real calendar date and time (got "2020-02-30T08:00:00+08:00")');
    rejects(valid('suspension.waived', { occurred_at: '2019-02-29T08:00:00Z' }), 'occurred_at', 'real calendar');
    rejects(valid('suspension.waived', { occurred_at: '2020-04-31T08:00:00Z' }), 'occurred_at', 'real calendar');
    rejects(valid('suspension.waived', { occurred_at: '2020-01-24T24:00:00Z' }), 'occurred_at', 'real calendar');
    rejects(valid('suspension.waived', { occurred_at: '2020-01-24T08:60:00Z' }), 'occurred_at', 'real calendar');
    rejects(valid('suspension.waived', { occurred_at: '2020-01-24T08:00:00+19:00' }), 'occurred_at', 'real calendar');
    rejects(valid('suspension.waived', { occurred_at: '1899-12-31T08:00:00Z' }), 'occurred_at', 'must be a year between 1900 and 2299');
  });

  it('an unknown org, listing the known ones', () => {
    assert.deepEqual(errorsOf(valid('suspension.waived', { org: 'foo' })), [
      { field: 'org', reason: 'unknown org "foo" (known: sgcc, sgcc-sh, csg, csg-gd, csg-sz, china-telecom, china-unicom, china-mobile, cr-gas)' },
    ]);
    rejects(valid('suspension.waived', { org: 'constructor' }), 'org', 'unknown org "constructor"');
  });

  it('an unknown or malformed region', () => {
    assert.deepEqual(errorsOf(valid('suspension.waived', { region: '999999' })), [
      { field: 'region', reason: 'unknown region code "999999" (expected a 6-digit GB/T 2260 code such as 310000)' },
    ]);
    rejects(valid('suspension.waived', { region: 420100 }), 'region', 'must be a 6-digit GB/T 2260 code such as 310000, as a string (got 420100)');
    rejects(valid('suspension.waived', { region: '4201' }), 'region', '6-digit GB/T 2260 code');
    // 429000 heads the county-level cities under Hubei; it is not itself a place.
    rejects(valid('suspension.waived', { region: '429000' }), 'region', 'unknown region code "429000"');
  });

  it('quantity outside 1..1e12 or not an integer', () => {
    assert.deepEqual(errorsOf(valid('suspension.waived', { quantity: 0 })), [{ field: 'quantity', reason: 'must be an integer ≥ 1 (got 0)' }]);
    rejects(valid('suspension.waived', { quantity: -5 }), 'quantity', 'must be an integer ≥ 1 (got -5)');
    rejects(valid('suspension.waived', { quantity: 2.5 }), 'quantity', 'must be an integer ≥ 1 (got 2.5)');
    rejects(valid('suspension.waived', { quantity: '3' }), 'quantity', 'must be an integer ≥ 1 (got "3")');
    rejects(valid('suspension.waived', { quantity: null }), 'quantity', 'must be an integer ≥ 1 (got null)');
    rejects(valid('suspension.waived', { quantity: 1e12 + 1 }), 'quantity', 'must be an integer ≤ 1000000000000 (got 1000000000001)');
  });

  it('customer_ref that is empty, too long or not a string', () => {
    rejects(valid('suspension.waived', { customer_ref: '' }), 'customer_ref', 'must be a string of 1 to 128 characters (got "")');
    rejects(valid('suspension.waived', { customer_ref: 'x'.repeat(129) }), 'customer_ref', '(got a string of 129 characters)');
    rejects(valid('suspension.waived', { customer_ref: null }), 'customer_ref', '(got null)');
    assert.equal(validateEvent(valid('suspension.waived', { customer_ref: 'x'.repeat(128) })).ok, true);
  });

  it('source that is missing, empty or too long', () => {
    const input = valid();
    delete input.source;
    assert.deepEqual(errorsOf(input), [{ field: 'source', reason: 'required (expected a non-empty string of at most 128 characters)' }]);
    rejects(valid('suspension.waived', { source: '' }), 'source', 'must be a non-empty string of at most 128 characters (got "")');
    rejects(valid('suspension.waived', { source: 's'.repeat(129) }), 'source', 'at most 128 characters');
  });

  it('every missing required field at once', () => {
    assert.deepEqual(
      errorsOf({}).map((e) => e.field),
      ['id', 'type', 'schema_version', 'occurred_at', 'org', 'region', 'source', 'data'],
    );
  });

  it('unknown fields in the envelope and in data', () => {
    assert.deepEqual(errorsOf(valid('suspension.waived', { foo: 1, bar: 2 })), [
      { field: 'foo', reason: 'unknown field' },
      { field: 'bar', reason: 'unknown field' },
    ]);
    assert.deepEqual(errorsOf(withData('late_fee.waived', { service: 'power', amount_cny: 1, currency: 'CNY' })), [{ field: 'data.currency', reason: 'unknown field' }]);
    assert.deepEqual(errorsOf(JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(valid()).slice(1)}`)), [{ field: '__proto__', reason: 'unknown field' }]);
  });

  it('data that is not an object', () => {
    rejects(valid('late_fee.waived', { data: null }), 'data', 'must be an object with the fields of late_fee.waived (got null)');
    rejects(valid('late_fee.waived', { data: [] }), 'data', '(got an array)');
  });

  it('a service outside power|telecom|gas|water', () => {
    assert.deepEqual(errorsOf(withData('suspension.waived', { service: 'electricity' })), [
      { field: 'data.service', reason: 'must be one of power, telecom, gas, water (got "electricity")' },
    ]);
    rejects(withData('late_fee.waived', { amount_cny: 1 }), 'data.service', 'required (expected one of power, telecom, gas, water)');
  });

  it('negative or non-numeric money', () => {
    rejects(withData('suspension.waived', { service: 'power', arrears_cny: -1 }), 'data.arrears_cny', 'must be a number ≥ 0 (yuan) (got -1)');
    rejects(withData('late_fee.waived', { service: 'power', amount_cny: '12.5' }), 'data.amount_cny', 'must be a number ≥ 0 (yuan) (got "12.5")');
    rejects(withData('late_fee.waived', { service: 'power' }), 'data.amount_cny', 'required (expected a number ≥ 0 (yuan))');
    rejects(withData('online.transaction', { kind: 'payment', channel: 'app', amount_cny: -0.01 }), 'data.amount_cny', '(got -0.01)');
  });

  it('a reason that is not a string', () => {
    rejects(withData('suspension.waived', { service: 'gas', reason: 3 }), 'data.reason', 'must be a string (got 3)');
  });

  it('deferred_until that is not a real YYYY-MM-DD date', () => {
    rejects(withData('disconnection.deferred', { service: 'telecom', deferred_until: '2020-02-30' }), 'data.deferred_until', 'must be a real calendar date (got "2020-02-30")');
    rejects(withData('disconnection.deferred', { service: 'telecom', deferred_until: '2020-3-1' }), 'data.deferred_until', 'must be a date YYYY-MM-DD, e.g. 2020-03-31 (got "2020-3-1")');
    rejects(withData('disconnection.deferred', { service: 'telecom', deferred_until: '2020-03-31T00:00:00+08:00' }), 'data.deferred_until', 'must be a date YYYY-MM-DD');
    rejects(withData('disconnection.deferred', { service: 'telecom' }), 'data.deferred_until', 'required');
  });

  it('online kind and channel outside their enums', () => {
    assert.deepEqual(errorsOf(withData('online.transaction', { kind: 'refund', channel: 'fax' })), [
      { field: 'data.kind', reason: 'must be one of payment, service_ticket, business, registration (got "refund")' },
      { field: 'data.channel', reason: 'must be one of app, wechat, web, hotline, terminal, counter (got "fax")' },
    ]);
  });

  it('repair order_id, kind and priority', () => {
    rejects(withData('repair.reported', { order_id: '', kind: 'gas_leak' }), 'data.order_id', 'must be a non-empty string of at most 128 characters (got "")');
    rejects(withData('repair.arrived', { kind: 'gas_leak' }), 'data.order_id', 'required');
    rejects(withData('repair.dispatched', { order_id: 'A', kind: 'fire' }), 'data.kind', 'must be one of gas_leak, outage, line_fault, meter, other (got "fire")');
    rejects(withData('repair.completed', { order_id: 'A', kind: 'meter', priority: 'high' }), 'data.priority', 'must be one of urgent, normal (got "high")');
  });

  it('reports every problem of one event, in catalog order', () => {
    const errors = errorsOf(valid('online.transaction', { region: '999999', quantity: 0, extra: 1, data: { kind: 'payment', channel: 'fax' } }));
    assert.deepEqual(
      errors.map((e) => e.field),
      ['region', 'quantity', 'data.channel', 'extra'],
    );
  });
});

describe('parseEventLine', () => {
  it('accepts a valid line', () => {
    const result = parseEventLine(JSON.stringify(valid('repair.reported', { org: 'cr-gas' })));
    assert.equal(result.ok, true);
  });

  it('rejects malformed JSON on $', () => {
    const result = parseEventLine('{"id": ');
    assert.equal(result.ok, false);
    assert.equal(result.ok ? '' : result.errors[0].field, '$');
    assert.match(result.ok ? '' : result.errors[0].reason, /^not valid JSON: /);
    assert.equal(result.ok ? 0 : result.errors.length, 1);
  });
});

describe('formatFieldErrors', () => {
  it('joins field: reason with semicolons', () => {
    assert.equal(
      formatFieldErrors([
        { field: 'region', reason: 'a' },
        { field: 'quantity', reason: 'b' },
      ]),
      'region: a; quantity: b',
    );
  });
});

describe('serializeEvent and eventKey', () => {
  it('writes the envelope in catalog order with sorted data keys', () => {
    const result = validateEvent({
      data: { priority: 'urgent', kind: 'gas_leak', order_id: 'CRG-1' },
      source: 'crgas-workorder',
      customer_ref: 'c-1',
      region: '420100',
      org: 'cr-gas',
      occurred_at: '2020-01-24T08:00:00+08:00',
      schema_version: 1,
      type: 'repair.reported',
      id: ID,
    });
    assert.ok(result.ok);
    assert.equal(
      serializeEvent(result.event),
      `{"id":"${ID}","type":"repair.reported","schema_version":1,"occurred_at":"2020-01-24T08:00:00+08:00","org":"cr-gas","region":"420100","quantity":1,"customer_ref":"c-1","source":"crgas-workorder","data":{"kind":"gas_leak","order_id":"CRG-1","priority":"urgent"}}`,
    );
    assert.equal(eventKey(result.event), 'cr-gas:420100');
  });

  it('round-trips through parseEventLine for every type', () => {
    for (const type of EVENT_TYPES) {
      const first = validateEvent(valid(type));
      assert.ok(first.ok);
      const line = serializeEvent(first.event);
      const again = parseEventLine(line);
      assert.ok(again.ok, type);
      assert.deepEqual(again.event, first.event);
      assert.equal(serializeEvent(again.event as ContinuityEvent), line);
    }
  });
});

describe('schema versions', () => {
  it('suspension.waived is at version 2, every other type at version 1', () => {
    for (const type of EVENT_TYPES) {
      const latest = type === 'suspension.waived' ? 2 : 1;
      assert.equal(latestSchemaVersion(type), latest, type);
      assert.deepEqual(knownSchemaVersions(type), latest === 2 ? [1, 2] : [1]);
    }
  });

  it('every version below the latest has an upcaster', () => {
    for (const type of EVENT_TYPES) {
      for (let v = 1; v < DATA_SCHEMAS[type].length; v++) {
        assert.equal(typeof upcasters[type]?.[v], 'function', `${type} v${v} → v${v + 1}`);
      }
    }
  });

  it('upcast chains one step per version and refuses a gap', () => {
    const v1 = valid('late_fee.waived') as unknown as VersionedEvent;
    const registry = {
      'late_fee.waived': {
        1: (e: VersionedEvent) => ({ ...e, data: { ...e.data, amount_fen: Math.round((e.data.amount_cny as number) * 100) } }),
        2: (e: VersionedEvent) => ({ ...e, data: { service: e.data.service, amount_fen: e.data.amount_fen } }),
      },
    };
    assert.deepEqual(upcast(v1, registry, 3), { ...v1, schema_version: 3, data: { service: 'power', amount_fen: 1250 } });
    assert.equal(upcast(v1), v1);
    assert.throws(() => upcast(v1, {}, 2), /no upcaster from late_fee.waived v1 to v2/);
  });
});
