import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inputShape, withoutLowCardinality } from './warehouse.ts';

describe('input shape of a staged insert', () => {
  it('reads every LowCardinality(T) as T, nested ones too', () => {
    assert.equal(withoutLowCardinality('LowCardinality(String)'), 'String');
    assert.equal(withoutLowCardinality('LowCardinality(Nullable(String))'), 'Nullable(String)');
    assert.equal(withoutLowCardinality('Array(LowCardinality(String))'), 'Array(String)');
    assert.equal(withoutLowCardinality('Map(LowCardinality(String), Array(LowCardinality(Nullable(String))))'), 'Map(String, Array(Nullable(String)))');
    assert.equal(withoutLowCardinality("DateTime64(3, 'UTC')"), "DateTime64(3, 'UTC')");
  });

  it("reads a JSON column of a JSON format as its object's text", () => {
    const cols = [
      { name: 'id', type: 'String' },
      { name: 'org', type: 'LowCardinality(String)' },
      { name: 'data', type: 'JSON' },
      { name: 'extra', type: 'JSON(max_dynamic_paths = 16)' },
    ];
    assert.deepEqual(inputShape(cols, 'JSONEachRow'), {
      columns: 'id, org, data, extra',
      select: "id, org, ifNull(data, '{}'), ifNull(extra, '{}')",
      structure: 'id String, org String, data Nullable(String), extra Nullable(String)',
    });
    // Other formats have no object text to read: the column is read as it is.
    assert.equal(inputShape(cols, 'TSV').select, 'id, org, data, extra');
    assert.equal(inputShape(cols, 'TSV').structure, 'id String, org String, data JSON, extra JSON(max_dynamic_paths = 16)');
  });
});
