/** The service in one process: ingest over HTTP, processors, read-only SQL, metrics. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seedScenario } from '../ingest/simulator/index.ts';
import { serializeEvent } from '../schemas/index.ts';
import { runCliAsync } from '../test-support/cli.ts';
import { tempDir, testConfig } from '../test-support/temp.ts';
import { runningService } from './data-dir.ts';
import { startService, type RunningService } from './server.ts';

describe('continuity serve', () => {
  const tmp = tempDir();
  let service: RunningService;
  const events = [...seedScenario()].filter((e) => e.type === 'suspension.waived' && e.org.startsWith('china-'));
  const total = events.reduce((s, e) => s + e.quantity, 0);

  before(async () => {
    service = await startService(testConfig(tmp.dir));
  });
  after(async () => {
    await service.close();
    tmp.cleanup();
  });

  it('takes events over HTTP and the processors load them', async () => {
    const res = await service.app.inject({ method: 'POST', url: '/v1/events', headers: { 'content-type': 'application/x-ndjson' }, payload: events.map(serializeEvent).join('\n') });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().accepted, events.length);
    await service.processors.untilIdle();
    const sql = await service.app.inject({ method: 'POST', url: '/v1/sql', payload: { query: 'SELECT sum(quantity) AS q FROM events', format: 'json' } });
    assert.equal(sql.statusCode, 200);
    assert.deepEqual(JSON.parse(sql.body), { q: 1_169_500 });
    assert.equal(total, 1_169_500);
  });

  it('refuses writes through the SQL endpoint and changes nothing', async () => {
    for (const query of ['INSERT INTO events (id) VALUES (\'x\')', 'DROP TABLE events', 'ALTER TABLE events DELETE WHERE 1', 'TRUNCATE TABLE events']) {
      const res = await service.app.inject({ method: 'POST', url: '/v1/sql', payload: { query } });
      assert.equal(res.statusCode, 403, query);
      assert.equal(res.json().code, 'CONT_ERR_SQL_READ_ONLY');
      assert.match(res.json().message, /only reads/);
    }
    const rows = await service.pipeline.warehouse.rows<{ n: string }>('SELECT count() AS n FROM events');
    assert.equal(Number(rows[0].n), events.length);
  });

  it('answers a bad query with the warehouse reason', async () => {
    const res = await service.app.inject({ method: 'POST', url: '/v1/sql', payload: { query: 'SELECT nope FROM events' } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'CONT_ERR_WAREHOUSE_QUERY');
    assert.match(res.json().message, /nope/);
  });

  it('exposes metrics named continuity_<name>_<unit>_total', async () => {
    const res = await service.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, new RegExp(`^continuity_ingest_events_accepted_total ${events.length}$`, 'm'));
    assert.match(res.body, new RegExp(`^continuity_processor_events_written_total\\{loader="events"\\} ${events.length}$`, 'm'));
    assert.match(res.body, /^continuity_processor_lag_events\{group="continuity-warehouse"\} 0$/m);
  });

  it('lets other commands reach the data directory through it', async () => {
    assert.equal(runningService(tmp.dir), null, 'the service itself is this process');
    const busy = await runCliAsync(['process', '--until-idle', '--data-dir', tmp.dir]);
    // From another process the service is found through service.json.
    assert.equal(busy.status, 0, busy.stderr);
    assert.match(busy.stdout, /running service is already processing/);
    const sql = await runCliAsync(['sql', '--data-dir', tmp.dir, '--format', 'csv', 'SELECT sum(quantity) AS q FROM events']);
    assert.equal(sql.status, 0, sql.stderr);
    assert.equal(sql.stdout, '"q"\n1169500\n');
  });
});
