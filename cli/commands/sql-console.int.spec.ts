/** `continuity sql`: one query, a script on stdin, and the console. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seedScenario } from '../../ingest/simulator/index.ts';
import { startService } from '../../service/server.ts';
import { openPipeline } from '../../service/pipeline.ts';
import { runCli, runCliAsync } from '../../test-support/cli.ts';
import { tempDir, testConfig } from '../../test-support/temp.ts';

/** Runs the real command with `input` on a piped (not terminal) stdin. */
function sqlWithInput(args: string[], input: string) {
  return runCliAsync(['sql', ...args], { input });
}

describe('continuity sql', () => {
  const tmp = tempDir();
  const repairs = [...seedScenario()].filter((e) => e.type === 'repair.completed');

  before(async () => {
    const pipeline = await openPipeline(testConfig(tmp.dir), { purpose: 'test' });
    try {
      await pipeline.ingestor.ingestEvents(repairs);
      const processors = await pipeline.startProcessors();
      await processors.untilIdle();
    } finally {
      await pipeline.close();
    }
  });
  after(() => tmp.cleanup());

  it('answers one query, read-only, without a service', () => {
    const ok = runCli(['sql', '--data-dir', tmp.dir, '--format', 'csv', 'SELECT count() AS n FROM events;']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, `"n"\n${repairs.length}\n`);
    const write = runCli(['sql', '--data-dir', tmp.dir, 'DROP TABLE events']);
    assert.equal(write.status, 1);
    assert.match(write.stderr, /CONT_ERR_SQL_READ_ONLY: the SQL endpoint only reads/);
  });

  it('runs a console: statements over several lines, commands, and carries on after an error', async () => {
    const input = [
      '\\f csv',
      'SELECT count() AS n',
      '  FROM repair_orders',
      "  WHERE completed_at IS NOT NULL;",
      "INSERT INTO events (id) VALUES ('x');",
      '\\d repair_orders',
      '\\f json',
      'SELECT 2 AS b;',
      '\\q',
      'SELECT 3 AS never;',
    ].join('\n');
    const { status, stdout, stderr } = await sqlWithInput(['--data-dir', tmp.dir, '--interactive'], input);
    assert.equal(status, 0, stderr);
    assert.match(stdout, new RegExp(`^"n"\\n${repairs.length}\\n`));
    assert.match(stderr, /^CONT_ERR_SQL_READ_ONLY: the SQL endpoint only reads/m);
    assert.match(stdout, /minutes_to_arrive\s+│\s+Nullable\(Float64\)\s+│\s+minutes from report to arrival/);
    assert.match(stdout, /\{"b":2\}\n$/);
    assert.doesNotMatch(stdout, /never/);
  });

  it('runs a script from stdin and stops at its first error with exit code 1', async () => {
    const { status, stdout, stderr } = await sqlWithInput(['--data-dir', tmp.dir, '--format', 'tsv'], 'SELECT 1 AS a;\nDROP TABLE events;\nSELECT 2 AS b;\n');
    assert.equal(status, 1);
    assert.equal(stdout, 'a\n1\n');
    assert.match(stderr, /CONT_ERR_SQL_READ_ONLY/);
  });

  it('goes through the running service when there is one', async () => {
    const service = await startService(testConfig(tmp.dir));
    try {
      const { status, stdout, stderr } = await sqlWithInput(['--data-dir', tmp.dir, '--format', 'csv'], 'SELECT count() AS n FROM events\n');
      assert.equal(status, 0, stderr);
      assert.equal(stdout, `"n"\n${repairs.length}\n`);
    } finally {
      await service.close();
    }
  });
});
