import type { Command } from 'commander';
import type { EventLog, OffsetResetTarget } from '../../event-log/event-log.ts';
import { ContinuityError } from '../../errors/registry.ts';
import { deadLetterLoaderDefaults } from '../../processors/dead-letter-loader/index.ts';
import { offsetAtTimestamp, parseFromPosition } from '../../processors/replay/index.ts';
import { runningService } from '../../service/data-dir.ts';
import { openPipeline, type Pipeline } from '../../service/pipeline.ts';
import { configFrom, withCommon, type CommonFlags } from '../common.ts';
import { TOKEN_OPTION_HELP } from '../service-auth.ts';
import { serviceClient } from './operations-client.ts';

const n = (v: number) => v.toLocaleString('en-US');

type LogName = 'events' | 'dead-letters';

interface OffsetsFlags extends CommonFlags {
  group?: string;
  log?: LogName;
  json?: boolean;
  token?: string;
}

interface GroupReport {
  group: string;
  log: LogName;
  topic: string;
  partitions: PartitionOffsets[];
}

interface ResetFlags extends OffsetsFlags {
  to: string;
  timestamp?: string;
  partition?: string;
  offset?: string;
  dryRun?: boolean;
  yes?: boolean;
}

export interface PartitionOffsets {
  partition: number;
  logStart: number;
  end: number;
  committed: number;
  lag: number;
  metadata: string | null;
}

/** Which log a group consumes: the dead-letter loader's groups read the dead-letter log. */
function logFor(pipeline: Pipeline, group: string, explicit?: LogName): { log: EventLog; name: LogName } {
  const name: LogName = explicit ?? (group === deadLetterLoaderDefaults.groupId || group.endsWith('-dead_letters') ? 'dead-letters' : 'events');
  if (name !== 'events' && name !== 'dead-letters') throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `--log: expected events or dead-letters, got ${JSON.stringify(name)}`);
  return { log: name === 'events' ? pipeline.log : pipeline.deadLetters, name };
}

export async function groupOffsets(log: EventLog, group: string): Promise<PartitionOffsets[]> {
  const [starts, ends, committed] = await Promise.all([log.startOffsets(), log.endOffsets(), log.committedOffsets(group)]);
  return ends.map((end, partition) => {
    const c = committed.find((x) => x.partition === partition);
    const at = c?.offset ?? 0;
    return { partition, logStart: starts[partition], end, committed: at, lag: Math.max(0, end - at), metadata: c?.metadata ?? null };
  });
}

function table(rows: PartitionOffsets[], target?: Map<number, number>): string {
  const head = `  partition  log start        end  committed        lag${target ? '  →  new offset  effect' : ''}`;
  const lines = rows.map((r) => {
    let line = `  ${String(r.partition).padStart(9)}  ${n(r.logStart).padStart(9)}  ${n(r.end).padStart(9)}  ${n(r.committed).padStart(9)}  ${n(r.lag).padStart(9)}`;
    const to = target?.get(r.partition);
    if (target) line += to === undefined ? '          (unchanged)' : `  →  ${n(to).padStart(10)}  ${effect(r.committed, to)}`;
    return line;
  });
  const total = rows.reduce((s, r) => s + r.lag, 0);
  const foot = [`  lag in total: ${n(total)}`];
  if (target) foot.push(`  lag in total at the new offsets: ${n(rows.reduce((s, r) => s + Math.max(0, r.end - (target.get(r.partition) ?? r.committed)), 0))}`);
  return [head, ...lines, ...foot].join('\n');
}

function effect(from: number, to: number): string {
  if (to === from) return 'none';
  return to < from ? `re-reads ${n(from - to)} (dropped as duplicates where already loaded)` : `SKIPS ${n(to - from)} never loaded`;
}

