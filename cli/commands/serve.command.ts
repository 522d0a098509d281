import type { Command } from 'commander';
import { startService } from '../../service/server.ts';
import { withCommon, configFrom, waitForSignal, type CommonFlags } from '../common.ts';
import { authSummary, serveConfig, type ServeFlags } from '../service-auth.ts';

export function register(program: Command) {
  withCommon(program.command('serve'))
    .description('run the ingest API, the processors and the read side (npm start)')
    .option('--port <port>', 'HTTP port (env CONTINUITY_PORT, default 8080)')
    .option('--host <host>', 'HTTP interface (env CONTINUITY_HOST, default 127.0.0.1)')
    .option('--tokens <file>', 'tokens file (JSON or YAML, hashes only), re-read when it changes (env CONTINUITY_TOKENS_FILE; CONTINUITY_TOKENS: the list inline)')
    .option('--insecure-dev', 'serve without tokens when none are configured: anyone reaching the port may ingest and query; a developer machine only')
    .option('--max-events-per-request <n>', 'most events in one ingest request (env CONTINUITY_MAX_EVENTS_PER_REQUEST, default 10000)')
    .option('--rate <events-per-second>', 'events per second per token, 0 for no limit (env CONTINUITY_RATE_EVENTS_PER_SECOND, default 20000)')
    .option('--burst <events>', 'events a token may send at once (env CONTINUITY_RATE_BURST, default 100000)')
    .option('--body-limit <bytes>', 'largest request body (env CONTINUITY_BODY_LIMIT_BYTES, default 16777216)')
    .option('--batch-records <n>', 'events per warehouse insert (default 150000)')
    .option('--no-processors', 'run no processors here: `continuity process` instances load the warehouse (Kafka), through /clickhouse when it is embedded')
    .action(async (flags: CommonFlags & ServeFlags & { processors?: boolean }) => {
      const config = configFrom(flags, serveConfig(flags));
      const service = await startService(config, { processors: flags.processors !== false });
      // One write, so whoever watches for the first line has the whole banner.
      console.log(
        [
          `continuity serving at ${service.url} (data: ${config.dataDir}, log: ${config.log.kind}, warehouse: ${service.pipeline.warehouse.kind})`,
          authSummary(service, config),
          `  POST ${service.url}/v1/events   ingest NDJSON or JSON`,
          `  POST ${service.url}/v1/sql      read-only SQL`,
          ...(service.pipeline.warehouse.kind === 'embedded' ? [`  ${service.url}/clickhouse       the embedded warehouse over ClickHouse's HTTP interface (scope operate)`] : []),
          ...(flags.processors === false ? ['  processors: none here (--no-processors)'] : []),
          `  GET  ${service.url}/metrics     Prometheus metrics`,
        ].join('\n'),
      );
      const signal = await waitForSignal();
      console.log(`\n${signal}: stopping after the batch in flight`);
      await service.close();
    });
}
