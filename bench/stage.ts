/**
 * One stage of the benchmark in its own process, so its peak memory (chDB
 * included) is its own. Prints one JSON object as its last line.
 *   tsx bench/stage.ts <ingest|process|e2e|limit|replay> <data-dir> <ndjson-file>
 */
import { resolve } from 'node:path';
import { loadConfig } from '../config/config.ts';
import { openPipeline } from '../service/pipeline.ts';
import { getWarehouse, migrate, type Warehouse } from '../warehouse/index.ts';
import { ingestLines } from './ingest-lines.ts';

const [stage, dataDir, file] = process.argv.slice(2);
// The benchmark's data is thrown away afterwards, but it is written as in production: fsync on.
// Defaults as a user gets them; CONTINUITY_BENCH_BATCH tries another insert size.
const batch = process.env.CONTINUITY_BENCH_BATCH;
const config = loadConfig({ dataDir, ...(batch ? { processor: { batchRecords: Number(batch) } } : {}) }, {});
const out: Record<string, unknown> = { stage };

/** The process's peak resident memory so far, MiB: taken when a stage's timed work ends, before its totals are checked. */
function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

async function totals(warehouse: Warehouse, table: string) {
  const [row] = await warehouse.rows<{ n: string; q: string; ids: string }>(`SELECT count() AS n, sum(quantity) AS q, uniqExact(id) AS ids FROM ${table}`);
  return { rows: Number(row.n), quantity: Number(row.q), ids: Number(row.ids) };
}

if (stage === 'ingest') {
  const pipeline = await openPipeline(config, { purpose: 'bench ingest', warehouse: false });
  const t0 = performance.now();
  out.accepted = await ingestLines(pipeline.ingestor, file);
  out.ms = performance.now() - t0;
  out.peak_rss_mb = peakRssMb();
  await pipeline.close();
} else if (stage === 'process') {
  const pipeline = await openPipeline(config, { purpose: 'bench process' });
  const t0 = performance.now();
  const processors = await pipeline.startProcessors();
  await processors.untilIdle();
  out.ms = performance.now() - t0;
  out.peak_rss_mb = peakRssMb();
  out.totals = await totals(pipeline.warehouse, 'events');
  await pipeline.close();
} else if (stage === 'e2e') {
  // Ingest and processing at once, in one process, as `continuity serve` runs them:
  // from the first event in to the last one queryable.
  const pipeline = await openPipeline(config, { purpose: 'bench e2e' });
  const t0 = performance.now();
  const processors = await pipeline.startProcessors();
  out.accepted = await ingestLines(pipeline.ingestor, file);
  await processors.untilIdle();
  out.ms = performance.now() - t0;
  out.peak_rss_mb = peakRssMb();
  out.totals = await totals(pipeline.warehouse, 'events');
  await pipeline.close();
} else if (stage === 'replay') {
  // The whole log again into shadow tables, swapped in: what an operator runs after a fix.
  const { startReplay } = await import('../processors/replay/index.ts');
  const pipeline = await openPipeline(config, { purpose: 'bench replay' });
  const t0 = performance.now();
  await startReplay({ log: pipeline.log, deadLetters: pipeline.deadLetters, warehouse: pipeline.warehouse, catalog: pipeline.catalog });
  out.ms = performance.now() - t0;
  out.peak_rss_mb = peakRssMb();
  out.totals = await totals(pipeline.warehouse, 'events');
  await pipeline.close();
} else if (stage === 'limit') {
  // The engine's own limit: ClickHouse reading the same file into a copy of `events`,
  // in the fastest form known (the loaders' `inputShape`: low-cardinality columns
  // read as String, `data` as its object's text, converted by the insert; about 7 %
  // faster than reading `data` as JSON), so no ratio gains from a better statement.
  const warehouse = await getWarehouse({ path: resolve(dataDir, 'warehouse') });
  await migrate(warehouse);
  await warehouse.command('DROP TABLE IF EXISTS events_limit');
  await warehouse.command('CREATE TABLE events_limit AS events');
  const t0 = performance.now();
  await warehouse.command(
    `INSERT INTO events_limit (id, type, schema_version, occurred_at, org, region, quantity, customer_ref, source, data, log_partition, log_offset, ingested_at)
     SELECT id, type, schema_version, occurred_at, org, region, quantity, customer_ref, source, ifNull(data, '{}'),
            0, rowNumberInAllBlocks(), now64(3)
     FROM file({file:String}, 'JSONEachRow',
       'id String, type String, schema_version UInt16, occurred_at DateTime64(3, \\'UTC\\'), org String, region String, quantity UInt64, customer_ref Nullable(String), source String, data Nullable(String)')
     SETTINGS date_time_input_format = 'best_effort', input_format_json_read_objects_as_strings = 1`,
    { file: resolve(file) },
  );
  out.ms = performance.now() - t0;
  out.peak_rss_mb = peakRssMb();
  out.totals = await totals(warehouse, 'events_limit');
  await warehouse.command('DROP TABLE events_limit');
  await warehouse.close();
} else {
  throw new Error(`unknown stage ${stage}`);
}
// The totals check's own memory (an exact distinct count of every id) is the harness's, not the pipeline's.
out.check_rss_mb = peakRssMb();
const cpu = process.cpuUsage();
out.cpu_s = Number(((cpu.user + cpu.system) / 1e6).toFixed(2));
console.log(JSON.stringify(out));
