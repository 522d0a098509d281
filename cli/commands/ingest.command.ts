import type { Command } from 'commander';
import { ingestFile } from './ingest.ts';
import { withCommon, configFrom, type CommonFlags } from '../common.ts';
import { TOKEN_OPTION_HELP } from '../service-auth.ts';

export function register(program: Command) {
  withCommon(program.command('ingest'))
    .description('validate an NDJSON file (or - for stdin) and append it to the event log; bad lines are reported and dead-lettered')
    .argument('<file>', 'NDJSON file, or - for standard input')
    .option('--json', 'print the summary as JSON')
    .option('--token <token>', TOKEN_OPTION_HELP)
    .action(async (file: string, flags: CommonFlags & { json?: boolean; token?: string }) => {
      const config = configFrom(flags);
      const summary = await ingestFile(config, file, { token: flags.token });
      if (flags.json) console.log(JSON.stringify({ lines: summary.lines, accepted: summary.accepted, rejected: summary.rejected }));
      else {
        for (const r of summary.rejected.slice(0, 50)) console.error(`line ${r.line}: ${r.reason}`);
        if (summary.rejected.length > 50) console.error(`… and ${summary.rejected.length - 50} more rejected lines`);
        console.log(
          `ingested ${summary.lines.toLocaleString('en-US')} lines: ${summary.accepted.toLocaleString('en-US')} accepted, ${summary.rejected.length.toLocaleString('en-US')} rejected${summary.rejected.length ? ' (kept as dead letters)' : ''}${summary.via === 'service' ? ' [via the running service]' : ''}`,
        );
      }
      if (summary.rejected.length > 0) process.exitCode = 2;
    });
}
