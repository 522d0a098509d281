/**
 * suspension.waived v2: `data.beneficiary`, and v1 events upcast to it, so a
 * log holding both versions reads as one shape.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BENEFICIARIES, catalogVersion, EVENT_TYPES, parseEventLine, serializeEvent, upcast, type VersionedEvent, validateEvent } from './index.ts';
import { jsonSchemaFile, renderEventJsonSchema } from './json-schema.ts';

const v1 = {
  id: '5f0c9b1e-2d4a-4c8e-9a7b-1c2d3e4f5a6b',
  type: 'suspension.waived',
  schema_version: 1,
  occurred_at: '2020-02-03T20:00:00+08:00',
  org: 'china-mobile',
  region: '420100',
  quantity: 1200,
  source: 'cmcc-billing',
  data: { service: 'telecom', reason: '疫情高发区用户欠费不停机' },
} as const;

const v2 = { ...v1, schema_version: 2, data: { ...v1.data, beneficiary: 'epidemic_area' } } as const;

describe('suspension.waived v2', () => {
  it('a v1 event is upcast with beneficiary "unspecified", everything else kept', () => {
    const result = validateEvent(v1);
    assert.ok(result.ok);
    assert.deepEqual(result.event, { ...v1, schema_version: 2, data: { service: 'telecom', reason: '疫情高发区用户欠费不停机', beneficiary: 'unspecified' } });
    assert.deepEqual(upcast(v1 as unknown as VersionedEvent), result.event);
  });

  it('a v2 event is taken as it is, and v1 and v2 lines read as one shape', () => {
    const result = validateEvent(v2);
    assert.ok(result.ok);
    assert.deepEqual(result.event, v2);
    const read = [JSON.stringify(v1), JSON.stringify(v2)].map((line) => parseEventLine(line));
    assert.deepEqual(
      read.map((r) => r.ok && [r.event.schema_version, Object.keys(r.event.data).sort()]),
      [
        [2, ['beneficiary', 'reason', 'service']],
        [2, ['beneficiary', 'reason', 'service']],
      ],
    );
    assert.equal(
      serializeEvent(result.event),
      '{"id":"5f0c9b1e-2d4a-4c8e-9a7b-1c2d3e4f5a6b","type":"suspension.waived","schema_version":2,"occurred_at":"2020-02-03T20:00:00+08:00","org":"china-mobile","region":"420100","quantity":1200,"source":"cmcc-billing","data":{"beneficiary":"epidemic_area","reason":"疫情高发区用户欠费不停机","service":"telecom"}}',
    );
  });

  it('v2 requires beneficiary, one of the listed values', () => {
    const missing = validateEvent({ ...v2, data: { service: 'telecom' } });
    assert.deepEqual(missing.ok ? [] : missing.errors, [
      { field: 'data.beneficiary', reason: 'required (one of frontline, epidemic_area, resident, epidemic_facility, unspecified)' },
    ]);
    const wrong = validateEvent({ ...v2, data: { service: 'telecom', beneficiary: 'vip' } });
    assert.equal(wrong.ok, false);
    assert.deepEqual(wrong.ok ? [] : wrong.errors.map((e) => e.field), ['data.beneficiary']);
    assert.match(wrong.ok ? '' : wrong.errors[0].reason, /"vip"/);
    // v1 never had the field: sending it with version 1 is an unknown field.
    const early = validateEvent({ ...v1, data: { service: 'telecom', beneficiary: 'frontline' } });
    assert.deepEqual(early.ok ? [] : early.errors, [{ field: 'data.beneficiary', reason: 'unknown field' }]);
    assert.deepEqual([...BENEFICIARIES], ['frontline', 'epidemic_area', 'resident', 'epidemic_facility', 'unspecified']);
  });

  it('the JSON Schema of catalog version 2 is checked in: suspension.waived at v2, every other type at v1', () => {
    assert.equal(catalogVersion(), 2);
    const text = readFileSync(jsonSchemaFile(2), 'utf8');
    assert.equal(text, renderEventJsonSchema(2), 'stale: run npm run generate:json-schema');
    const schema = JSON.parse(text);
    const branches = schema.oneOf as { properties: { type: { const: string }; schema_version: { const: number }; data: { required: string[] } } }[];
    assert.deepEqual(
      branches.map((b) => [b.properties.type.const, b.properties.schema_version.const]),
      EVENT_TYPES.map((t) => [t, t === 'suspension.waived' ? 2 : 1]),
    );
    assert.deepEqual(branches[0].properties.data.required, ['service', 'beneficiary']);
    // Version 1 stays for producers still on it.
    const old = JSON.parse(readFileSync(jsonSchemaFile(1), 'utf8'));
    assert.equal(old.oneOf[0].properties.schema_version.const, 1);
    assert.equal(old.oneOf[0].properties.data.properties.beneficiary, undefined);
    assert.throws(() => renderEventJsonSchema(3), /no schema version 3/);
  });
});
