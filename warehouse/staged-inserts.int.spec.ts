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

  it("stores exactly what the engine's own JSON reader stores, and refuses what it refuses", async () => {
    const table = randomName('shape');
    const reference = randomName('reference');
    for (const t of [table, reference]) {
      await suite.warehouse.command(`CREATE TABLE ${t} (id String, org LowCardinality(String), tags Array(LowCardinality(String)), data JSON) ENGINE = MergeTree ORDER BY id`);
    }
    const accepted = [
      '{"id":"absent","org":"sgcc","tags":["a"]}',
      '{"id":"null","org":"sgcc","tags":[],"data":null}',
      '{"id":"empty","org":"csg","tags":["a","b"],"data":{}}',
      '{"id":"typed","org":"csg","tags":["b"],"data":{"amount_cny":14.7,"n":3,"day":"2020-03-01","at":"2020-01-01 10:00:00","ok":true,"s":"12"}}',
      '{"id":"nested","org":"cr-gas","tags":["c"],"data":{"a":{"b":1},"c":[1,"x"],"q":"\\u00e9 \\"q\\" \\\\ \\/","nil":null}}',
    ];
    const insert = await staged(accepted);
    await insert.insert(table);
    await insert.discard();
    await suite.warehouse.command(`INSERT INTO ${reference} FORMAT JSONEachRow ${accepted.join('\n')}`);
    const stored = (t: string) => suite.warehouse.rows(`SELECT id, org, tags, toString(data) AS text, toString(JSONAllPathsWithTypes(data)) AS types FROM ${t} ORDER BY id`);
    const rows = await stored(table);
    assert.deepEqual(rows, await stored(reference));
    assert.deepEqual(
      rows.map((r) => [r.id, r.text]),
      [
        ['absent', '{}'],
        ['empty', '{}'],
        ['nested', '{"a":{"b":1},"c":[1,"x"],"q":"é \\"q\\" \\\\ \\/"}'],
        ['null', '{}'],
        ['typed', '{"amount_cny":14.7,"at":"2020-01-01 10:00:00","day":"2020-03-01","n":3,"ok":true,"s":"12"}'],
      ],
    );
    assert.equal(rows.find((r) => r.id === 'typed')!.types, "{'amount_cny':'Float64','at':'DateTime','day':'Date','n':'Int64','ok':'Bool','s':'String'}");
    for (const refused of ['{"id":"text","org":"x","tags":[],"data":"not an object"}', '{"id":"list","org":"x","tags":[],"data":[1,2]}', '{"id":"twice","org":"x","tags":[],"data":{"a":1,"a":2}}']) {
      const one = await staged([refused]);
      await assert.rejects(one.insert(table), /JSON/, refused);
      await one.discard();
      await assert.rejects(suite.warehouse.command(`INSERT INTO ${reference} FORMAT JSONEachRow ${refused}`), /JSON/, refused);
    }
    assert.equal((await stored(table)).length, accepted.length);
  });
});
