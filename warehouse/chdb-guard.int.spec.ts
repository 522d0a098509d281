/** A query that fails part-way through its result must not hand that result to the next query (a chDB 3.4 behaviour the guard stops). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { suiteWarehouse } from '../test-support/temp.ts';

describe('embedded warehouse after a query fails mid-result', () => {
  const suite = suiteWarehouse();

  const failing = [
    ['a result over max_result_rows', 'SELECT number FROM numbers(3000000)', { max_result_rows: '100000', result_overflow_mode: 'throw', max_block_size: '1000' }],
    ['a throwIf after the first blocks', 'SELECT number, throwIf(number = 300000) FROM numbers(1000000)', { max_block_size: '1000' }],
  ] as const;

  for (const [what, query, settings] of failing) {
    it(`answers the next query with its own result after ${what}`, async () => {
      await assert.rejects(suite.warehouse.text(query, 'CSV', undefined, settings as never));
      assert.deepEqual(await suite.warehouse.rows('SELECT 7 AS x'), [{ x: 7 }]);
    });

    it(`answers queries started alongside ${what} with their own results`, async () => {
      const [failed, a, b] = await Promise.allSettled([
        suite.warehouse.text(query, 'CSV', undefined, settings as never),
        suite.warehouse.rows('SELECT 5 AS x'),
        suite.warehouse.text('SELECT 6 AS y', 'CSV'),
      ]);
      assert.equal(failed.status, 'rejected');
      assert.deepEqual(a, { status: 'fulfilled', value: [{ x: 5 }] });
      assert.deepEqual(b, { status: 'fulfilled', value: '6\n' });
    });
  }
});
