/**
 * `npm run bench [-- --events N] [--json]`: the whole pipeline against the
 * engine's own limit, on the embedded default. Each stage runs in its own
 * process (peak memory per stage); totals are checked at the end, because a
 * fast wrong answer is not a result.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { realisticEvents } from '../ingest/simulator/index.ts';
import { serializeEvent } from '../schemas/index.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '2000000' },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
  },
});
const events = Number(args.events);
if (!Number.isSafeInteger(events) || events < 1) throw new Error(`--events must be a positive integer (got ${args.events})`);

const root = mkdtempSync(join(tmpdir(), 'continuity-bench-'));
const file = join(root, 'events.ndjson');
const log = (line: string) => process.stderr.write(`${line}\n`);

async function generate() {
  const out = createWriteStream(file);
  let quantity = 0;
  let buffer = '';
  for (const e of realisticEvents(events, Number(args.seed))) {
    quantity += e.quantity;
    buffer += serializeEvent(e) + '\n';
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((r) => out.once('drain', () => r()));
      buffer = '';
    }
  }
  await new Promise<void>((resolve, reject) => out.end(buffer, () => resolve()).on('error', reject));
  return quantity;
}

function stage(name: string, dataDir: string): Record<string, any> {
  log(`  ${name} …`);
  // The previous stage's writes go to disk first, so their writeback does not fall on this one.
  spawnSync('sync');
  const r = spawnSync(process.execPath, ['--import', 'tsx', new URL('./stage.ts', import.meta.url).pathname, name, dataDir, file], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, CONTINUITY_DATA_DIR: '', CLICKHOUSE_URL: '', KAFKA_BROKERS: '' },
  });
  if (r.status !== 0) throw new Error(`stage ${name} failed (${r.status}):\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').at(-1)!;
  return JSON.parse(last);
}

const eps = (n: number, ms: number) => Math.round((n * 1000) / ms);

try {
  log(`continuity bench: ${events.toLocaleString('en-US')} events, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  log('  generating …');
  const quantity = await generate();
  log(`  ${(statSync(file).size / 2 ** 20).toFixed(0)} MiB of NDJSON`);
  const expected = { rows: events, quantity, ids: events };

  const ingest = stage('ingest', join(root, 'a'));
  const processed = stage('process', join(root, 'a'));
  const replayed = stage('replay', join(root, 'a'));
  const e2e = stage('e2e', join(root, 'b'));
  // The engine's own time varies more from run to run than the pipeline's (one
  // large insert, on a shared machine): the faster of two runs, so a slow one
  // never flatters the ratios.
  const limits = [stage('limit', join(root, 'c')), stage('limit', join(root, 'c'))];
  const limit = limits.reduce((best, l) => (l.ms < best.ms ? l : best));

  const problems: string[] = [];
  if (ingest.accepted !== events) problems.push(`ingest accepted ${ingest.accepted}, expected ${events}`);
  for (const [name, s] of [['process', processed], ['replay', replayed], ['e2e', e2e], ['limit', limits[0]], ['limit', limits[1]]] as const) {
    if (JSON.stringify(s.totals) !== JSON.stringify(expected)) problems.push(`${name}: totals ${JSON.stringify(s.totals)}, expected ${JSON.stringify(expected)}`);
  }

  const result = {
    events,
    ingest_eps: eps(events, ingest.ms),
    process_eps: eps(events, processed.ms),
    e2e_eps: eps(events, e2e.ms),
    replay_eps: eps(events, replayed.ms),
    limit_eps: eps(events, limit.ms),
    limit_runs_s: limits.map((l) => Number((l.ms / 1000).toFixed(2))),
    process_ratio: Number((eps(events, processed.ms) / eps(events, limit.ms)).toFixed(3)),
    e2e_ratio: Number((eps(events, e2e.ms) / eps(events, limit.ms)).toFixed(3)),
    replay_process_ratio: Number((eps(events, replayed.ms) / eps(events, processed.ms)).toFixed(3)),
    // The pipeline's own stages; the limit's memory is ClickHouse reading one whole file at once.
    peak_rss_mb: Math.max(ingest.peak_rss_mb, processed.peak_rss_mb, replayed.peak_rss_mb, e2e.peak_rss_mb),
    peak_rss_mb_by_stage: { ingest: ingest.peak_rss_mb, process: processed.peak_rss_mb, replay: replayed.peak_rss_mb, e2e: e2e.peak_rss_mb, limit: limit.peak_rss_mb },
    totals_ok: problems.length === 0,
  };

  const rows = [
    ['ingest (validate + append to the log)', result.ingest_eps, ingest.ms, ingest.peak_rss_mb],
    ['process (log → events + rollups)', result.process_eps, processed.ms, processed.peak_rss_mb],
    ['replay (whole log → shadow tables, swap)', result.replay_eps, replayed.ms, replayed.peak_rss_mb],
    ['end to end (ingest ∥ process)', result.e2e_eps, e2e.ms, e2e.peak_rss_mb],
    ['limit (ClickHouse reads the file, best of 2)', result.limit_eps, limit.ms, limit.peak_rss_mb],
  ] as const;
  console.log(`\n${'stage'.padEnd(44)}${'events/s'.padStart(12)}${'seconds'.padStart(10)}${'peak RSS MiB'.padStart(14)}`);
  for (const [name, r, ms, rss] of rows) console.log(`${name.padEnd(44)}${r.toLocaleString('en-US').padStart(12)}${(ms / 1000).toFixed(2).padStart(10)}${String(rss).padStart(14)}`);
  console.log(`\nprocess / limit ${result.process_ratio}   end-to-end / limit ${result.e2e_ratio}   replay / process ${result.replay_process_ratio}   totals ${problems.length === 0 ? `exact (${events.toLocaleString('en-US')} rows, quantity ${quantity.toLocaleString('en-US')})` : 'WRONG'}`);
  for (const p of problems) console.log(`  ✗ ${p}`);
  if (args.json) console.log(JSON.stringify(result));
  if (problems.length > 0) process.exitCode = 1;
} finally {
  if (!args.keep) rmSync(root, { recursive: true, force: true });
  else log(`kept ${root}`);
}
