import type { Command } from 'commander';
import { startService } from '../../service/server.ts';
import { withCommon, configFrom, waitForSignal, type CommonFlags } from '../common.ts';

export function register(program: Command) {
  withCommon(program.command('serve'))
    .description('run the ingest API, the processors and the read side (npm start)')
    .option('--port <port>', 'HTTP port (env CONTINUITY_PORT, default 8080)')
    .option('--host <host>', 'HTTP interface (env CONTINUITY_HOST, default 127.0.0.1)')
    .action(async (flags: CommonFlags) => {
      const config = configFrom(flags);
      const service = await startService(config);
      console.log(`continuity serving at ${service.url} (data: ${config.dataDir}, log: ${config.log.kind}, warehouse: ${service.pipeline.warehouse.kind})`);
      console.log(`  POST ${service.url}/v1/events   ingest NDJSON or JSON`);
      console.log(`  POST ${service.url}/v1/sql      read-only SQL`);
      console.log(`  GET  ${service.url}/metrics     Prometheus metrics`);
      const signal = await waitForSignal();
      console.log(`\n${signal}: stopping after the batch in flight`);
      await service.close();
    });
}
