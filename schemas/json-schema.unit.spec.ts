import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EVENT_TYPES } from './index.ts';
import { JSON_SCHEMA_FILE, renderEventJsonSchema } from './json-schema.ts';

describe('schemas/json-schema/continuity-event.v1.schema.json', () => {
  const checkedIn = readFileSync(JSON_SCHEMA_FILE, 'utf8');

  it('equals the schema generated from the zod schemas', () => {
    assert.equal(checkedIn, renderEventJsonSchema(1), 'the JSON Schema is stale: run npm run generate:json-schema to regenerate');
  });

  it('has one strict branch per event type, with org and region as enums', () => {
    const schema = JSON.parse(checkedIn);
    assert.deepEqual(
      schema.oneOf.map((branch: { properties: { type: { const: string } } }) => branch.properties.type.const),
      [...EVENT_TYPES],
    );
    for (const branch of schema.oneOf) {
      assert.equal(branch.additionalProperties, false);
      assert.equal(branch.properties.data.additionalProperties, false);
      assert.deepEqual(branch.required, ['id', 'type', 'schema_version', 'occurred_at', 'org', 'region', 'source', 'data']);
    }
    assert.equal(schema.$defs.org.enum.length, 9);
    assert.ok(schema.$defs.region.enum.includes('429005'));
  });
});
