/**
 * The embedded engine gives freed memory back within a second, not after
 * ClickHouse's 5 s: the pipeline's resident memory is what it uses. Each case
 * runs in a process of its own, since the allocator reads its options once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../test-support/temp.ts';
import { EMBEDDED_ALLOCATOR_CONF } from './warehouse.ts';

const child = `
import { getWarehouse } from ${JSON.stringify(fileURLToPath(new URL('./index.ts', import.meta.url)))};
const warehouse = await getWarehouse({ path: process.argv[1] });
const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);
// About 500 MiB allocated and freed by one query.
await warehouse.rows('SELECT length(groupArray(toString(number))) AS n FROM numbers(10000000)');
const afterQuery = rss();
// The allocator purges as it is used: small queries for one second.
for (let i = 0; i < 20; i++) {
  await warehouse.rows('SELECT count() FROM numbers(100000)');
  await new Promise((resolve) => setTimeout(resolve, 50));
}
console.log(JSON.stringify({ conf: process.env.JE_MALLOC_CONF ?? null, afterQuery, afterSecond: rss() }));
await warehouse.close();
`;

function run(env: Record<string, string>): { conf: string | null; afterQuery: number; afterSecond: number } {
  const tmp = tempDir();
  try {
    const { JE_MALLOC_CONF: _, ...inherited } = process.env;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child, tmp.dir], { encoding: 'utf8', env: { ...inherited, ...env } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  } finally {
    tmp.cleanup();
  }
}

describe('embedded engine memory', () => {
  it('returns what a query freed within a second', () => {
    const r = run({});
    assert.equal(r.conf, EMBEDDED_ALLOCATOR_CONF);
    assert.ok(r.afterQuery - r.afterSecond > 250, `resident ${r.afterQuery} MiB after the query, ${r.afterSecond} MiB a second later`);
  });

  it("keeps the operator's allocator options", () => {
    const r = run({ JE_MALLOC_CONF: 'dirty_decay_ms:5000' });
    assert.equal(r.conf, 'dirty_decay_ms:5000');
    assert.ok(r.afterQuery - r.afterSecond < 100, `resident ${r.afterQuery} MiB after the query, ${r.afterSecond} MiB a second later`);
  });
});
