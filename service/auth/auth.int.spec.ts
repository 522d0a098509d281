/**
 * The service closed to those who don't belong: bearer tokens bound to orgs and
 * scopes, revocation without a restart, per-token rates, request limits, raw
 * customer identifiers refused, and the analyst endpoint on its own token.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventLog } from '../../event-log/event-log.ts';
import { parseDeadLetter } from '../../ingest/dead-letters.ts';
import { runCliAsync } from '../../test-support/cli.ts';
import { bearer, eventually, makeToken, ndjson, pseudonym, waived, writeTokensFile } from '../../test-support/safety.ts';
import { tempDir, testConfig } from '../../test-support/temp.ts';
import { startService, type RunningService } from '../server.ts';

async function logSize(log: EventLog) {
  return (await log.endOffsets()).reduce((a, b) => a + b, 0);
}

async function deadLetters(log: EventLog) {
  const ends = await log.endOffsets();
  const out = [];
  for (let p = 0; p < ends.length; p++) out.push(...(await log.read(p, 0, ends[p] + 1)));
  return out.map(parseDeadLetter);
}

describe('authentication, limits and privacy of the service', () => {
  const tmp = tempDir();
  const tokensFile = join(tmp.dir, 'tokens.json');
  const sgcc = makeToken({ name: 'sgcc-billing', orgs: ['sgcc', 'sgcc-sh'], scopes: ['ingest'] });
  const telecom = makeToken({ name: 'telecom-all', orgs: ['*'], scopes: ['ingest'] });
  const analyst = makeToken({ name: 'analyst-1', scopes: ['sql'] });
  // Slow refill, so the test's own pace cannot change what it sees.
  const flood = makeToken({ name: 'flood', orgs: ['china-mobile'], scopes: ['ingest'], rate_per_second: 2, burst: 300 });
  const calm = makeToken({ name: 'calm', orgs: ['china-unicom'], scopes: ['ingest'], rate_per_second: 2, burst: 300 });
  let tokens = [sgcc, telecom, analyst, flood, calm];
  let service: RunningService;
  /** Every event a 200 answer acknowledged: id → quantity. */
  const acknowledged = new Map<string, number>();

  const post = (token: { token: string } | null, payload: string, headers: Record<string, string> = {}) =>
    service.app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/x-ndjson', ...(token ? bearer(token) : {}), ...headers }, payload });

  function acknowledge(res: { statusCode: number; json(): { accepted: number } }, events: { id: string; quantity: number }[], rejectedLines: number[] = []) {
    assert.equal(res.statusCode, 200);
    const kept = events.filter((_, i) => !rejectedLines.includes(i + 1));
    assert.equal(res.json().accepted, kept.length);
    for (const e of kept) acknowledged.set(e.id, e.quantity);
  }

  before(async () => {
    writeTokensFile(tokensFile, tokens);
    service = await startService(testConfig(tmp.dir, { http: { port: 0, bodyLimitBytes: 256 * 1024, maxEventsPerRequest: 500 }, auth: { tokensFile } }));
  });
  after(async () => {
    await service?.close();
    tmp.cleanup();
  });

  it('leaves /healthz and /metrics open and closes everything else: 401 without a token, or with an unknown one', async () => {
    assert.equal((await service.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    assert.equal((await service.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200);
    const body = ndjson([waived('sgcc', randomUUID())]);
    const before = await logSize(service.pipeline.log);

    const missing = await post(null, body);
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="continuity"');
    assert.deepEqual(missing.json(), { code: 'CONT_ERR_AUTH_MISSING_TOKEN', message: 'send the header "Authorization: Bearer <token>"; continuity tokens create makes one', retriable: false });
    const basic = await post(null, body, { authorization: 'Basic c2djYzpzZWNyZXQ=' });
    assert.equal(basic.statusCode, 401);
    assert.equal(basic.json().code, 'CONT_ERR_AUTH_MISSING_TOKEN');
    const unknown = await post({ token: 'ct_not-a-token' }, body);
    assert.equal(unknown.statusCode, 401);
    assert.equal(unknown.json().code, 'CONT_ERR_AUTH_INVALID_TOKEN');
    const sql = await service.app.inject({ method: 'POST', url: '/v1/sql', payload: { query: 'SELECT 1' } });
    assert.equal(sql.statusCode, 401);

    assert.equal(await logSize(service.pipeline.log), before, 'nothing refused reached the log');
  });

  it('gives each endpoint its scope: an ingest token cannot query, an analyst token cannot ingest', async () => {
    const query = await service.app.inject({ method: 'POST', url: '/v1/sql', headers: bearer(sgcc), payload: { query: 'SELECT 1' } });
    assert.equal(query.statusCode, 403);
    assert.equal(query.json().code, 'CONT_ERR_AUTH_FORBIDDEN_SCOPE');
    assert.match(query.json().message, /token "sgcc-billing" lacks the "sql" scope/);
    const ingest = await post(analyst, ndjson([waived('sgcc', randomUUID())]));
    assert.equal(ingest.statusCode, 403);
    assert.equal(ingest.json().code, 'CONT_ERR_AUTH_FORBIDDEN_SCOPE');
  });

  it('binds a token to its orgs per event: others are refused with 403 and the org named, dead-lettered, while its own land', async () => {
    const mixed = [waived('sgcc', randomUUID(), 3), waived('china-mobile', randomUUID(), 5), waived('sgcc-sh', randomUUID(), 7)];
    const lettersBefore = (await deadLetters(service.pipeline.deadLetters)).length;
    const res = await post(sgcc, ndjson(mixed));
    acknowledge(res, mixed, [2]);
    const [rejection] = res.json().rejected;
    assert.equal(rejection.line, 2);
    assert.equal(rejection.code, 'CONT_ERR_AUTH_FORBIDDEN_ORG');
    assert.deepEqual(rejection.errors, [{ field: 'org', reason: 'token "sgcc-billing" may not submit events of org "china-mobile" (its orgs: sgcc, sgcc-sh)' }]);

    const foreign = [waived('china-mobile', randomUUID()), waived('cr-gas', randomUUID())];
    const refused = await post(sgcc, ndjson(foreign));
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().code, 'CONT_ERR_AUTH_FORBIDDEN_ORG');
    assert.equal(refused.json().accepted, 0);
    assert.match(refused.json().message, /may not submit events of org "china-mobile"/);
    assert.deepEqual(refused.json().rejected.map((r: { line: number }) => r.line), [1, 2]);

    const letters = (await deadLetters(service.pipeline.deadLetters)).slice(lettersBefore);
    assert.deepEqual(
      letters.map((l) => [l.line, l.errors[0].field, JSON.parse(l.raw).org]),
      [
        [2, 'org', 'china-mobile'],
        [1, 'org', 'china-mobile'],
        [2, 'org', 'cr-gas'],
      ],
    );

    const any = [waived('china-telecom', randomUUID(), 11), waived('cr-gas', randomUUID(), 13)];
    acknowledge(await post(telecom, ndjson(any)), any);
  });

  it('takes a new token and refuses a revoked one without a restart, and keeps the last good file when an edit breaks it', async () => {
    const store = service.auth.tokens!;
    const newcomer = makeToken({ name: 'csg-crm', orgs: ['csg', 'csg-gd'], scopes: ['ingest'] });
    const events = [waived('csg-gd', randomUUID(), 2)];
    assert.equal((await post(newcomer, ndjson(events))).statusCode, 401);

    let loads = store.loads;
    tokens = [...tokens, newcomer];
    writeTokensFile(tokensFile, tokens);
    await eventually('the tokens file to be re-read', () => store.loads > loads);
    acknowledge(await post(newcomer, ndjson(events)), events);

    loads = store.loads;
    tokens = tokens.filter((t) => t !== newcomer);
    writeTokensFile(tokensFile, tokens);
    await eventually('the tokens file to be re-read', () => store.loads > loads);
    const revoked = await post(newcomer, ndjson([waived('csg-gd', randomUUID())]));
    assert.equal(revoked.statusCode, 401);
    assert.equal(revoked.json().code, 'CONT_ERR_AUTH_INVALID_TOKEN');

    const warnings: string[] = [];
    const stderrWrite = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (warnings.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      writeFileSync(tokensFile, '[{"name": "half-written", "sha2');
      await eventually('the broken file to be noticed', () => warnings.some((w) => /tokens \(.*tokens\.json\): not valid JSON or YAML/.test(w)));
    } finally {
      process.stderr.write = stderrWrite;
    }
    assert.match(warnings.join(''), new RegExp(`keeping the ${tokens.length} token\\(s\\) loaded before`));
    const still = [waived('sgcc', randomUUID(), 4)];
    acknowledge(await post(sgcc, ndjson(still)), still);
    loads = store.loads;
    writeTokensFile(tokensFile, tokens);
    await eventually('the repaired file to be re-read', () => store.loads > loads);
  });

  it('refuses a body over the limit and more events than allowed per request with 413, taking nothing of them', async () => {
    const logBefore = await logSize(service.pipeline.log);
    const lettersBefore = await logSize(service.pipeline.deadLetters);
    const big = await post(telecom, 'x'.repeat(300 * 1024));
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().code, 'CONT_ERR_INGEST_BODY_TOO_LARGE');
    const many = Array.from({ length: 501 }, () => waived('china-telecom', randomUUID()));
    const tooMany = await post(telecom, ndjson(many));
    assert.equal(tooMany.statusCode, 413);
    assert.deepEqual(tooMany.json(), {
      code: 'CONT_ERR_INGEST_TOO_MANY_EVENTS',
      message: 'the request holds 501 events; at most 500 are taken per request, split it (nothing of it was taken)',
      retriable: false,
      details: { events: 501, max_events_per_request: 500 },
    });
    const asArray = await service.app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/json', ...bearer(telecom) }, payload: JSON.stringify(many) });
    assert.equal(asArray.statusCode, 413);
    assert.equal(asArray.json().code, 'CONT_ERR_INGEST_TOO_MANY_EVENTS');
    assert.equal(await logSize(service.pipeline.log), logBefore);
    assert.equal(await logSize(service.pipeline.deadLetters), lettersBefore);
    const fits = many.slice(0, 500);
    acknowledge(await post(telecom, ndjson(fits)), fits);
  });

  it('answers a token over its rate with 429 and Retry-After, while another token is served', async () => {
    let accepted = 0;
    let limited: Awaited<ReturnType<typeof post>> | null = null;
    let requests = 0;
    while (limited === null && requests < 50) {
      const batch = Array.from({ length: 100 }, () => waived('china-mobile', randomUUID()));
      const res = await post(flood, ndjson(batch));
      requests++;
      if (res.statusCode === 429) limited = res;
      else {
        acknowledge(res, batch);
        accepted += batch.length;
      }
    }
    assert.ok(limited, 'the flooding token was never limited');
    // A burst of 300 lets three requests of 100 through; the fourth finds the bucket empty.
    assert.equal(accepted, 300);
    const body = limited.json();
    assert.equal(body.code, 'CONT_ERR_INGEST_RATE_LIMITED');
    assert.equal(body.retriable, true);
    // About 50 s for 100 events at 2/s, less whatever trickled back in meanwhile.
    const wait = body.details.retry_after_seconds;
    assert.ok(Number.isInteger(wait) && wait >= 45 && wait <= 50, `retry after ${wait}`);
    assert.equal(limited.headers['retry-after'], String(wait));
    assert.equal(body.message, `token "flood" may send 2 events per second (bursts of 300); this request of 100 event(s) can be sent again in ${wait} s`);

    const other = [waived('china-unicom', randomUUID(), 9)];
    acknowledge(await post(calm, ndjson(other)), other);
    const metrics = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /^continuity_ingest_requests_rate_limited_total\{token="flood"\} 1$/m);
    console.log(`rate limit: token "flood" had ${accepted} events accepted in ${requests - 1} requests, then 429 with Retry-After ${limited.headers['retry-after']} s; token "calm" served meanwhile`);
  });

  it('refuses raw-looking customer_ref with the field and a reason that never repeats it', async () => {
    const key = 'sgcc-billing-secret';
    const good = waived('sgcc', randomUUID(), 1, { customer_ref: pseudonym(key, '0312345678') });
    const raws = ['13812345678', '110101199003071234', 'zhang.san@example.cn', '0312345678', 'acct-6222021234567890'];
    const bad = raws.map((customer_ref) => waived('sgcc', randomUUID(), 1, { customer_ref }));
    const res = await post(sgcc, ndjson([good, ...bad]));
    acknowledge(res, [good, ...bad], [2, 3, 4, 5, 6]);
    const rejected = res.json().rejected as { line: number; errors: { field: string; reason: string }[] }[];
    assert.deepEqual(
      rejected.map((r) => [r.line, r.errors.map((e) => e.field)]),
      raws.map((_, i) => [i + 2, ['customer_ref']]),
    );
    for (const r of rejected) assert.match(r.errors[0].reason, /send a keyed pseudonym instead, e\.g\. base64url\(HMAC-SHA256\(key, account number\)\)/);
    for (const raw of raws) assert.ok(!res.body.includes(raw), `the answer repeats ${raw}`);
  });

  it('serves analysts on a sql token: reads only, and a result over the row limit is refused', async () => {
    await service.processors.untilIdle();
    const q = async (query: string) => service.app.inject({ method: 'POST', url: '/v1/sql', headers: bearer(analyst), payload: { query, format: 'json' } });
    const totals = await q('SELECT count() AS n, sum(quantity) AS q FROM events');
    assert.equal(totals.statusCode, 200, totals.body);
    assert.deepEqual(JSON.parse(totals.body), { n: acknowledged.size, q: [...acknowledged.values()].reduce((a, b) => a + b, 0) });
    const write = await q("INSERT INTO events (id) VALUES ('x')");
    assert.equal(write.statusCode, 403);
    assert.equal(write.json().code, 'CONT_ERR_SQL_READ_ONLY');
    const huge = await q('SELECT number FROM system.numbers LIMIT 2000000');
    assert.equal(huge.statusCode, 422);
    assert.equal(huge.json().code, 'CONT_ERR_SQL_TOO_MANY_ROWS');
    assert.match(huge.json().message, /more than 1000000 rows/);
  });

  it('writes a local token to service.json, readable by its owner only, that the commands of this machine use', async () => {
    const info = JSON.parse(readFileSync(join(tmp.dir, 'service.json'), 'utf8'));
    assert.equal(info.token, service.auth.localToken);
    assert.equal(statSync(join(tmp.dir, 'service.json')).mode & 0o777, 0o600);
    const sql = await runCliAsync(['sql', '--data-dir', tmp.dir, '--format', 'csv', 'SELECT count() AS n FROM events']);
    assert.equal(sql.status, 0, sql.stderr);
    assert.equal(sql.stdout, `"n"\n${acknowledged.size}\n`);
    const wrong = await runCliAsync(['sql', '--data-dir', tmp.dir, '--token', 'ct_wrong', 'SELECT 1']);
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /^continuity: CONT_ERR_AUTH_INVALID_TOKEN: the token is unknown or has been revoked/m);
    const asProducer = await runCliAsync(['sql', '--data-dir', tmp.dir, 'SELECT 1'], { env: { CONTINUITY_TOKEN: sgcc.token } });
    assert.equal(asProducer.status, 1);
    assert.match(asProducer.stderr, /CONT_ERR_AUTH_FORBIDDEN_SCOPE/);
  });
});
