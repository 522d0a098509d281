/** `npm run bench` end to end at a small size: every stage runs, the totals are checked, the JSON line has what the README promises. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

describe('npm run bench', () => {
  it('measures every stage on 3,000 events and finds the totals exact', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', new URL('./bench.ts', import.meta.url).pathname, '--events', '3000', '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    assert.equal(result.events, 3000);
    assert.equal(result.totals_ok, true);
    assert.match(r.stdout, /totals exact \(3,000 rows, quantity [\d,]+\)/);
    for (const key of ['ingest_eps', 'process_eps', 'e2e_eps', 'replay_eps', 'limit_eps', 'process_ratio', 'e2e_ratio', 'peak_rss_mb']) {
      assert.ok(typeof result[key] === 'number' && result[key] > 0, `${key}: ${result[key]}`);
    }
    assert.equal(result.limit_runs_s.length, 2);
    assert.deepEqual(Object.keys(result.peak_rss_mb_by_stage), ['ingest', 'process', 'replay', 'e2e', 'limit']);
  });
});
