/**
 * A replay run by the service itself (the embedded default, dashboards up):
 * ingest and the live processors go on throughout; they pause only for the
 * exchange, and afterwards load into the new table.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { realisticEvents } from '../../ingest/simulator/index.ts';
import { generateToken, sha256Hex } from '../../service/auth/index.ts';
import { startService, type RunningService } from '../../service/server.ts';
import { tempDir, testConfig } from '../../test-support/temp.ts';
import { tableChecksum } from './index.ts';

describe('replay through the running service', () => {
  const tmp = tempDir();
  const operator = generateToken();
  const producer = generateToken();
  let service: RunningService;
  const events = [...realisticEvents(4000, 3)];

  const call = async (method: 'GET' | 'POST', url: string, token: string, payload?: unknown) => {
    const res = await service.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload === undefined ? {} : { payload: payload as object }) });
    return { status: res.statusCode, body: res.json() };
  };

  async function totals() {
    const [row] = await service.pipeline.warehouse.rows<{ rows: string; ids: string; quantity: string }>(
      'SELECT toString(count()) AS rows, toString(uniqExact(id)) AS ids, toString(sum(quantity)) AS quantity FROM events',
    );
    return { rows: Number(row.rows), ids: Number(row.ids), quantity: Number(row.quantity) };
  }

  before(async () => {
    const tokens = [
      { name: 'ops', sha256: sha256Hex(operator), scopes: ['operate', 'sql'] },
      { name: 'billing', sha256: sha256Hex(producer), orgs: ['*'], scopes: ['ingest'] },
    ];
    service = await startService(testConfig(tmp.dir, { log: { fsync: false }, auth: { tokens: JSON.stringify(tokens), insecureDev: false } }));
    await service.pipeline.ingestor.ingestEvents(events.slice(0, 3000));
    await service.processors.untilIdle();
  });

  after(async () => {
    await service?.close();
    tmp.cleanup();
  });

  it('needs the operate scope', async () => {
    const refused = await call('POST', '/v1/replays', producer, { dryRun: true });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'CONT_ERR_AUTH_FORBIDDEN_SCOPE');
    const plan = await call('POST', '/v1/replays', operator, { dryRun: true, tables: ['events'] });
    assert.equal(plan.status, 200);
    assert.equal(plan.body.tables[0].replayRecords, 3000);
    const bad = await call('POST', '/v1/replays', operator, { from: 'yesterday' });
    assert.deepEqual([bad.status, bad.body.code], [400, 'CONT_ERR_OPERATION_INVALID']);
    assert.match(bad.body.message, /^from: "yesterday" is not a position/);
    const nowhere = await call('POST', '/v1/replays', operator, { from: '9:0', dryRun: true });
    assert.deepEqual([nowhere.status, nowhere.body.code], [400, 'CONT_ERR_OPERATION_INVALID']);
  });

  it('runs beside ingest and the live processors, swaps, and the processors go on into the new table', async () => {
    const before = await tableChecksum(service.pipeline.warehouse, 'events');
    const started = await call('POST', '/v1/replays', operator, { batchRecords: 500 });
    assert.equal(started.status, 202);
    const { id } = started.body as { id: string };
    // Events keep arriving while the replay builds.
    await service.pipeline.ingestor.ingestEvents(events.slice(3000, 3500));
    const second = await call('POST', '/v1/replays', operator, {});
    assert.deepEqual([second.status, second.body.code], [409, 'CONT_ERR_REPLAY_UNFINISHED']);

    let state: { status: string; running: boolean; message: string; targets: { before: string }[] };
    do {
      await new Promise((r) => setTimeout(r, 50));
      state = (await call('GET', `/v1/replays/${id}`, operator)).body;
    } while (state.running);
    assert.equal(state.status, 'swapped', state.message);
    // What arrived during the replay is in the new table once, whichever side loaded it.
    await service.processors.untilIdle();
    const quantityOf = (n: number) => events.slice(0, n).reduce((s, e) => s + e.quantity, 0);
    assert.deepEqual(await totals(), { rows: 3500, ids: 3500, quantity: quantityOf(3500) });
    const previous = await tableChecksum(service.pipeline.warehouse, state.targets[0].before);
    assert.ok(previous.rows >= before.rows && previous.rows <= 3500, `${previous.rows}`);

    await service.pipeline.ingestor.ingestEvents(events.slice(3500));
    await service.processors.untilIdle();
    const quantity = events.reduce((s, e) => s + e.quantity, 0);
    assert.deepEqual(await totals(), { rows: 4000, ids: 4000, quantity });

    const offsets = await call('GET', '/v1/offsets', operator);
    assert.equal(offsets.status, 200);
    assert.deepEqual(
      offsets.body.map((g: { group: string; partitions: { lag: number }[] }) => [g.group, g.partitions.reduce((s, p) => s + p.lag, 0)]),
      [
        ['continuity-warehouse', 0],
        ['continuity-dead-letters', 0],
      ],
    );
    const list = await call('GET', '/v1/replays', operator);
    assert.deepEqual(
      list.body.map((r: { id: string; status: string }) => [r.id, r.status]),
      [[id, 'swapped']],
    );
    const cleaned = await call('POST', '/v1/replays/cleanup', operator, {});
    assert.deepEqual(
      cleaned.body.map((r: { status: string }) => r.status),
      ['cleaned'],
    );
  });

  it('lists and re-drives dead letters', async () => {
    await service.pipeline.ingestor.ingestLines([{ line: 1, text: JSON.stringify({ ...events[0], org: 'sgcc-bj' }) }], 'http');
    await service.processors.untilIdle();
    const list = await call('GET', '/v1/dead-letters?status=open', operator);
    assert.equal(list.status, 200);
    assert.equal(list.body.letters.length, 1);
    assert.deepEqual(list.body.counts, { open: 1, failing: 0, redriven: 0, resolved: 0 });
    const shown = await call('GET', `/v1/dead-letters/${list.body.letters[0].id}`, operator);
    assert.match(shown.body.raw, /sgcc-bj/);
    const redriven = await call('POST', '/v1/dead-letters/redrive', operator, {});
    assert.deepEqual([redriven.body.selected, redriven.body.appended, redriven.body.failing.length], [1, 0, 1]);
    assert.equal((await call('GET', '/v1/dead-letters/nope', operator)).status, 404);
  });
});
