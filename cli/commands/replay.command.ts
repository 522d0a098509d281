import type { Command } from 'commander';
import {
  abandonReplay,
  cleanupReplays,
  listReplays,
  parseFromPosition,
  parseReplayTables,
  formatFromPosition,
  planReplay,
  type ReplayContext,
  type ReplayPlan,
  type ReplayProgress,
  type ReplayState,
  resumeReplay,
  type RunOptions,
  startReplay,
} from '../../processors/replay/index.ts';
import { runningService, type ServiceInfo } from '../../service/data-dir.ts';
import { openPipeline, type Pipeline } from '../../service/pipeline.ts';
import { configFrom, withCommon, type CommonFlags } from '../common.ts';
import { progressReporter } from '../progress.ts';
import { TOKEN_OPTION_HELP } from '../service-auth.ts';
import { serviceClient } from './operations-client.ts';

interface ReplayFlags extends CommonFlags {
  from: string;
  tables: string;
  dryRun?: boolean;
  swap: boolean;
  dropOld?: boolean;
  allowFewerRows?: boolean;
  resume?: string | true;
  abandon?: string | true;
  cleanup?: string | true;
  status?: boolean;
  json?: boolean;
  token?: string;
}

type ServiceReplay = ReplayState & { running: boolean; progress: ReplayProgress | null; error: string | null };

const n = (v: number) => v.toLocaleString('en-US');

export function replayContext(pipeline: Pipeline): ReplayContext {
  return {
    log: pipeline.log,
    deadLetters: pipeline.deadLetters,
    warehouse: pipeline.warehouse,
    catalog: pipeline.catalog,
    liveGroups: { events: pipeline.config.processor.groupId },
  };
}

export function formatProgress(p: ReplayProgress): string {
  const eta = p.etaSeconds === null ? '–' : p.etaSeconds < 1 ? '<1s' : `${Math.ceil(p.etaSeconds)}s`;
  const tables = p.tables.map((t) => `${t.table} ${n(t.written)} written, ${n(t.lag)} behind`).join(' · ');
  return `${p.phase}: ${tables} · ${n(Math.round(p.rate))} records/s · ETA ${eta}`;
}

export function formatPlan(plan: ReplayPlan): string {
  const out = [`replay from ${plan.from} on the ${plan.logKind} log (dry run: nothing is created or moved)`];
  for (const t of plan.tables) {
    out.push(
      '',
      `${t.table} ← ${t.topic}`,
      `  ${n(t.replayRecords)} records to replay into ${t.table}_replay_<id> under group ${t.group.replace(plan.id, '<id>')}`,
      `  ${n(t.copyRows)} rows copied as they are from ${t.live} (below the start offsets); ${t.live} has ${n(t.liveRows)} rows now`,
      `  partition  log start        end  live committed  replay from`,
      ...t.partitions.map(
        (p) => `  ${String(p.partition).padStart(9)}  ${n(p.logStart).padStart(9)}  ${n(p.end).padStart(9)}  ${n(p.liveCommitted).padStart(14)}  ${n(p.start).padStart(11)}`,
      ),
    );
  }
  out.push('', 'then, once caught up: EXCHANGE TABLES with the live tables, which are only read until then');
  return out.join('\n');
}

function formatState(s: ReplayState): string {
  const tables = s.targets.map((t) => t.table).join(', ');
  return `${s.id}  ${s.status.padEnd(9)}  from ${s.from.padEnd(24)}  ${tables}  started ${s.startedAt}${s.message ? `\n    ${s.message}` : ''}`;
}