/** The reset target from `--to` and its companions; `--to` also takes a time or `<partition>:<offset>` directly. */
export function resetTarget(flags: Pick<ResetFlags, 'to' | 'timestamp' | 'partition' | 'offset'>): OffsetResetTarget {
  const to = flags.to;
  if (to === 'earliest' || to === 'latest') return { to };
  if (to === 'timestamp') {
    if (!flags.timestamp) throw new ContinuityError('CONT_ERR_CONFIG_INVALID', '--to timestamp needs --timestamp <ISO time>, e.g. --timestamp 2020-01-24T00:00:00+08:00');
    const at = parseFromPosition(flags.timestamp);
    if (at.kind !== 'timestamp') throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `--timestamp: ${JSON.stringify(flags.timestamp)} is not an ISO time with an offset or a date`);
    return { to: 'timestamp', timestamp: at.timestamp };
  }
  if (to === 'offset') {
    const partition = Number(flags.partition);
    const offset = Number(flags.offset);
    if (flags.partition === undefined || flags.offset === undefined || !Number.isInteger(partition) || !Number.isInteger(offset) || partition < 0 || offset < 0) {
      throw new ContinuityError('CONT_ERR_CONFIG_INVALID', '--to offset needs --partition <n> and --offset <n>');
    }
    return { to: 'offset', partition, offset };
  }
  const position = parseFromPosition(to);
  if (position.kind === 'timestamp') return { to: 'timestamp', timestamp: position.timestamp };
  if (position.kind === 'offset') return { to: 'offset', partition: position.partition, offset: position.offset };
  throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `--to: expected earliest, latest, timestamp, offset, an ISO time or <partition>:<offset>, got ${JSON.stringify(to)}`);
}

/** Where a reset would put each partition, computed without moving anything. */
async function targetOffsets(log: EventLog, rows: PartitionOffsets[], target: OffsetResetTarget): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const r of rows) {
    if (target.to === 'earliest') out.set(r.partition, r.logStart);
    else if (target.to === 'latest') out.set(r.partition, r.end);
    else if (target.to === 'timestamp') out.set(r.partition, await offsetAtTimestamp(log, r.partition, target.timestamp, r.logStart, r.end));
    else if (r.partition === target.partition) {
      if (target.offset < r.logStart || target.offset > r.end) {
        throw new ContinuityError('CONT_ERR_LOG_OFFSET_OUT_OF_RANGE', `offset ${target.offset} of partition ${target.partition} is outside the stored range ${r.logStart}..${r.end}`);
      }
      out.set(r.partition, target.offset);
    }
  }
  if (target.to === 'offset' && !out.has(target.partition)) {
    throw new ContinuityError('CONT_ERR_OPERATION_INVALID', `partition ${target.partition} does not exist (partitions 0 to ${rows.length - 1})`);
  }
  return out;
}

/** Moving offsets needs the data directory: a running service's processors are members of the groups. */
async function openForReset(flags: OffsetsFlags): Promise<Pipeline> {
  const config = configFrom(flags);
  const service = config.log.kind === 'embedded' ? runningService(config.dataDir) : null;
  if (service) {
    throw new ContinuityError(
      'CONT_ERR_DATA_DIR_BUSY',
      `the service (process ${service.pid}) runs the processors of ${config.dataDir}: a group's offsets move only while none of its members runs; stop the service, reset, start it again`,
    );
  }
  return openPipeline(config, { purpose: 'continuity offsets reset', warehouse: false });
}

