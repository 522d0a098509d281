import type { Command } from 'commander';
import { runningService } from '../../service/data-dir.ts';
import { openPipeline } from '../../service/pipeline.ts';
import { progressReporter, rate } from '../progress.ts';
import { withCommon, configFrom, waitForSignal, type CommonFlags } from '../common.ts';

export function register(program: Command) {
  withCommon(program.command('process'))
    .description('run the processors: log → ClickHouse (events, rollups, dead letters)')
    .option('--until-idle', 'drain the log and exit')
    .option('--batch-records <n>', 'events per warehouse insert (default 150000)')
    .action(async (flags: CommonFlags & { untilIdle?: boolean }) => {
      let config = configFrom(flags);
      const service = runningService(config.dataDir);
      if (config.log.kind === 'embedded' && service) {
        console.log('the running service is already processing this data directory; nothing to do');
        return;
      }
      if (config.log.kind === 'kafka' && !config.clickhouse.url && service) {
        // The service holds the embedded warehouse: load it through its gateway, as a processor elsewhere would.
        config = configFrom(flags, { clickhouse: { url: `${service.url}/clickhouse`, accessToken: service.token } });
        console.log(`loading the embedded warehouse of the service at ${service.url} through ${service.url}/clickhouse`);
      }
      const pipeline = await openPipeline(config, { purpose: 'continuity process' });
      try {
        if (config.log.kind === 'kafka') console.log(`joining consumer group ${config.processor.groupId} on ${config.log.topic}`);
        const processors = await pipeline.startProcessors();
        const progress = progressReporter('process');
        if (flags.untilIdle) {
          await processors.untilIdle((lag) => progress.update(`${processors.events.stats.written.toLocaleString('en-US')} written, ${lag.toLocaleString('en-US')} behind, ${rate(processors.events.stats.written, progress.elapsedMs())} events/s`));
          progress.done();
        } else {
          console.log('processing; Ctrl-C to stop');
          // Which partitions of the events log this process holds: what moves when instances join or leave.
          let shown = '';
          const showAssignment = () => {
            const now = processors.events.subscription.assignment().join(',');
            if (now !== shown) console.log(`events partitions: ${(shown = now) || 'none'}`);
          };
          showAssignment();
          const watch = setInterval(showAssignment, 500);
          try {
            await Promise.race([waitForSignal(), processors.events.subscription.done, processors.deadLetters.subscription.done]);
          } finally {
            clearInterval(watch);
          }
        }
        const s = processors.events.stats;
        const d = processors.deadLetters.stats;
        console.log(`processed: ${s.written.toLocaleString('en-US')} events written, ${s.duplicates.toLocaleString('en-US')} duplicates dropped, ${s.deadLettered} dead-lettered, ${d.written} dead letters recorded`);
      } finally {
        await pipeline.close();
      }
    });
}
