/**
 * Bad input, thousands of it, through the HTTP API and `continuity ingest`:
 * malformed, oversized, wrongly encoded, deeply nested, prototype-polluting
 * and boundary lines mixed with valid events. Every bad line is answered with
 * its field and reason and dead-lettered, every request is answered (never a
 * 500), the process stays up, and every valid event lands exactly once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCliAsync } from '../../test-support/cli.ts';
import { fuzzCases, overlongLine, type FuzzCase } from '../../test-support/fuzz.ts';
import { makeToken, prng, seededUuid, tokenEntries, waived } from '../../test-support/safety.ts';
import { tempDir, testConfig } from '../../test-support/temp.ts';
import { serializeEvent } from '../../schemas/index.ts';
import { startService, type RunningService } from '../../service/server.ts';

interface Answer {
  accepted: number;
  rejected: { line: number; reason: string; errors: { field: string; reason: string }[]; dead_letter_id: string }[];
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Cases → an NDJSON body, some lines ending in CRLF, blank lines between some. */
function body(cases: FuzzCase[], rng: () => number): { bytes: Buffer; lines: number[] } {
  const parts: Buffer[] = [];
  const lines: number[] = [];
  let n = 0;
  for (const c of cases) {
    if (rng() < 0.05) {
      parts.push(Buffer.from(rng() < 0.5 ? '\n' : '   \r\n'));
      n++;
    }
    parts.push(c.bytes, Buffer.from(rng() < 0.2 ? '\r\n' : '\n'));
    lines.push(++n);
  }
  return { bytes: Buffer.concat(parts), lines };
}

function checkRejections(answer: Answer, expected: number[], what: string) {
  assert.deepEqual(
    answer.rejected.map((r) => r.line),
    expected,
    `${what}: rejected lines`,
  );
  for (const r of answer.rejected) {
    assert.ok(r.errors.length > 0 && r.errors.every((e) => e.field.length > 0 && e.reason.length > 0), `${what}: line ${r.line} has no field and reason`);
    assert.ok(r.reason.length > 0 && r.dead_letter_id, `${what}: line ${r.line} was not dead-lettered`);
  }
}

