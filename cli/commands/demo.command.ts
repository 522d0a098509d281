import type { Command } from 'commander';
import { seedScenario } from '../../ingest/simulator/index.ts';
import { computeSeedFigures, renderSeedSummary } from '../../service/seed-summary.ts';
import { startService } from '../../service/server.ts';
import { progressReporter } from '../progress.ts';
import { withCommon, configFrom, waitForSignal, type CommonFlags } from '../common.ts';

export function register(program: Command) {
  withCommon(program.command('demo'))
    .description('serve with the seed scenario loaded and print the seed figures as ClickHouse computes them (npm run demo)')
    .option('--port <port>', 'HTTP port (default 8080)')
    .option('--host <host>', 'HTTP interface (default 127.0.0.1)')
    .option('--exit', 'stop after the figures are printed instead of serving')
    .action(async (flags: CommonFlags & { exit?: boolean }) => {
      const config = configFrom(flags);
      // Out of the box: with no tokens configured, the demo runs on a token it makes and prints.
      const service = await startService(config, { purpose: 'continuity demo', localTokenOnly: true });
      try {
        const events = [...seedScenario()];
        const progress = progressReporter('demo');
        let done = 0;
        for (let i = 0; i < events.length; i += 5000) {
          const result = await service.pipeline.ingestor.ingestEvents(events.slice(i, i + 5000));
          done += result.accepted;
          progress.update(`ingested ${done.toLocaleString('en-US')} of ${events.length.toLocaleString('en-US')} seed events`);
        }
        await service.processors.untilIdle((lag) => progress.update(`processing, ${lag.toLocaleString('en-US')} events behind`));
        progress.done();
        console.log(`Loaded the seed scenario: ${events.length.toLocaleString('en-US')} events (re-running adds nothing: ids are stable, duplicates are dropped).`);
        console.log(renderSeedSummary(await computeSeedFigures(service.pipeline.warehouse)));
        const viewer = service.auth.localToken ? `${service.url}/#token=${service.auth.localToken}` : `${service.url}/`;
        console.log(`\nDashboards: ${viewer}`);
        console.log(`Service: ${service.url}   (SQL: continuity sql "SELECT …")`);
        if (service.auth.localToken) {
          console.log(`Token of this run (every org; ingest and sql): ${service.auth.localToken}`);
          console.log(`  curl -H 'Authorization: Bearer ${service.auth.localToken}' -H 'content-type: application/json' ${service.url}/v1/sql -d '{"query":"SELECT count() FROM events"}'`);
          console.log(`  Commands on this machine find it in ${config.dataDir}/service.json; it stops working when the demo stops.`);
        }
        if (flags.exit) return;
        console.log('Serving; Ctrl-C to stop.');
        await waitForSignal();
      } finally {
        await service.close();
      }
    });
}
