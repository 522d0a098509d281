import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { Option } from 'commander';
import { runningService } from '../../service/data-dir.ts';
import { openPipeline } from '../../service/pipeline.ts';
import { openReadOnlyWarehouse } from '../../service/read-only-warehouse.ts';
import { runReadOnlyQuery, SQL_FORMATS, type SqlFormat } from '../../service/sql-route.ts';
import { withCommon, configFrom, type CommonFlags } from '../common.ts';
import { authHeaders, TOKEN_OPTION_HELP, tokenFor } from '../service-auth.ts';

type SqlFlags = CommonFlags & { format: SqlFormat; token?: string; interactive?: boolean };

/** Where queries go: the running service's /v1/sql, or the read-only warehouse opened here. */
interface SqlRunner {
  run(query: string, format: SqlFormat, params?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

async function openRunner(flags: SqlFlags): Promise<SqlRunner> {
  const config = configFrom(flags);
  const service = config.log.kind === 'embedded' || !config.clickhouse.url ? runningService(config.dataDir) : null;
  if (service) {
    const headers = { 'content-type': 'application/json', ...authHeaders(tokenFor(service, flags)) };
    return {
      async run(query, format, params) {
        const response = await fetch(`${service.url}/v1/sql`, { method: 'POST', headers, body: JSON.stringify({ query, format, params }) });
        const text = await response.text();
        if (!response.ok) {
          const error = JSON.parse(text) as { code: string; message: string };
          throw Object.assign(new Error(error.message), { code: error.code });
        }
        return text;
      },
      async close() {},
    };
  }
  // No service: hold the data directory (and bring it up to date) for as long as the command runs.
  const pipeline = await openPipeline(config, { purpose: 'continuity sql', logs: false });
  try {
    const reader = await openReadOnlyWarehouse(config, config.sql);
    return {
      run: (query, format, params) => runReadOnlyQuery(reader, query, format, params),
      async close() {
        await reader.close();
        await pipeline.close();
      },
    };
  } catch (error) {
    await pipeline.close();
    throw error;
  }
}

const HELP = `Statements end with ";". Commands:
  \\d            tables and views
  \\d NAME       columns of a table or view, with their meaning
  \\f [FORMAT]   show or set the output format: ${Object.keys(SQL_FORMATS).join(', ')}
  \\?            this help
  \\q            quit (or Ctrl-D)
`;

const describeColumns = `SELECT name, type, comment AS meaning FROM system.columns
WHERE database = currentDatabase() AND table = {table:String} ORDER BY position`;
const listTables = `SELECT name, engine, comment AS meaning FROM system.tables
WHERE database = currentDatabase() AND NOT startsWith(name, '_') AND NOT is_temporary ORDER BY name`;

/**
 * Reads statements line by line, each ending with ";". Interactive: prompts,
 * reports an error and carries on. Otherwise (a script on stdin): stops at the
 * first error with exit code 1.
 */
async function console_(runner: SqlRunner, initialFormat: SqlFormat, interactive: boolean, prompts: boolean): Promise<void> {
  let format = initialFormat;
  const rl = createInterface({ input: process.stdin, output: prompts ? process.stdout : undefined, terminal: prompts, historySize: 500 });
  const prompt = (continued: boolean) => {
    if (!prompts) return;
    rl.setPrompt(continued ? '        -> ' : 'continuity> ');
    rl.prompt();
  };
  if (prompts) process.stdout.write(`continuity SQL console, read-only. \\? for help.\n`);
  let buffer: string[] = [];
  let failed = false;
  const execute = async (query: string, params?: Record<string, unknown>, as: SqlFormat = format) => {
    try {
      process.stdout.write(await runner.run(query, as, params));
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'error';
      process.stderr.write(`${code}: ${(error as Error).message}\n`);
      if (!interactive) failed = true;
    }
  };
  prompt(false);
  for await (const line of rl) {
    const trimmed = line.trim();
    if (buffer.length === 0 && trimmed.startsWith('\\')) {
      const [command, argument] = trimmed.split(/\s+/, 2);
      if (command === '\\q') break;
      if (command === '\\?') process.stdout.write(HELP);
      else if (command === '\\f') {
        if (argument === undefined) process.stdout.write(`${format}\n`);
        else if (argument in SQL_FORMATS) format = argument as SqlFormat;
        else process.stderr.write(`unknown format "${argument}": ${Object.keys(SQL_FORMATS).join(', ')}\n`);
      } else if (command === '\\d') await (argument ? execute(describeColumns, { table: argument }, 'table') : execute(listTables, undefined, 'table'));
      else process.stderr.write(`unknown command ${command}; \\? for help\n`);
    } else if (buffer.length === 0 && /^(quit|exit)$/i.test(trimmed)) {
      break;
    } else if (trimmed.length > 0 || buffer.length > 0) {
      buffer.push(line);
      if (trimmed.endsWith(';')) {
        const query = buffer.join('\n');
        buffer = [];
        await execute(query);
      }
    }
    if (failed && !interactive) break;
    prompt(buffer.length > 0);
  }
  rl.close();
  // A last statement without ";" at the end of a script still runs.
  if (!failed && buffer.join('').trim().length > 0) await execute(buffer.join('\n'));
  if (failed && !interactive) process.exitCode = 1;
}

export function register(program: Command) {
  withCommon(program.command('sql'))
    .description('run read-only queries against the warehouse (through the running service when there is one); with no query, a console')
    .argument('[query]', 'SQL, e.g. "SELECT type, sum(quantity) FROM events GROUP BY type"; without it, statements are read from the terminal (a console) or from stdin')
    .addOption(new Option('--format <format>', 'output format').choices(Object.keys(SQL_FORMATS)).default('table'))
    .option('--interactive', 'the console even when stdin is not a terminal: carry on after an error (default: only on a terminal)')
    .option('--token <token>', TOKEN_OPTION_HELP)
    .action(async (query: string | undefined, flags: SqlFlags) => {
      const runner = await openRunner(flags);
      try {
        if (query !== undefined) {
          process.stdout.write(await runner.run(query, flags.format));
          return;
        }
        const terminal = process.stdin.isTTY === true;
        await console_(runner, flags.format, terminal || flags.interactive === true, terminal);
      } finally {
        await runner.close();
      }
    });
}
