/**
 * `continuity <command>`: every command lives in `commands/<name>.command.ts`
 * and registers itself; each parses configuration once (flags over environment
 * over defaults) and fails fast with a clear message.
 */
import { readdirSync } from 'node:fs';
import { Command } from 'commander';
import { isContinuityError } from '../errors/registry.ts';

const program = new Command('continuity')
  .description('Event-sourced analytics of service-continuity commitments: ingest → log → processors → ClickHouse → dashboards')
  .showHelpAfterError();

const commandsDir = new URL('./commands/', import.meta.url);
for (const file of readdirSync(commandsDir).filter((f) => f.endsWith('.command.ts')).sort()) {
  const module = (await import(new URL(file, commandsDir).href)) as { register(program: Command): void };
  module.register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const code = isContinuityError(error) ? error.code : ((error as { code?: string }).code ?? 'error');
  console.error(`continuity: ${code}: ${(error as Error).message}`);
  process.exitCode = 1;
}
