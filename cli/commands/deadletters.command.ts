import type { Command } from 'commander';
import { Option } from 'commander';
import { ContinuityError } from '../../errors/registry.ts';
import {
  countDeadLetters,
  LETTER_STATUSES,
  type LetterDetails,
  type LetterStatus,
  type LetterSummary,
  listDeadLetters,
  redriveDeadLetters,
  type RedriveReport,
  showDeadLetter,
} from '../../ingest/dead-letters/index.ts';
import { deadLetterLoaderDefaults, startDeadLetterLoader } from '../../processors/dead-letter-loader/index.ts';
import { waitUntilIdle } from '../../processors/loader.ts';
import { runningService } from '../../service/data-dir.ts';
import { openPipeline, type Pipeline } from '../../service/pipeline.ts';
import { configFrom, withCommon, type CommonFlags } from '../common.ts';
import { TOKEN_OPTION_HELP } from '../service-auth.ts';
import { serviceClient, type ServiceClient } from './operations-client.ts';

interface Flags extends CommonFlags {
  json?: boolean;
  token?: string;
}

const n = (v: number) => v.toLocaleString('en-US');

function parseStatuses(text: string): LetterStatus[] {
  const wanted = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (wanted.includes('all')) return [...LETTER_STATUSES];
  const unknown = wanted.filter((s) => !(LETTER_STATUSES as readonly string[]).includes(s));
  if (wanted.length === 0 || unknown.length > 0) throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `--status: expected all or a list of ${LETTER_STATUSES.join(', ')}, got ${JSON.stringify(text)}`);
  return wanted as LetterStatus[];
}

/** The running service holding the data directory, if there is one: the commands then go through it. */
function viaService(flags: Flags): ServiceClient | null {
  const config = configFrom(flags);
  const service = config.log.kind === 'embedded' ? runningService(config.dataDir) : null;
  return service ? serviceClient(service, flags) : null;
}

/**
 * Opens the data directory and, on the embedded log (where this process is
 * then the only one), brings `dead_letters` up to date with the dead-letter
 * log first, so what is listed or re-driven is everything rejected so far.
 */
async function open(flags: Flags, purpose: string): Promise<Pipeline> {
  const config = configFrom(flags);
  const pipeline = await openPipeline(config, { purpose });
  if (config.log.kind === 'embedded') {
    try {
      const loader = await startDeadLetterLoader({ deadLetters: pipeline.deadLetters, warehouse: pipeline.warehouse });
      try {
        await waitUntilIdle(pipeline.deadLetters, deadLetterLoaderDefaults.groupId, { failed: () => null });
      } finally {
        await loader.stop();
      }
    } catch (error) {
      await pipeline.close();
      throw error;
    }
  }
  return pipeline;
}

function clip(text: string, width: number) {
  const one = text.replace(/\s+/g, ' ');
  return one.length > width ? `${one.slice(0, width - 1)}…` : one;
}

function listTable(letters: LetterSummary[]): string {
  if (letters.length === 0) return 'no dead letters';
  const rows = letters.map((l) => `${l.id}  ${l.received_at}  ${l.status.padEnd(8)}  ${clip(l.origin, 24).padEnd(24)}  ${String(l.line ?? '').padStart(6)}  ${clip(l.reason, 100)}`);
  return [`${'id'.padEnd(36)}  ${'received_at (UTC)'.padEnd(23)}  ${'status'.padEnd(8)}  ${'origin'.padEnd(24)}  ${'line'.padStart(6)}  reason`, ...rows].join('\n');
}

function details(d: LetterDetails): string {
  const out = [
    `dead letter ${d.id}`,
    `  status      ${d.status}${d.event_id ? ` (event ${d.event_id})` : ''}`,
    `  received_at ${d.received_at} UTC`,
    `  origin      ${d.origin}${d.line !== null ? `, line ${d.line}` : ''}`,
    `  log         dead-letter log ${d.log_partition}:${d.log_offset}`,
    `  rejected    ${d.original_reason}`,
    ...d.errors.map((e) => `                ${e.field}: ${e.reason}`),
    `  raw         ${d.raw}`,
  ];
  if (d.history.length === 0) out.push('  re-drives   none');
  else {
    out.push('  re-drives');
    for (const h of d.history) {
      const what =
        h.outcome === 'appended'
          ? `appended as event ${h.event_id} at ${h.log_partition}:${h.log_offset}`
          : h.outcome === 'duplicate'
            ? `valid; event ${h.event_id} was already loaded`
            : `still invalid: ${h.reason}`;
      out.push(`    ${h.redriven_at}  ${what}`);
    }
  }
  return out.join('\n');
}

