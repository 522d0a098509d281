/**
 * One stage of the benchmark in its own process, so its peak memory (chDB
 * included) is its own: prints `{"stage", "ms", "peak_rss_mb", …}` as the last line.
 *   tsx bench/stage.ts <stage> <data-dir> <ndjson-file>
 */
import { resolve } from 'node:path';
import { ingestFile } from '../cli/commands/ingest.ts';
import { loadConfig } from '../config/config.ts';
import { openPipeline } from '../service/pipeline.ts';
import { getWarehouse, migrate } from '../warehouse/index.ts';

const [stage, dataDir, file] = process.argv.slice(2);
const config = loadConfig({ dataDir, processor: { batchRecords: Number(process.env.CONT_B ?? 50000) } }, {});
const started = performance.now();
const out: Record<string, unknown> = { stage };

async function processUntilIdle() {
  const pipeline = await openPipeline(config, { purpose: `bench ${stage}` });
  const t0 = performance.now();
  const processors = await pipeline.startProcessors();
  await processors.untilIdle();
  out.ms = performance.now() - t0;
  out.written = processors.events.stats.written;
  await pipeline.close();
}

if (stage === 'ingest') {
  const summary = await ingestFile(config, file);
  out.ms = performance.now() - started;
  out.accepted = summary.accepted;
  out.rejected = summary.rejected.length;
} else if (stage === 'process') {
  await processUntilIdle();
} else if (stage === 'e2e') {
  // Ingest and processing at once, in one process as `continuity serve` runs them.
  const pipeline = await openPipeline(config, { purpose: 'bench e2e' });
  const t0 = performance.now();
  const processors = await pipeline.startProcessors();
  const { ingestLines } = await import('./ingest-lines.ts');
  const accepted = await ingestLines(pipeline.ingestor, file);
  await processors.untilIdle();
  out.ms = performance.now() - t0;
  out.accepted = accepted;
  out.written = processors.events.stats.written;
  await pipeline.close();
} else if (stage === 'limit') {
  const warehouse = await getWarehouse({ path: resolve(dataDir, 'warehouse') });
  await migrate(warehouse);
  await warehouse.command('DROP TABLE IF EXISTS events_limit');
  await warehouse.command('CREATE TABLE events_limit AS events');
  const t0 = performance.now();
  await warehouse.command(`INSERT INTO events_limit
    SELECT id, type, schema_version, parseDateTime64BestEffort(occurred_at, 3, 'UTC') AS occurred_at,
           toDate(occurred_at, 'Asia/Shanghai') AS day, org, region, quantity, customer_ref, source, data,
           0 AS log_partition, rowNumberInAllBlocks() AS log_offset, now64(3) AS ingested_at
    FROM file({file:String}, 'JSONEachRow',
      'id String, type String, schema_version UInt16, occurred_at String, org String, region String, quantity UInt64, customer_ref Nullable(String), source String, data JSON')`,
    { file: resolve(file) });
  out.ms = performance.now() - t0;
  const [row] = await warehouse.rows<{ n: number }>('SELECT count() AS n FROM events_limit');
  out.written = Number(row.n);
  await warehouse.command('DROP TABLE events_limit');
  await warehouse.close();
} else {
  throw new Error(`unknown stage ${stage}`);
}
out.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify(out));
