/**
 * Staged inserts on the embedded engine: each runs on an insert connection of
 * its own, beside the queries, its arguments written into the statement.
 * A process of its own: its data directory's path has a quote in it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomName, suiteWarehouse } from '../test-support/temp.ts';
import type { StagedInsert } from './warehouse.ts';

describe('embedded warehouse: staged inserts', () => {
  const suite = suiteWarehouse("continuity-o'brien\\");

  async function staged(lines: string[]): Promise<StagedInsert> {
    const insert = await suite.warehouse.stage('JSONEachRow');
    await insert.append([Buffer.from(lines.map((l) => `${l}\n`).join(''))]);
    return insert;
  }

  it('inserts from a staging file whose path has a quote and a backslash in it', async () => {
    assert.match(suite.dir, /o'brien\\/);
    const table = randomName('staged');
    await suite.warehouse.command(`CREATE TABLE ${table} (id String, n UInt32) ENGINE = MergeTree ORDER BY id`);
    const insert = await staged(['{"id":"a","n":1}', '{"id":"b","n":2}']);
    await insert.insert(table);
    await insert.discard();
    assert.deepEqual(await suite.warehouse.rows(`SELECT id, n FROM ${table} ORDER BY id`), [
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ]);
  });

  it('runs two inserts at once: a short one returns while a long one still runs', async () => {
    assert.equal(suite.warehouse.parallelInserts, 2);
    const slow = randomName('slow');
    const quick = randomName('quick');
    // 20 rows that each sleep 50 ms while their default is computed: one insert of about a second.
    await suite.warehouse.command(`CREATE TABLE ${slow} (id String, pause UInt8 DEFAULT sleepEachRow(0.05)) ENGINE = MergeTree ORDER BY id`);
    await suite.warehouse.command(`CREATE TABLE ${quick} (id String) ENGINE = MergeTree ORDER BY id`);
    const long = await staged(Array.from({ length: 20 }, (_, i) => `{"id":"s${i}"}`));
    const short = await staged(['{"id":"q"}']);
    const order: string[] = [];
    const longDone = long.insert(slow, { max_block_size: '100' }).then(() => order.push('long'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await short.insert(quick).then(() => order.push('short'));
    await longDone;
    assert.deepEqual(order, ['short', 'long']);
    assert.deepEqual(await suite.warehouse.rows(`SELECT (SELECT count() FROM ${slow}) AS slow, (SELECT count() FROM ${quick}) AS quick`), [{ slow: 20, quick: 1 }]);
    await Promise.all([long.discard(), short.discard()]);
  });

  it('answers queries run beside an insert the engine refuses part-way with their own results', async () => {
    const table = randomName('refused');
    await suite.warehouse.command(`CREATE TABLE ${table} (id String, n UInt32) ENGINE = MergeTree ORDER BY id`);
    const lines = Array.from({ length: 50_000 }, (_, i) => `{"id":"r${i}","n":${i === 40_000 ? '"not a number"' : i}}`);
    const refused = await staged(lines);
    const [insert, a, b] = await Promise.allSettled([refused.insert(table, { max_block_size: '1000' }), suite.warehouse.rows('SELECT 5 AS x'), suite.warehouse.text('SELECT 6 AS y', 'CSV')]);
    assert.equal(insert.status, 'rejected');
    assert.match(String((insert as PromiseRejectedResult).reason), /not a number|Cannot parse|CANNOT_PARSE/i);
    assert.deepEqual(a, { status: 'fulfilled', value: [{ x: 5 }] });
    assert.deepEqual(b, { status: 'fulfilled', value: '6\n' });
    assert.deepEqual(await suite.warehouse.rows('SELECT 7 AS x'), [{ x: 7 }]);
    await refused.discard();
  });
});