describe('fuzzing the ingest API and the file import', () => {
  const tmp = tempDir();
  const producer = makeToken({ name: 'fuzz-producer', orgs: ['*'], scopes: ['ingest'] });
  let service: RunningService;
  const landed = new Map<string, number>();
  let deadLettersExpected = 0;
  let inputsTried = 0;
  const statuses = new Map<number, number>();
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);

  before(async () => {
    service = await startService(
      testConfig(tmp.dir, {
        auth: { tokens: JSON.stringify(tokenEntries([producer])) },
        http: { port: 0, bodyLimitBytes: 4 * 1024 * 1024, maxEventsPerRequest: 1000, rateEventsPerSecond: 0 },
      }),
    );
  });
  after(async () => {
    await service?.close();
    tmp.cleanup();
  });

  const inject = (payload: Buffer | string, contentType = 'application/x-ndjson', auth = true) =>
    service.app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': contentType, ...(auth ? { authorization: `Bearer ${producer.token}` } : {}) }, payload });

  it('answers every line of thousands of NDJSON requests: bad ones with field and reason, dead-lettered; good ones taken', { timeout: 60_000 }, async () => {
    const rng = prng(9001);
    const cases = fuzzCases(3500, 9001);
    cases.splice(700, 0, overlongLine(1));
    cases.splice(2100, 0, overlongLine(2));
    for (let i = 0; i < cases.length; ) {
      const size = 1 + Math.floor(rng() * 300);
      const chunk = cases.slice(i, i + size);
      i += size;
      const { bytes, lines } = body(chunk, rng);
      const res = await inject(bytes);
      count(res.statusCode);
      const good = chunk.filter((c) => c.expect === 'accept');
      const expectedRejected = lines.filter((_, k) => chunk[k].expect === 'reject');
      assert.equal(res.statusCode, good.length > 0 ? 200 : 422, res.body.slice(0, 500));
      const answer = res.json() as Answer;
      assert.equal(answer.accepted, good.length, `kinds: ${chunk.map((c) => c.kind).join(', ')}`);
      const wrong = answer.rejected.filter((r) => !expectedRejected.includes(r.line)).map((r) => `${chunk[lines.indexOf(r.line)].kind}: ${r.reason}`);
      assert.deepEqual(wrong, [], 'valid lines were rejected');
      const missed = expectedRejected.filter((l) => !answer.rejected.some((r) => r.line === l)).map((l) => chunk[lines.indexOf(l)].kind);
      assert.deepEqual(missed, [], 'bad lines were accepted');
      checkRejections(answer, expectedRejected, 'ndjson');
      for (const c of good) landed.set(c.id!, c.quantity!);
      deadLettersExpected += expectedRejected.length;
      inputsTried += chunk.length;
    }
  });

  it('answers JSON bodies, request-level refusals and random bytes, never with a 500', async () => {
    const rng = prng(77);
    // An array mixing valid events with bad elements, one nested too deeply to write back.
    const e1 = waived('sgcc', seededUuid(rng), 5);
    const e2 = waived('cr-gas', seededUuid(rng), 6);
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const mixed = await inject(`[${serializeEvent(e1)},null,123,[],{},${deep},{"__proto__":{"x":1}},${serializeEvent(e2)},"event"]`, 'application/json');
    count(mixed.statusCode);
    assert.equal(mixed.statusCode, 200, mixed.body);
    checkRejections(mixed.json(), [2, 3, 4, 5, 6, 7, 9], 'json array');
    assert.match(mixed.json().rejected[4].reason, /nested too deeply/);
    landed.set(e1.id, 5).set(e2.id, 6);
    deadLettersExpected += 7;

    const refusals: [string, Buffer | string, string, boolean, number, string, number][] = [
      ['no token', serializeEvent(waived('sgcc', seededUuid(rng))), 'application/x-ndjson', false, 401, 'CONT_ERR_AUTH_MISSING_TOKEN', 0],
      ['another media type', '<event/>', 'application/xml', true, 415, 'CONT_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE', 0],
      ['a body over the limit', 'x'.repeat(5 * 1024 * 1024), 'application/x-ndjson', true, 413, 'CONT_ERR_INGEST_BODY_TOO_LARGE', 0],
      ['more lines than allowed', '{}\n'.repeat(1001), 'application/x-ndjson', true, 413, 'CONT_ERR_INGEST_TOO_MANY_EVENTS', 0],
      ['a broken JSON array', `[${serializeEvent(waived('sgcc', seededUuid(rng)))},`, 'application/json', true, 400, 'CONT_ERR_INGEST_MALFORMED_BODY', 1],
      ['one invalid JSON object', '{"id": 1}', 'application/json', true, 422, 'CONT_ERR_INGEST_NO_VALID_EVENTS', 1],
      ['a JSON body that is not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'application/json', true, 422, 'CONT_ERR_INGEST_NO_VALID_EVENTS', 1],
      ['a JSON array nested 100,000 deep', '['.repeat(100_000) + ']'.repeat(100_000), 'application/json', true, 422, 'CONT_ERR_INGEST_NO_VALID_EVENTS', 1],
    ];
    for (const [what, payload, type, auth, status, code, letters] of refusals) {
      const res = await inject(payload, type, auth);
      count(res.statusCode);
      assert.equal(res.statusCode, status, `${what}: ${res.body.slice(0, 300)}`);
      assert.equal(res.json().code, code, what);
      assert.equal(typeof res.json().message, 'string');
      deadLettersExpected += letters;
      inputsTried++;
    }

    for (let i = 0; i < 200; i++) {
      const junk = Buffer.alloc(1 + Math.floor(rng() * 4096));
      for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(rng() * 256);
      const res = await inject(junk);
      count(res.statusCode);
      assert.ok(res.statusCode === 200 || res.statusCode === 422, `random bytes: ${res.statusCode} ${res.body.slice(0, 200)}`);
      const answer = res.json() as Answer;
      assert.equal(answer.accepted, 0);
      checkRejections(answer, answer.rejected.map((r) => r.line), 'random bytes');
      deadLettersExpected += answer.rejected.length;
      inputsTried++;
    }
    const empty = await inject('');
    assert.deepEqual([empty.statusCode, empty.json()], [200, { accepted: 0, rejected: [] }]);
  });

  it('takes a fuzzed file through `continuity ingest`, via the running service and straight into a data directory, with the same verdicts', { timeout: 90_000 }, async () => {
    const rng = prng(31337);
    const cases = fuzzCases(2500, 31337);
    cases.splice(1000, 0, overlongLine(3));
    const { bytes, lines } = body(cases, rng);
    const file = join(tmp.dir, 'fuzz.ndjson');
    writeFileSync(file, bytes);
    const expectedRejected = lines.filter((_, k) => cases[k].expect === 'reject');
    const good = cases.filter((c) => c.expect === 'accept');

    const check = (r: { status: number | null; stdout: string; stderr: string }, via: string) => {
      assert.equal(r.status, 2, r.stderr.slice(0, 1000));
      const summary = JSON.parse(r.stdout) as { lines: number; accepted: number; rejected: { line: number; reason: string; errors: { field: string; reason: string }[]; deadLetterId: string }[] };
      assert.equal(summary.lines, cases.length, via);
      assert.equal(summary.accepted, good.length, via);
      checkRejections({ accepted: summary.accepted, rejected: summary.rejected.map((x) => ({ ...x, dead_letter_id: x.deadLetterId })) }, expectedRejected, via);
    };

    const viaService = await runCliAsync(['ingest', file, '--data-dir', tmp.dir, '--json']);
    check(viaService, 'via the service');
    for (const c of good) landed.set(c.id!, c.quantity!);
    deadLettersExpected += expectedRejected.length;
    inputsTried += cases.length;

    const direct = join(tmp.dir, 'direct');
    check(await runCliAsync(['ingest', file, '--data-dir', direct, '--json']), 'into the data directory');
    const processed = await runCliAsync(['process', '--until-idle', '--data-dir', direct]);
    assert.equal(processed.status, 0, processed.stderr);
    const sql = await runCliAsync(['sql', '--data-dir', direct, '--format', 'json', 'SELECT (SELECT count() FROM events) AS n, (SELECT sum(quantity) FROM events) AS q, (SELECT count() FROM dead_letters) AS d']);
    assert.equal(sql.status, 0, sql.stderr);
    assert.deepEqual(JSON.parse(sql.stdout), { n: good.length, q: good.reduce((s, c) => s + c.quantity!, 0), d: expectedRejected.length });
  });

  it('stays up and unpolluted, and lands every valid event exactly once and every bad line as a dead letter', async () => {
    assert.equal((await service.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    assert.equal(statuses.get(500) ?? 0, 0);
    assert.deepEqual(Object.keys(Object.prototype), []);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);

    await service.processors.untilIdle();
    const [t] = await service.pipeline.warehouse.rows<{ n: string; ids: string; q: string }>('SELECT count() AS n, uniqExact(id) AS ids, sum(quantity) AS q FROM events');
    const [d] = await service.pipeline.warehouse.rows<{ n: string; bare: string }>("SELECT count() AS n, countIf(length(errors) = 0 OR reason = '') AS bare FROM dead_letters");
    const expectedQ = [...landed.values()].reduce((a, b) => a + b, 0);
    const row = { n: Number(t.n), ids: Number(t.ids), q: Number(t.q) };
    console.log(
      `fuzz: ${fmt(inputsTried)} inputs tried (${[...statuses].map(([s, n]) => `${fmt(n)}×${s}`).join(', ')} over HTTP, plus a file through continuity ingest twice); ` +
        `${fmt(Number(d.n))} dead letters, each with field and reason; ${fmt(row.n)} events landed of ${fmt(landed.size)} valid; events lost: ${landed.size - row.ids}, double-counted: ${row.n - row.ids}`,
    );
    assert.deepEqual(row, { n: landed.size, ids: landed.size, q: expectedQ });
    assert.deepEqual({ n: Number(d.n), bare: Number(d.bare) }, { n: deadLettersExpected, bare: 0 });
  });
});
