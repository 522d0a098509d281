/** The HTTP ingest plugin through fastify's inject(), over the real embedded logs. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import type { EventLog } from '../../event-log/event-log.ts';
import { seedScenario } from '../simulator/index.ts';
import { serializeEvent } from '../../schemas/index.ts';
import { openPipeline, type Pipeline } from '../../service/pipeline.ts';
import { tempDir, testConfig } from '../../test-support/temp.ts';
import { parseDeadLetter } from '../dead-letters.ts';

async function readAll(log: EventLog) {
  const ends = await log.endOffsets();
  const out = [];
  for (let p = 0; p < ends.length; p++) out.push(...(await log.read(p, 0, ends[p] + 1)));
  return out;
}

describe('POST /v1/events', () => {
  const tmp = tempDir();
  let pipeline: Pipeline;
  let app: FastifyInstance;
  const events = [...seedScenario()].slice(0, 5);
  const good = events.map(serializeEvent);

  before(async () => {
    pipeline = await openPipeline(testConfig(tmp.dir), { purpose: 'test', warehouse: false });
    app = Fastify();
    const { ingestPlugin } = await import('./ingest-plugin.ts');
    await app.register(ingestPlugin, { ingestor: pipeline.ingestor, bodyLimitBytes: 64 * 1024 });
  });
  after(async () => {
    await app.close();
    await pipeline.close();
    tmp.cleanup();
  });

  it('accepts NDJSON and acknowledges only what is in the log', async () => {
    const before = (await pipeline.log.endOffsets()).reduce((a, b) => a + b, 0);
    const res = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/x-ndjson' }, payload: good.join('\n') + '\n' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { accepted: 5, rejected: [] });
    const afterCount = (await pipeline.log.endOffsets()).reduce((a, b) => a + b, 0);
    assert.equal(afterCount - before, 5);
  });

  it('accepts a JSON array and a single JSON object', async () => {
    const arr = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/json' }, payload: `[${good.slice(0, 2).join(',')}]` });
    assert.equal(arr.statusCode, 200);
    assert.equal(arr.json().accepted, 2);
    const one = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/json' }, payload: good[0] });
    assert.equal(one.statusCode, 200);
    assert.equal(one.json().accepted, 1);
  });

  it('lands the good lines, reports each bad line with its number and reason, and dead-letters it', async () => {
    const badRegion = JSON.stringify({ ...JSON.parse(good[1]), region: '999999' });
    const badQuantity = JSON.stringify({ ...JSON.parse(good[2]), quantity: 0 });
    const payload = [good[0], badRegion, 'not json at all', good[3], badQuantity].join('\n');
    const lettersBefore = (await readAll(pipeline.deadLetters)).length;
    const res = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/x-ndjson' }, payload });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.accepted, 2);
    assert.deepEqual(
      body.rejected.map((r: { line: number; errors: { field: string }[] }) => [r.line, r.errors.map((e) => e.field)]),
      [
        [2, ['region']],
        [3, ['$']],
        [5, ['quantity']],
      ],
    );
    assert.match(body.rejected[0].reason, /^region: .*999999/);
    assert.match(body.rejected[1].reason, /JSON/);
    assert.match(body.rejected[2].reason, /^quantity: /);
    const letters = (await readAll(pipeline.deadLetters)).slice(lettersBefore).map(parseDeadLetter);
    assert.deepEqual(
      letters.map((l) => [l.line, l.raw, l.origin]),
      [
        [2, badRegion, 'http'],
        [3, 'not json at all', 'http'],
        [5, badQuantity, 'http'],
      ],
    );
    assert.deepEqual(letters.map((l) => l.id), body.rejected.map((r: { dead_letter_id: string }) => r.dead_letter_id));
  });

  it('answers 422 when nothing is valid, still keeping every line', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/x-ndjson' }, payload: '{"id":1}\n[]' });
    assert.equal(res.statusCode, 422);
    const body = res.json();
    assert.equal(body.code, 'CONT_ERR_INGEST_NO_VALID_EVENTS');
    assert.equal(body.accepted, 0);
    assert.deepEqual(body.rejected.map((r: { line: number }) => r.line), [1, 2]);
  });

  it('refuses a broken JSON array with 400 and keeps the body as a dead letter', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/json' }, payload: `[${good[0]},` });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'CONT_ERR_INGEST_MALFORMED_BODY');
    const letters = (await readAll(pipeline.deadLetters)).map(parseDeadLetter);
    assert.equal(letters.at(-1)!.raw, `[${good[0]},`);
  });

  it('answers 413 for a body over the limit and 415 for another media type', async () => {
    const big = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/x-ndjson' }, payload: 'x'.repeat(70 * 1024) });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().code, 'CONT_ERR_INGEST_BODY_TOO_LARGE');
    const xml = await app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/xml' }, payload: '<event/>' });
    assert.equal(xml.statusCode, 415);
    assert.equal(xml.json().code, 'CONT_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE');
  });
});
