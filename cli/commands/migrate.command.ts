import type { Command } from 'commander';
import { openPipeline } from '../../service/pipeline.ts';
import { withCommon, configFrom, type CommonFlags } from '../common.ts';

export function register(program: Command) {
  withCommon(program.command('migrate'))
    .description('apply pending warehouse migrations (every command that opens the warehouse does this too)')
    .action(async (flags: CommonFlags) => {
      const config = configFrom(flags);
      const pipeline = await openPipeline(config, { purpose: 'continuity migrate', logs: false });
      await pipeline.close();
      console.log('warehouse migrations are up to date');
    });
}
