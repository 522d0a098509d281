/**
 * The embedded warehouse over ClickHouse's HTTP interface, as another process
 * sees it: through @clickhouse/client (the project's warehouse port with a
 * URL) and through plain HTTP, against the real chDB engine of a service.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isContinuityError } from '../errors/registry.ts';
import { tempDir, testConfig } from '../test-support/temp.ts';
import { getWarehouse, migrate, type Warehouse } from '../warehouse/index.ts';
import { startService, type RunningService } from './server.ts';

const token = (scopes: string[]) => {
  const value = `ct_${randomBytes(18).toString('base64url')}`;
  return { value, entry: { name: `t-${scopes.join('-')}`, sha256: createHash('sha256').update(value).digest('hex'), scopes, ...(scopes.includes('ingest') ? { orgs: ['*'] } : {}) } };
};

describe('ClickHouse gateway of the embedded warehouse', () => {
  const tmp = tempDir();
  const operate = token(['operate']);
  const ingestOnly = token(['ingest']);
  let service: RunningService;
  let remote: Warehouse;

  before(async () => {
    const config = testConfig(tmp.dir, { auth: { tokens: JSON.stringify([operate.entry, ingestOnly.entry]) } });
    service = await startService(config, { processors: false });
    remote = await getWarehouse({ url: `${service.url}/clickhouse`, accessToken: operate.value });
  });
  after(async () => {
    await remote?.close();
    await service?.close();
    tmp.cleanup();
  });

  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${service.url}/clickhouse${path}`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { authorization: `Bearer ${operate.value}`, ...headers } });

  it('answers /ping to anyone, and queries only to a token with the operate scope', async () => {
    const ping = await fetch(`${service.url}/clickhouse/ping`);
    assert.deepEqual([ping.status, await ping.text()], [200, 'Ok.\n']);
    const none = await fetch(`${service.url}/clickhouse/?query=SELECT%201`);
    assert.equal(none.status, 401);
    const wrongScope = await fetch(`${service.url}/clickhouse/?query=SELECT%201`, { headers: { authorization: `Bearer ${ingestOnly.value}` } });
    assert.equal(wrongScope.status, 403);
    const ok = await fetch(`${service.url}/clickhouse/?query=SELECT%201`, { headers: { authorization: `Bearer ${operate.value}` } });
    assert.deepEqual([ok.status, await ok.text(), ok.headers.get('x-clickhouse-format')], [200, '1\n', 'TabSeparated']);
  });

  it("is the service's warehouse: the same database, its migrations already applied", async () => {
    assert.equal(remote.kind, 'server');
    assert.equal(remote.database, service.pipeline.warehouse.database);
    const result = await migrate(remote);
    assert.deepEqual(result.applied, []);
    assert.ok(result.alreadyApplied.includes('0001_events'));
  });

  it('inserts rows another process sends, visible to the service at once', async () => {
    const rows = [
      { id: 'gw-1', received_at: '2020-01-24 08:00:00.000', origin: 'gateway-test', line: 1, errors: [{ field: 'region', reason: 'unknown region code "999999"' }], reason: 'region: unknown', raw: '{"a":"欠费不停电\\t"}', log_partition: 0, log_offset: 7 },
      { id: 'gw-2', received_at: '2020-01-24 08:00:01.000', origin: 'gateway-test', line: null, errors: [], reason: "it's", raw: 'x\ny', log_partition: 0, log_offset: 8 },
    ];
    await remote.insertRaw('dead_letters', 'JSONEachRow', rows.map((r) => JSON.stringify(r)).join('\n'));
    const seen = await service.pipeline.warehouse.rows<{ id: string; line: number | null; reason: string; raw: string; log_offset: string }>(
      "SELECT id, line, reason, raw, log_offset FROM dead_letters WHERE origin = 'gateway-test' ORDER BY id",
    );
    assert.deepEqual(
      seen.map((r) => [r.id, r.line, r.reason, r.raw, Number(r.log_offset)]),
      [
        ['gw-1', 1, 'region: unknown', '{"a":"欠费不停电\\t"}', 7],
        ['gw-2', null, "it's", 'x\ny', 8],
      ],
    );
  });

  it('binds parameters as a server does, escapes and composite types included', async () => {
    const [row] = await remote.rows<{ s: string; a: string[]; n: number; ids: string }>(
      "SELECT {s:String} AS s, {a:Array(String)} AS a, {n:UInt32} + 1 AS n, (SELECT count() FROM format(TSV, 'id String', {ids:String})) AS ids",
      { s: "it's\ta\\b\nc", a: ["q'x", 'b\\c'], n: 41, ids: ['a', 'b', 'c'].join('\n') },
    );
    assert.deepEqual({ ...row, ids: Number(row.ids) }, { s: "it's\ta\\b\nc", a: ["q'x", 'b\\c'], n: 42, ids: 3 });
    // A placeholder the request does not set is refused, not filled from the previous request.
    await assert.rejects(remote.rows('SELECT {s:String} AS s'), (e: unknown) => isContinuityError(e, 'CONT_ERR_WAREHOUSE_QUERY') && /Substitution `s` is not set/.test(e.message));
  });

  it('answers errors as ClickHouse does, so clients raise them as query errors', async () => {
    const raw = await post('/', 'SELECT * FROM no_such_table');
    assert.equal(raw.status, 404);
    assert.equal(raw.headers.get('x-clickhouse-exception-code'), '60');
    assert.match(await raw.text(), /^Code: 60\. DB::Exception: .*no_such_table.* \(UNKNOWN_TABLE\)/);
    await assert.rejects(remote.rows('SELECT * FROM no_such_table'), (e: unknown) => isContinuityError(e, 'CONT_ERR_WAREHOUSE_QUERY') && (e.details as { clickhouse: string }).clickhouse === 'UNKNOWN_TABLE');
    const otherDb = await post('/?database=elsewhere', 'SELECT 1');
    assert.deepEqual([otherDb.status, otherDb.headers.get('x-clickhouse-exception-code')], [404, '81']);
  });

  it("keeps each request's settings to that request, away from the service's own session", async () => {
    const set = await post('/?max_result_rows=5&result_overflow_mode=break&default_format=JSONEachRow', "SELECT getSetting('max_result_rows') AS m");
    assert.deepEqual(await set.json(), { m: 5 });
    const next = await post('/?default_format=JSONEachRow', "SELECT getSetting('max_result_rows') AS m");
    assert.deepEqual(await next.json(), { m: 0 });
    const [own] = await service.pipeline.warehouse.rows<{ m: number }>("SELECT getSetting('max_result_rows') AS m");
    assert.deepEqual(own, { m: 0 });
    // readonly runs on a read-only session: a write is refused, and the next request may write again.
    await assert.rejects(remote.command("INSERT INTO dead_letters (id) VALUES ('ro')", undefined, { readonly: '1' }), /readonly/i);
    await remote.command("INSERT INTO dead_letters (id, origin) VALUES ('rw', 'gateway-test')");
    const [count] = await service.pipeline.warehouse.rows<{ n: string }>("SELECT count() AS n FROM dead_letters WHERE id IN ('ro', 'rw')");
    assert.equal(Number(count.n), 1);
  });

  it('takes a gzip-compressed body, the query in the URL and the data in the body', async () => {
    const body = gzipSync(Buffer.from('{"id":"gz-1","origin":"gateway-gzip"}\n{"id":"gz-2","origin":"gateway-gzip"}\n'));
    const response = await post(`/?query=${encodeURIComponent('INSERT INTO dead_letters (id, origin) FORMAT JSONEachRow')}`, body, { 'content-encoding': 'gzip' });
    assert.equal(response.status, 200, await response.clone().text());
    assert.ok(JSON.parse(response.headers.get('x-clickhouse-summary') ?? 'null'), 'a summary header');
    const [count] = await service.pipeline.warehouse.rows<{ n: string }>("SELECT count() AS n FROM dead_letters WHERE origin = 'gateway-gzip'");
    assert.equal(Number(count.n), 2);
  });
});
