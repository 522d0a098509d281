import type { Command } from 'commander';
import { Option } from 'commander';
import { runningService } from '../../service/data-dir.ts';
import { openPipeline } from '../../service/pipeline.ts';
import { runReadOnlyQuery, SQL_FORMATS, type SqlFormat } from '../../service/sql-route.ts';
import { withCommon, configFrom, type CommonFlags } from '../common.ts';
import { authHeaders, TOKEN_OPTION_HELP, tokenFor } from '../service-auth.ts';

export function register(program: Command) {
  withCommon(program.command('sql'))
    .description('run a read-only query against the warehouse (through the running service when there is one)')
    .argument('<query>', 'SQL, e.g. "SELECT type, sum(quantity) FROM events GROUP BY type"')
    .addOption(new Option('--format <format>', 'output format').choices(Object.keys(SQL_FORMATS)).default('table'))
    .option('--token <token>', TOKEN_OPTION_HELP)
    .action(async (query: string, flags: CommonFlags & { format: SqlFormat; token?: string }) => {
      const config = configFrom(flags);
      const service = config.log.kind === 'embedded' || !config.clickhouse.url ? runningService(config.dataDir) : null;
      if (service) {
        const response = await fetch(`${service.url}/v1/sql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...authHeaders(tokenFor(service, flags)) },
          body: JSON.stringify({ query, format: flags.format }),
        });
        const text = await response.text();
        if (!response.ok) {
          const error = JSON.parse(text) as { code: string; message: string };
          throw Object.assign(new Error(error.message), { code: error.code });
        }
        process.stdout.write(text);
        return;
      }
      const pipeline = await openPipeline(config, { purpose: 'continuity sql', logs: false });
      try {
        process.stdout.write(await runReadOnlyQuery(pipeline.warehouse, query, flags.format));
      } finally {
        await pipeline.close();
      }
    });
}
