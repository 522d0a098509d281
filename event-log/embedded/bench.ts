/**
 * Throughput of the embedded log on this machine (not a test: figures depend on the disk).
 *
 *   node --import tsx event-log/embedded/bench.ts [--records 1000000] [--batch 10000] [--value-bytes 400] [--no-fsync] [--concurrency 1]
 *
 * Appends batches of keyed records (org+region-like keys over 8 partitions),
 * then reads every partition back with `read` and with one consumer group.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AppendRecord } from '../event-log.ts';
import { getEmbeddedEventLog } from './index.ts';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '10000' },
    'value-bytes': { type: 'string', default: '400' },
    'no-fsync': { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '1' },
    dir: { type: 'string' },
  },
});
const total = Number(args.records);
const batchSize = Number(args.batch);
const valueBytes = Number(args['value-bytes']);
const concurrency = Number(args.concurrency);

const base = await mkdtemp(join(args.dir ?? tmpdir(), 'continuity-log-bench-'));
const log = getEmbeddedEventLog({ dir: base, topic: 'bench', partitions: 8, fsync: !args['no-fsync'] });
await log.init();

const orgs = ['sgcc', 'sgcc-sh', 'csg', 'csg-gd', 'csg-sz', 'china-telecom', 'china-unicom', 'china-mobile', 'cr-gas'];
const regions = ['310000', '420100', '440300', '110000', '420000', '440000'];
const filler = 'x'.repeat(valueBytes);
function batch(start: number): AppendRecord[] {
  const out: AppendRecord[] = new Array(batchSize);
  for (let i = 0; i < batchSize; i++) {
    const n = start + i;
    const key = `${orgs[n % orgs.length]}:${regions[n % regions.length]}`;
    const head = `{"id":"${n}","key":"${key}","pad":"`;
    out[i] = { key, value: head + filler.slice(0, Math.max(0, valueBytes - head.length - 2)) + '"}' };
  }
  return out;
}

let appended = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (appended < total) {
      const start = appended;
      appended += batchSize;
      await log.append(batch(start));
    }
  }),
);
const appendSeconds = (performance.now() - t0) / 1000;

const ends = await log.endOffsets();
const t1 = performance.now();
let read = 0;
let bytes = 0;
for (let p = 0; p < ends.length; p++) {
  for (let offset = 0; offset < ends[p]; ) {
    const records = await log.read(p, offset, 10_000);
    read += records.length;
    for (const r of records) bytes += r.value.length;
    offset = records[records.length - 1].offset + 1;
  }
}
const readSeconds = (performance.now() - t1) / 1000;

const t2 = performance.now();
let consumed = 0;
const sub = await log.subscribe({
  groupId: 'bench',
  eachBatch: async (b, c) => {
    consumed += b.records.length;
    await c.commit(b.partition, b.records[b.records.length - 1].offset + 1);
  },
});
while (consumed < appended) await new Promise((r) => setTimeout(r, 5));
const consumeSeconds = (performance.now() - t2) / 1000;
await sub.stop();
await log.close();
await rm(base, { recursive: true, force: true });

const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString('en')} records/s`;
console.log(`fsync ${!args['no-fsync']}, ${appended.toLocaleString('en')} records of ~${valueBytes} B, batches of ${batchSize}, ${concurrency} concurrent appender(s)`);
console.log(`append:  ${rate(appended, appendSeconds)} (${((appended * valueBytes) / appendSeconds / 2 ** 20).toFixed(0)} MiB/s of values)`);
console.log(`read:    ${rate(read, readSeconds)} (${(bytes / readSeconds / 2 ** 20).toFixed(0)} MiB/s of values)`);
console.log(`consume: ${rate(consumed, consumeSeconds)} (one group member, commit per batch)`);
