/**
 * The analysts' SQL endpoint on a real service: read-only by construction
 * (ClickHouse readonly = 1 on a session of its own), row and time limits a
 * query cannot lift, and the pipeline's own writes unaffected by it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seedScenario } from '../ingest/simulator/index.ts';
import { serializeEvent } from '../schemas/index.ts';
import { tempDir, testConfig } from '../test-support/temp.ts';
import { startService, type RunningService } from './server.ts';

const MAX_ROWS = 500;

describe('POST /v1/sql', () => {
  const tmp = tempDir();
  let service: RunningService;
  const events = [...seedScenario()].filter((e) => e.org === 'cr-gas');
  const [first, second] = [events.slice(0, 3000), events.slice(3000)];

  const sql = (query: string, extra: Record<string, unknown> = {}) => service.app.inject({ method: 'POST', url: '/v1/sql', payload: { query, format: 'json', ...extra } });
  const count = async () => Number((await service.pipeline.warehouse.rows<{ n: string }>('SELECT count() AS n FROM events'))[0].n);
  const ingest = async (batch: typeof events) => {
    const res = await service.app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/x-ndjson' }, payload: batch.map(serializeEvent).join('\n') });
    assert.equal(res.statusCode, 200, res.body);
    await service.processors.untilIdle();
  };

  before(async () => {
    service = await startService(testConfig(tmp.dir, { sql: { maxRows: MAX_ROWS, timeLimitSeconds: 1 } }));
    await ingest(first);
  });
  after(async () => {
    await service?.close();
    tmp.cleanup();
  });

  it('refuses every kind of write with a clear message, and changes nothing', async () => {
    const before = await count();
    const writes = [
      "INSERT INTO events (id) VALUES ('x')",
      'INSERT INTO events SELECT * FROM events',
      'DROP TABLE events',
      'DROP VIEW commitments_daily',
      'ALTER TABLE events DELETE WHERE 1',
      'ALTER TABLE events ADD COLUMN x UInt8',
      'TRUNCATE TABLE events',
      'CREATE TABLE stolen (x UInt8) ENGINE = Memory',
      'RENAME TABLE events TO gone',
      'SELECT 1; DROP TABLE events',
    ];
    for (const query of writes) {
      const res = await sql(query);
      assert.equal(res.statusCode, 403, `${query}: ${res.body}`);
      assert.equal(res.json().code, 'CONT_ERR_SQL_READ_ONLY', query);
      assert.match(res.json().message, /only reads/, query);
    }
    assert.equal(await count(), before);
    const [tables] = await service.pipeline.warehouse.rows<{ n: string }>("SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name IN ('stolen', 'gone')");
    assert.equal(Number(tables.n), 0);
    const [column] = await service.pipeline.warehouse.rows<{ n: string }>("SELECT count() AS n FROM system.columns WHERE table = 'events' AND name = 'x'");
    assert.equal(Number(column.n), 0);
  });

  it('refuses to lift readonly or the limits from the query', async () => {
    for (const query of [
      'SELECT 1 SETTINGS readonly = 0',
      `SELECT number FROM numbers(${MAX_ROWS * 2}) SETTINGS max_result_rows = 0`,
      'SELECT 1 SETTINGS max_execution_time = 0',
      'SET max_result_rows = 0; SELECT 1',
    ]) {
      const res = await sql(query);
      assert.equal(res.statusCode, 403, `${query}: ${res.body}`);
      assert.equal(res.json().code, 'CONT_ERR_SQL_READ_ONLY', query);
      assert.match(res.json().message, /settings are fixed|only reads/, query);
    }
    // A lone SET does not even parse with the output format appended.
    assert.equal((await sql('SET readonly = 0')).statusCode, 400);
    const limits = await sql("SELECT getSetting('readonly') AS readonly, getSetting('max_result_rows') AS rows, getSetting('max_execution_time') AS seconds");
    assert.deepEqual(JSON.parse(limits.body), { readonly: 1, rows: MAX_ROWS, seconds: 1 });
  });

  it('answers over the row limit with its own code, and at the limit with the rows', async () => {
    const over = await sql(`SELECT number FROM numbers(${MAX_ROWS + 1})`);
    assert.equal(over.statusCode, 422);
    assert.equal(over.json().code, 'CONT_ERR_SQL_TOO_MANY_ROWS');
    assert.match(over.json().message, new RegExp(`more than ${MAX_ROWS} rows`));
    const at = await sql(`SELECT number FROM numbers(${MAX_ROWS})`);
    assert.equal(at.statusCode, 200);
    assert.equal(at.body.trim().split('\n').length, MAX_ROWS);
  });

  it('stops a query at the time limit', async () => {
    const res = await sql('SELECT count() FROM numbers_mt(1000000000000) WHERE sipHash64(number) = 0');
    assert.equal(res.statusCode, 504, res.body);
    assert.equal(res.json().code, 'CONT_ERR_SQL_TIMEOUT');
    assert.match(res.json().message, /longer than 1 s/);
  });

  it('binds parameters, takes a closing semicolon, and formats as asked', async () => {
    assert.deepEqual(JSON.parse((await sql('SELECT {n:UInt8} + 1 AS n;', { params: { n: 6 } })).body), { n: 7 });
    assert.equal((await sql('SELECT 1 AS a, 2 AS b', { format: 'csv' })).body, '"a","b"\n1,2\n');
  });

  it('leaves the pipeline writing after analysts have queried', async () => {
    // The read-only settings live in the endpoint's own session; the processors keep loading.
    await ingest(second);
    assert.equal(await count(), events.length);
    const res = await sql("SELECT uniqExact(data.order_id::String) AS orders FROM events WHERE type = 'repair.completed'");
    assert.deepEqual(JSON.parse(res.body), { orders: 1_760 });
  });
});