async function report(pipeline: Pipeline, state: ReplayState): Promise<string> {
  const lines = [`replay ${state.id}: ${state.status}${state.message ? ` (${state.message})` : ''}`];
  if (state.status === 'swapped' || state.status === 'cleaned') {
    for (const t of state.targets) {
      const [now] = await pipeline.warehouse.rows<{ n: string }>(`SELECT toString(count()) AS n FROM ${t.live}`);
      let before = '';
      if (state.status === 'swapped') {
        const [old] = await pipeline.warehouse.rows<{ n: string }>(`SELECT toString(count()) AS n FROM ${t.before}`);
        before = ` (the previous table, now ${t.before}, has ${n(Number(old.n))})`;
      }
      lines.push(`  ${t.live}: ${n(Number(now.n))} rows${before}`);
    }
    if (state.status === 'swapped') lines.push(`  drop the previous tables once satisfied: continuity replay --cleanup ${state.id}`);
  }
  return lines.join('\n');
}

/**
 * With a service holding the data directory, the replay runs in the service
 * (which pauses its own processors for the swap); this command starts it and
 * follows its progress.
 */
async function viaService(service: ServiceInfo, flags: ReplayFlags, from: ReturnType<typeof parseFromPosition>, tables: string[]): Promise<void> {
  const client = serviceClient(service, flags);
  const print = (text: string, value: unknown) => console.log(flags.json ? JSON.stringify(value, null, 2) : `${text} [via the running service]`);
  const pick = (v: string | true) => (v === true ? 'latest' : encodeURIComponent(v));
  if (flags.status) {
    const all = await client.call<ServiceReplay[]>('GET', '/v1/replays');
    print(all.length === 0 ? 'no replays' : all.map((s) => formatState(s) + (s.running && s.progress ? `\n    running: ${formatProgress(s.progress)}` : '')).join('\n'), all);
    return;
  }
  if (flags.abandon) {
    const state = await client.call<ReplayState>('POST', `/v1/replays/${pick(flags.abandon)}/abandon`);
    print(`replay ${state.id} abandoned: ${state.message}; the live tables were not touched`, state);
    return;
  }
  if (flags.cleanup) {
    const done = await client.call<ReplayState[]>('POST', '/v1/replays/cleanup', flags.cleanup === true ? {} : { id: flags.cleanup });
    print(done.length === 0 ? 'no swapped replay keeps previous tables' : done.map((s) => `replay ${s.id}: ${s.message}`).join('\n'), done);
    return;
  }
  const body = {
    from: formatFromPosition(from),
    tables,
    swap: flags.swap,
    dropOld: flags.dropOld === true,
    allowFewerRows: flags.allowFewerRows === true,
    batchRecords: flags.batchRecords ? Number(flags.batchRecords) : undefined,
  };
  if (flags.dryRun) {
    const plan = await client.call<ReplayPlan>('POST', '/v1/replays', { ...body, dryRun: true });
    print(formatPlan(plan), plan);
    return;
  }
  const { id } = flags.resume
    ? await client.call<{ id: string }>('POST', `/v1/replays/${pick(flags.resume)}/resume`, { swap: flags.swap, dropOld: body.dropOld, allowFewerRows: body.allowFewerRows })
    : await client.call<{ id: string }>('POST', '/v1/replays', body);
  const progress = progressReporter('replay');
  let detached = false;
  const detach = () => (detached = true);
  process.once('SIGINT', detach);
  let state: ServiceReplay;
  let lastPhase = '';
  try {
    for (;;) {
      state = await client.call<ServiceReplay>('GET', `/v1/replays/${encodeURIComponent(id)}`);
      if (state.progress) {
        progress.update(formatProgress(state.progress), state.progress.phase !== lastPhase);
        lastPhase = state.progress.phase;
      }
      if (!state.running || detached) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    progress.done();
    process.off('SIGINT', detach);
  }
  if (detached) {
    console.log(`replay ${id} goes on in the service; follow it with continuity replay --status, stop it with continuity replay --abandon ${id}`);
    return;
  }
  if (state.error) throw Object.assign(new Error(`replay ${id} stopped: ${state.error}`), { code: 'CONT_ERR_REPLAY_STATE' });
  print(`replay ${state.id}: ${state.status}${state.message ? ` (${state.message})` : ''}`, state);
  if (flags.swap && state.status === 'building') process.exitCode = 3;
}

export function register(program: Command) {
  withCommon(program.command('replay'))
    .description('rebuild the warehouse projections from the log into shadow tables, then swap them in atomically')
    .option('--from <position>', 'earliest, an ISO time with offset (log time: when the log accepted the record), a date (00:00 CST), or <partition>:<offset>', 'earliest')
    .option('--tables <list>', 'projections to rebuild: events, dead_letters', 'events,dead_letters')
    .option('--dry-run', 'report what would be replayed; create and move nothing')
    .option('--no-swap', 'stop once caught up without swapping (--resume swaps later)')
    .option('--drop-old', 'drop the previous tables right after the swap instead of keeping them as <table>_before_<id>')
    .option('--allow-fewer-rows', 'swap even when a rebuilt table has fewer rows than the live one (by default the replay stops before the swap)')
    .option('--resume [id]', 'continue an interrupted (or --no-swap) replay: the given one, or the latest unfinished')
    .option('--abandon [id]', 'drop an unfinished replay\'s shadow tables; the live tables are not touched')
    .option('--cleanup [id]', 'drop the previous tables kept by a swapped replay (all swapped replays without an id)')
    .option('--status', 'list replays and their state')
    .option('--batch-records <n>', 'records per insert into the shadow tables (default 150000)')
    .option('--json', 'print the result as JSON')
    .option('--token <token>', TOKEN_OPTION_HELP)
    .action(async (flags: ReplayFlags) => {
      const config = configFrom(flags);
      const from = parseFromPosition(flags.from);
      const tables = parseReplayTables(flags.tables);
      const service = config.log.kind === 'embedded' ? runningService(config.dataDir) : null;
      if (service) return viaService(service, flags, from, tables);
      const pipeline = await openPipeline(config, { purpose: 'continuity replay' });
      const ctx = replayContext(pipeline);
      const print = (text: string, value: unknown) => console.log(flags.json ? JSON.stringify(value, null, 2) : text);
      try {
        if (flags.status) {
          const all = await listReplays(ctx);
          print(all.length === 0 ? 'no replays' : all.map(formatState).join('\n'), all);
          return;
        }
        if (flags.abandon) {
          const state = await abandonReplay(ctx, flags.abandon === true ? undefined : flags.abandon);
          print(`replay ${state.id} abandoned: ${state.message}; the live tables were not touched`, state);
          return;
        }
        if (flags.cleanup) {
          const done = await cleanupReplays(ctx, flags.cleanup === true ? undefined : flags.cleanup);
          print(done.length === 0 ? 'no swapped replay keeps previous tables' : done.map((s) => `replay ${s.id}: ${s.message}`).join('\n'), done);
          return;
        }
        if (flags.dryRun) {
          const plan = await planReplay(ctx, { from, tables });
          print(formatPlan(plan), plan);
          return;
        }
        const progress = progressReporter('replay');
        let lastPhase = '';
        const abort = new AbortController();
        const onSignal = () => abort.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const runOptions: RunOptions = {
          swap: flags.swap,
          dropOld: flags.dropOld,
          allowFewerRows: flags.allowFewerRows,
          signal: abort.signal,
          onProgress: (p) => {
            // A new phase is shown at once, the rest at the reporter's pace.
            progress.update(formatProgress(p), p.phase !== lastPhase);
            lastPhase = p.phase;
          },
        };
        const options = { from, tables, batchRecords: flags.batchRecords ? Number(flags.batchRecords) : undefined };
        let state: ReplayState;
        try {
          state = flags.resume ? await resumeReplay(ctx, flags.resume === true ? undefined : flags.resume, options, runOptions) : await startReplay(ctx, options, runOptions);
        } finally {
          progress.done();
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        print(await report(pipeline, state), state);
        if (abort.signal.aborted) process.exitCode = 130;
        else if (flags.swap && state.status === 'building') process.exitCode = 3;
      } finally {
        await pipeline.close();
      }
    });
}