function redriveSummary(r: RedriveReport): string {
  const out = [
    `${r.dryRun ? 'dry run: ' : ''}re-drive ${r.redriveId}: ${n(r.selected)} letters, ${n(r.appended)} valid now${r.dryRun ? ' (would be appended)' : ' and appended to the events log'}, ${n(r.duplicates)} valid but already loaded, ${n(r.failing.length)} still invalid`,
  ];
  for (const f of r.failing.slice(0, 50)) out.push(`  ${f.id}: ${f.reason}`);
  if (r.failing.length > 50) out.push(`  … and ${n(r.failing.length - 50)} more (continuity deadletters list --status failing)`);
  if (r.skipped.length > 0) out.push(`  skipped (already redriven or resolved; --force re-drives them, their events still count once): ${r.skipped.join(', ')}`);
  if (r.missing.length > 0) out.push(`  not found in dead_letters: ${r.missing.join(', ')}`);
  if (!r.dryRun && r.appended > 0) out.push('  the processors load them (the running service, or continuity process --until-idle); they must run with the same fix (catalog)');
  return out.join('\n');
}

export function register(program: Command) {
  const deadletters = program.command('deadletters').description('list, inspect and re-drive dead letters (rejected input kept with its reason)');

  withCommon(deadletters.command('list'))
    .description('dead letters with their status: open, failing (re-driven, still invalid: the new reason), redriven (appended, not loaded yet), resolved')
    .option('--status <list>', `all, or a comma-separated list of ${LETTER_STATUSES.join(', ')}`, 'all')
    .option('--origin <origin>', 'only this origin: http, file:<name>, processor:<topic> …')
    .option('--limit <n>', 'at most this many, oldest first', '100')
    .option('--json', 'one JSON object per letter')
    .option('--token <token>', TOKEN_OPTION_HELP)
    .action(async (flags: Flags & { status: string; origin?: string; limit: string }) => {
      const status = parseStatuses(flags.status);
      const service = viaService(flags);
      if (service) {
        const query = new URLSearchParams({ status: status.join(','), limit: flags.limit, ...(flags.origin ? { origin: flags.origin } : {}) });
        const { letters, counts } = await service.call<{ letters: LetterSummary[]; counts: Record<LetterStatus, number> }>('GET', `/v1/dead-letters?${query}`);
        if (flags.json) for (const l of letters) console.log(JSON.stringify(l));
        else console.log(`${listTable(letters)}\n\n${LETTER_STATUSES.map((s) => `${s}: ${n(counts[s])}`).join(', ')} [via the running service]`);
        return;
      }
      const pipeline = await open(flags, 'continuity deadletters list');
      try {
        const letters = await listDeadLetters(pipeline.warehouse, { status, origin: flags.origin, limit: Number(flags.limit) });
        if (flags.json) {
          for (const l of letters) console.log(JSON.stringify(l));
          return;
        }
        const counts = await countDeadLetters(pipeline.warehouse);
        console.log(listTable(letters));
        console.log(`\n${LETTER_STATUSES.map((s) => `${s}: ${n(counts[s])}`).join(', ')}`);
      } finally {
        await pipeline.close();
      }
    });

  withCommon(deadletters.command('show'))
    .description('one dead letter: its raw text, every error, and each re-drive')
    .argument('<id>', 'dead letter id')
    .option('--json', 'print JSON')
    .option('--token <token>', TOKEN_OPTION_HELP)
    .action(async (id: string, flags: Flags) => {
      const service = viaService(flags);
      if (service) {
        const letter = await service.call<LetterDetails>('GET', `/v1/dead-letters/${encodeURIComponent(id)}`);
        console.log(flags.json ? JSON.stringify(letter, null, 2) : details(letter));
        return;
      }
      const pipeline = await open(flags, 'continuity deadletters show');
      try {
        const letter = await showDeadLetter(pipeline.warehouse, id);
        console.log(flags.json ? JSON.stringify(letter, null, 2) : details(letter));
      } finally {
        await pipeline.close();
      }
    });

  withCommon(deadletters.command('redrive'))
    .description('validate dead letters again with the current catalog (CONTINUITY_ORG_CATALOG): valid ones go to the events log and count once, invalid ones stay with the new reason')
    .argument('[ids...]', 'letters to re-drive (default: every open or failing letter)')
    .option('--origin <origin>', 'only letters of this origin')
    .option('--force', 're-drive letters already redriven or resolved too (their event ids still count once)')
    .addOption(new Option('--dry-run', 'validate and report; append and record nothing'))
    .option('--json', 'print the report as JSON')
    .option('--token <token>', TOKEN_OPTION_HELP)
    .action(async (ids: string[], flags: Flags & { origin?: string; force?: boolean; dryRun?: boolean }) => {
      const options = { ids: ids.length > 0 ? ids : undefined, origin: flags.origin, force: flags.force === true, dryRun: flags.dryRun === true };
      const service = viaService(flags);
      let report: RedriveReport;
      if (service) {
        // The service validates with the catalog it was started with: restart it with the fix first.
        report = await service.call<RedriveReport>('POST', '/v1/dead-letters/redrive', options);
      } else {
        const pipeline = await open(flags, 'continuity deadletters redrive');
        try {
          report = await redriveDeadLetters({ log: pipeline.log, warehouse: pipeline.warehouse, catalog: pipeline.catalog }, options);
        } finally {
          await pipeline.close();
        }
      }
      console.log(flags.json ? JSON.stringify(report, null, 2) : redriveSummary(report));
      if (report.failing.length > 0 || report.missing.length > 0) process.exitCode = 2;
    });
}
