/** docs/data-dictionary.md is what the migrations say, and every column analysts see has a meaning. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DATA_DICTIONARY_FILE, freshDataDictionary } from './data-dictionary.ts';

describe('data dictionary', () => {
  it('is generated from the migrations and up to date', async () => {
    const fresh = await freshDataDictionary();
    assert.equal(readFileSync(DATA_DICTIONARY_FILE, 'utf8'), fresh, 'docs/data-dictionary.md is stale: run npm run generate:data-dictionary');
    // The analyst-facing surface is described column by column.
    for (const name of ['events', 'dead_letters', 'daily_rollups', 'commitments_daily', 'online_transactions_daily', 'repair_orders', 'event_latency', 'producers']) {
      const section = fresh.split(`\n## ${name}\n`)[1]?.split('\n## ')[0];
      assert.ok(section, `${name} is in the dictionary`);
      const undescribed = section.split('\n').filter((l) => l.startsWith('| `') && l.endsWith('| — |'));
      assert.deepEqual(undescribed, [], `${name}: every column has a meaning`);
    }
    assert.match(fresh, /\| `overdue` \| `Bool` \| arrived later than the limit/);
    assert.match(fresh, /\| `loaded_at` \| `Nullable\(DateTime64\(3, 'UTC'\)\)` \| when the processor wrote the row/);
  });
});
