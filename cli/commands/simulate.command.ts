import type { Command } from 'commander';
import { Option } from 'commander';
import { realisticEvents, seedScenario } from '../../ingest/simulator/index.ts';
import { serializeEvent, type ContinuityEvent } from '../../schemas/index.ts';
import { runningService } from '../../service/data-dir.ts';
import { openPipeline } from '../../service/pipeline.ts';
import { progressReporter } from '../progress.ts';
import { withCommon, configFrom, type CommonFlags } from '../common.ts';
import { authHeaders, TOKEN_OPTION_HELP, tokenFor } from '../service-auth.ts';

function* scenarioEvents(scenario: string, count: number, seed: number): Iterable<ContinuityEvent> {
  if (scenario === 'seed') yield* seedScenario();
  else if (scenario === 'realistic') yield* realisticEvents(count, seed);
  else throw new Error(`unknown scenario "${scenario}" (known: seed, realistic)`);
}

export function register(program: Command) {
  withCommon(program.command('simulate'))
    .description('emit a scenario as NDJSON on stdout, or straight into the pipeline with --ingest')
    .addOption(new Option('--scenario <name>', 'seed: the figures of the source articles; realistic: N mixed events').choices(['seed', 'realistic']).default('seed'))
    .option('--events <n>', 'events of the realistic scenario', '100000')
    .option('--seed <n>', 'random seed of the realistic scenario', '1')
    .option('--ingest', 'append to the event log (through the running service when there is one) instead of printing')
    .option('--token <token>', TOKEN_OPTION_HELP)
    .action(async (flags: CommonFlags & { scenario: string; events: string; seed: string; ingest?: boolean; token?: string }) => {
      const events = scenarioEvents(flags.scenario, Number(flags.events), Number(flags.seed));
      if (!flags.ingest) {
        let buffer = '';
        for (const e of events) {
          buffer += serializeEvent(e) + '\n';
          if (buffer.length > 1 << 20) {
            if (!process.stdout.write(buffer)) await new Promise((r) => process.stdout.once('drain', r));
            buffer = '';
          }
        }
        process.stdout.write(buffer);
        return;
      }
      const config = configFrom(flags);
      const service = runningService(config.dataDir);
      const pipeline = service ? null : await openPipeline(config, { purpose: 'continuity simulate', warehouse: false });
      const progress = progressReporter('simulate');
      let batch: ContinuityEvent[] = [];
      let total = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        if (service) {
          const body = batch.map(serializeEvent).join('\n');
          for (let attempt = 1; ; attempt++) {
            const response = await fetch(`${service.url}/v1/events`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-ndjson', 'x-continuity-origin': `simulate:${flags.scenario}`, ...authHeaders(tokenFor(service, flags)) },
              body,
            });
            if (response.ok) break;
            // Rate-limited: the same batch is safe to send again (ids dedupe).
            if (response.status === 429 && attempt < 30) {
              await new Promise((r) => setTimeout(r, Number(response.headers.get('retry-after') ?? 1) * 1000));
              continue;
            }
            throw new Error(`service answered ${response.status}: ${await response.text()}`);
          }
        } else await pipeline!.ingestor.ingestEvents(batch);
        total += batch.length;
        batch = [];
        progress.update(`${total.toLocaleString('en-US')} events appended`);
      };
      try {
        for (const e of events) {
          batch.push(e);
          if (batch.length >= 10_000) await flush();
        }
        await flush();
        progress.done();
        console.log(`appended ${total.toLocaleString('en-US')} events of scenario ${flags.scenario}`);
      } finally {
        await pipeline?.close();
      }
    });
}
