/**
 * The operations commands as operators run them: replay, offsets, deadletters,
 * on a data directory of their own, then through a running service.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { realisticEvents } from '../../ingest/simulator/index.ts';
import { openPipeline } from '../../service/pipeline.ts';
import { runCli, spawnCli } from '../../test-support/cli.ts';
import { tempDir, testConfig } from '../../test-support/temp.ts';

describe('continuity replay, offsets, deadletters', () => {
  const tmp = tempDir();
  const dataDir = `${tmp.dir}/data`;
  const env = { CONTINUITY_LOG_FSYNC: 'false' };
  const cli = (...args: string[]) => runCli([...args, '--data-dir', dataDir], { env });
  const events = [...realisticEvents(2000, 5)];
  const quantity = events.reduce((s, e) => s + e.quantity, 0);

  before(async () => {
    const pipeline = await openPipeline(testConfig(dataDir, { log: { fsync: false } }), { purpose: 'test' });
    try {
      await pipeline.ingestor.ingestEvents(events);
      await pipeline.ingestor.ingestLines([{ line: 1, text: JSON.stringify({ ...events[0], id: '7a1c9e52-0000-4000-8000-000000000001', org: 'sgcc-bj' }) }], 'file:late.ndjson');
      const processors = await pipeline.startProcessors();
      await processors.untilIdle();
    } finally {
      await pipeline.close();
    }
  });
  after(() => tmp.cleanup());

  it('replay --dry-run, replay, --status', () => {
    const dry = cli('replay', '--dry-run', '--json');
    assert.equal(dry.status, 0, dry.stderr);
    const plan = JSON.parse(dry.stdout);
    assert.deepEqual(
      plan.tables.map((t: { table: string; replayRecords: number; liveRows: number }) => [t.table, t.replayRecords, t.liveRows]),
      [
        ['events', 2000, 2000],
        ['dead_letters', 1, 1],
      ],
    );
    const run = cli('replay', '--tables', 'events');
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /: swapped \(swapped in: events 2000 rows \(before: 2000\)/);
    assert.match(run.stdout, /events: 2,000 rows \(the previous table, now events_before_\w+, has 2,000\)/);
    assert.match(run.stderr, /replay: swapping:/);
    const status = JSON.parse(cli('replay', '--status', '--json').stdout);
    assert.deepEqual(
      status.map((s: { status: string; from: string }) => [s.status, s.from]),
      [['swapped', 'earliest']],
    );
    const sum = runCli(['sql', 'SELECT toString(sum(quantity)) AS q, toString(count()) AS n FROM events', '--format', 'json', '--data-dir', dataDir], { env });
    assert.deepEqual(JSON.parse(sum.stdout), { q: String(quantity), n: '2000' });
    assert.equal(cli('replay', '--from', 'yesterday').status, 1);
  });

  it('offsets show and reset', () => {
    const shown = JSON.parse(cli('offsets', 'show', '--json').stdout);
    assert.deepEqual(
      shown.map((g: { group: string; log: string; partitions: { lag: number }[] }) => [g.group, g.log, g.partitions.length, g.partitions.reduce((s, p) => s + p.lag, 0)]),
      [
        ['continuity-warehouse', 'events', 8, 0],
        ['continuity-dead-letters', 'dead-letters', 1, 0],
      ],
    );
    const dry = cli('offsets', 'reset', '--group', 'continuity-warehouse', '--to', 'earliest', '--dry-run');
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, /lag in total at the new offsets: 2,000/);
    const rewind = cli('offsets', 'reset', '--group', 'continuity-warehouse', '--to', 'offset', '--partition', '2', '--offset', '0');
    assert.equal(rewind.status, 0, rewind.stderr);
    const after = JSON.parse(cli('offsets', 'show', '--group', 'continuity-warehouse', '--json').stdout)[0];
    assert.equal(after.partitions[2].committed, 0);
    assert.equal(after.partitions[2].lag, after.partitions[2].end);
    // Moving forward past unprocessed records needs --yes.
    const skip = cli('offsets', 'reset', '--group', 'continuity-warehouse', '--to', 'latest');
    assert.equal(skip.status, 1);
    assert.match(skip.stderr, /skips [\d,]+ records .* Add --yes/);
    const processed = runCli(['process', '--until-idle', '--data-dir', dataDir], { env });
    assert.match(processed.stdout, /0 events written, [\d,]+ duplicates dropped/);
  });

  it('deadletters list, redrive after the fix, show', () => {
    const open = cli('deadletters', 'list', '--status', 'open', '--json');
    const [letter] = open.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(letter.origin, 'file:late.ndjson');
    assert.match(letter.reason, /unknown org "sgcc-bj"/);
    const orgs = `${tmp.dir}/orgs.json`;
    writeFileSync(orgs, JSON.stringify([{ code: 'sgcc-bj', name_zh: '国网北京市电力公司', name_en: 'State Grid Beijing', sector: 'power', parent: 'sgcc' }]));
    const fixed = { ...env, CONTINUITY_ORG_CATALOG: orgs };
    const redrive = runCli(['deadletters', 'redrive', '--data-dir', dataDir], { env: fixed });
    assert.equal(redrive.status, 0, redrive.stderr);
    assert.match(redrive.stdout, /1 letters, 1 valid now and appended to the events log/);
    runCli(['process', '--until-idle', '--data-dir', dataDir], { env: fixed });
    const shown = runCli(['deadletters', 'show', letter.id, '--data-dir', dataDir], { env: fixed });
    assert.match(shown.stdout, /status {6}resolved \(event 7a1c9e52-0000-4000-8000-000000000001\)/);
    assert.match(shown.stdout, /appended as event 7a1c9e52-0000-4000-8000-000000000001 at \d+:\d+/);
  });

  it('with the service up: status and lists go through it, offsets are not moved under its processors', async () => {
    const service = spawnCli(['serve', '--data-dir', dataDir, '--port', '0', '--insecure-dev'], env);
    try {
      await new Promise<void>((resolve, reject) => {
        service.stdout.on('data', (d: Buffer) => d.toString().includes('serving at') && resolve());
        service.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const status = cli('replay', '--status');
      assert.match(status.stdout, /swapped .*\[via the running service\]/s);
      const shown = cli('offsets', 'show');
      assert.match(shown.stdout, /group continuity-warehouse .*\[via the running service\]/);
      const reset = cli('offsets', 'reset', '--group', 'continuity-warehouse', '--to', 'earliest');
      assert.equal(reset.status, 1);
      assert.match(reset.stderr, /CONT_ERR_DATA_DIR_BUSY: the service \(process \d+\) runs the processors/);
      const letters = cli('deadletters', 'list');
      assert.match(letters.stdout, /open: 0, failing: 0, redriven: 0, resolved: 1 \[via the running service\]/);
    } finally {
      service.kill('SIGTERM');
      await new Promise((r) => service.once('exit', r));
    }
  });
});
