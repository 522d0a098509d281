import type { Command } from 'commander';
import { runningService } from '../../service/data-dir.ts';
import { openPipeline } from '../../service/pipeline.ts';
import { progressReporter, rate } from '../progress.ts';
import { withCommon, configFrom, waitForSignal, type CommonFlags } from '../common.ts';

export function register(program: Command) {
  withCommon(program.command('process'))
    .description('run the processors: log → ClickHouse (events, rollups, dead letters)')
    .option('--until-idle', 'drain the log and exit')
    .option('--batch-records <n>', 'events per warehouse insert (default 50000)')
    .action(async (flags: CommonFlags & { untilIdle?: boolean }) => {
      const config = configFrom(flags);
      if (config.log.kind === 'embedded' && runningService(config.dataDir)) {
        console.log('the running service is already processing this data directory; nothing to do');
        return;
      }
      const pipeline = await openPipeline(config, { purpose: 'continuity process' });
      try {
        const processors = await pipeline.startProcessors();
        const progress = progressReporter('process');
        if (flags.untilIdle) {
          await processors.untilIdle((lag) => progress.update(`${processors.events.stats.written.toLocaleString('en-US')} written, ${lag.toLocaleString('en-US')} behind, ${rate(processors.events.stats.written, progress.elapsedMs())} events/s`));
          progress.done();
        } else {
          console.log('processing; Ctrl-C to stop');
          await Promise.race([waitForSignal(), processors.events.subscription.done, processors.deadLetters.subscription.done]);
        }
        const s = processors.events.stats;
        const d = processors.deadLetters.stats;
        console.log(`processed: ${s.written.toLocaleString('en-US')} events written, ${s.duplicates.toLocaleString('en-US')} duplicates dropped, ${s.deadLettered} dead-lettered, ${d.written} dead letters recorded`);
      } finally {
        await pipeline.close();
      }
    });
}