export function register(program: Command) {
  const offsets = program.command('offsets').description("show or move a consumer group's committed offsets, per partition (both log adapters)");

  withCommon(offsets.command('show'))
    .description('committed offset, end and lag of a group per partition (default: the processors\' groups)')
    .option('--group <id>', 'consumer group (default: the events and dead-letter processors\' groups)')
    .option('--log <log>', 'events or dead-letters (default: dead-letters for the dead-letter groups, else events)')
    .option('--json', 'print JSON')
    .option('--token <token>', TOKEN_OPTION_HELP)
    .action(async (flags: OffsetsFlags) => {
      const config = configFrom(flags);
      const service = config.log.kind === 'embedded' ? runningService(config.dataDir) : null;
      let result: GroupReport[];
      let via = '';
      if (service) {
        const query = new URLSearchParams({ ...(flags.group ? { group: flags.group } : {}), ...(flags.log ? { log: flags.log } : {}) });
        result = await serviceClient(service, flags).call<GroupReport[]>('GET', `/v1/offsets?${query}`);
        via = ' [via the running service]';
      } else {
        const pipeline = await openPipeline(config, { purpose: 'continuity offsets show', warehouse: false });
        try {
          const groups = flags.group ? [flags.group] : [pipeline.config.processor.groupId, deadLetterLoaderDefaults.groupId];
          result = [];
          for (const group of groups) {
            const { log, name } = logFor(pipeline, group, flags.log);
            result.push({ group, log: name, topic: log.topic, partitions: await groupOffsets(log, group) });
          }
        } finally {
          await pipeline.close();
        }
      }
      if (flags.json) console.log(JSON.stringify(result, null, 2));
      else console.log(result.map((g) => `group ${g.group} on ${g.topic} (${g.log} log, ${config.log.kind})${via}\n${table(g.partitions)}`).join('\n\n'));
    });

  withCommon(offsets.command('reset'))
    .description("move a group's committed offsets; refused while a member of the group runs")
    .requiredOption('--group <id>', 'consumer group, e.g. continuity-warehouse')
    .requiredOption('--to <target>', 'earliest | latest | timestamp (with --timestamp) | offset (with --partition and --offset); also an ISO time or <partition>:<offset> directly')
    .option('--timestamp <time>', 'with --to timestamp: ISO-8601 time with an offset, or a date (00:00 CST); log time, when the log accepted the record')
    .option('--partition <n>', 'with --to offset: the partition')
    .option('--offset <n>', 'with --to offset: the next offset to process')
    .option('--log <log>', 'events or dead-letters (default: dead-letters for the dead-letter groups, else events)')
    .option('--dry-run', 'show where each partition would move; move nothing')
    .option('--yes', 'confirm a reset that skips records the group has not processed (they are then never loaded)')
    .option('--json', 'print JSON')
    .action(async (flags: ResetFlags) => {
      const target = resetTarget(flags);
      const pipeline = await openForReset(flags);
      try {
        const { log, name } = logFor(pipeline, flags.group!, flags.log);
        const before = await groupOffsets(log, flags.group!);
        const planned = await targetOffsets(log, before, target);
        const skipped = before.reduce((s, r) => s + Math.max(0, (planned.get(r.partition) ?? r.committed) - r.committed), 0);
        const heading = `group ${flags.group} on ${log.topic} (${name} log, ${log.kind}): reset to ${flags.to}${flags.dryRun ? ' (dry run: nothing moved)' : ''}`;
        if (flags.dryRun) {
          if (flags.json) console.log(JSON.stringify({ group: flags.group, log: name, dryRun: true, partitions: before.map((r) => ({ ...r, target: planned.get(r.partition) ?? r.committed })) }, null, 2));
          else console.log(`${heading}\n${table(before, planned)}`);
          return;
        }
        if (skipped > 0 && !flags.yes) {
          throw new ContinuityError(
            'CONT_ERR_OPERATION_INVALID',
            `this reset skips ${n(skipped)} records group ${flags.group} has not processed; they would never be loaded. Add --yes to do it anyway (see --dry-run for each partition)`,
          );
        }
        await log.resetOffsets(flags.group!, target);
        const after = await groupOffsets(log, flags.group!);
        if (flags.json) console.log(JSON.stringify({ group: flags.group, log: name, before, after }, null, 2));
        else console.log(`${heading}\n${table(before, new Map(after.filter((a) => planned.has(a.partition)).map((a) => [a.partition, a.committed])))}`);
      } finally {
        await pipeline.close();
      }
    });
}
