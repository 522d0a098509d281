/**
 * Replays and consumer-group offsets on the running service, for an embedded
 * data directory the service owns: the replay runs inside the service, beside
 * the live processors it pauses for the moment of the exchange, so the
 * dashboards the service serves stay up throughout.
 *
 *   POST /v1/replays               start one ({from, tables, swap, dropOld, allowFewerRows, dryRun}); 202 with its id
 *   GET  /v1/replays               every replay, with the progress of the one running here
 *   GET  /v1/replays/:id           one replay, with its progress
 *   POST /v1/replays/:id/resume    continue an interrupted (or not swapped) replay
 *   POST /v1/replays/:id/abandon   stop it if it runs here, drop its shadow tables
 *   POST /v1/replays/cleanup       drop previous tables of swapped replays ({id} for one)
 *   GET  /v1/offsets?group=&log=   committed offsets, ends and lag per partition
 *
 * Every route needs a token with the `operate` scope.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { EventLog } from '../../event-log/event-log.ts';
import { ContinuityError } from '../../errors/registry.ts';
import { deadLetterLoaderDefaults } from '../dead-letter-loader/index.ts';
import { parseFromPosition, REPLAY_TABLES } from './config.ts';
import { abandonReplay, cleanupReplays, listReplays, planReplay, type ReplayContext, type ReplayProgress, resumeReplay, startReplay } from './replay.ts';
import { loadReplay, type ReplayState } from './state.ts';

export interface OperationsRouteOptions {
  context: ReplayContext;
}

const startSchema = z.strictObject({
  from: z.string().default('earliest'),
  tables: z.array(z.enum(REPLAY_TABLES)).min(1).optional(),
  swap: z.boolean().default(true),
  dropOld: z.boolean().default(false),
  allowFewerRows: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  batchRecords: z.number().int().min(1).max(1_000_000).optional(),
});

const resumeSchema = z
  .strictObject({ swap: z.boolean().default(true), dropOld: z.boolean().default(false), allowFewerRows: z.boolean().default(false) })
  .default({ swap: true, dropOld: false, allowFewerRows: false });

function invalid(error: z.ZodError): ContinuityError {
  return new ContinuityError('CONT_ERR_OPERATION_INVALID', error.issues.map((i) => `${i.path.join('.') || '$'}: ${i.message}`).join('; '));
}

interface Running {
  id: string | null;
  progress: ReplayProgress | null;
  abort: AbortController;
  done: Promise<unknown>;
  /** Progress of the run; the first report carries the replay's id. */
  report(progress: ReplayProgress): void;
}

export const operationsRoute: FastifyPluginAsync<OperationsRouteOptions> = async (app, options) => {
  const ctx = options.context;
  let running: Running | null = null;
  const finished = new Map<string, string>();

  /** Runs a replay in the background; answers once it has an id (or has failed). */
  async function launch(run: (r: Running) => Promise<ReplayState>, knownId: string | null): Promise<{ id: string }> {
    if (running) throw new ContinuityError('CONT_ERR_REPLAY_UNFINISHED', `replay ${running.id ?? ''} is running in the service; wait for it, or abandon it`.replace('  ', ' '));
    let announce!: (id: string) => void;
    const announced = new Promise<string>((resolve) => (announce = resolve));
    const r: Running = {
      id: knownId,
      progress: null,
      abort: new AbortController(),
      done: Promise.resolve(),
      report(progress) {
        r.id = progress.id;
        r.progress = progress;
        announce(progress.id);
      },
    };
    running = r;
    r.done = run(r).then(
      (state) => announce(state.id),
      (error: Error) => {
        if (r.id) finished.set(r.id, error.message);
        announce('');
        return error;
      },
    );
    void r.done.finally(() => {
      if (running === r) running = null;
    });
    const id = await announced;
    if (!id) throw await r.done;
    return { id };
  }

  function withProgress(state: ReplayState) {
    const here = running && running.id === state.id ? running : null;
    return { ...state, running: here !== null, progress: here?.progress ?? null, error: finished.get(state.id) ?? null };
  }

  app.post('/v1/replays', { config: { access: 'operate' } }, async (request, reply) => {
    const parsed = startSchema.safeParse(request.body ?? {});
    if (!parsed.success) throw invalid(parsed.error);
    const body = parsed.data;
    let from;
    try {
      from = parseFromPosition(body.from);
    } catch (error) {
      throw new ContinuityError('CONT_ERR_OPERATION_INVALID', (error as Error).message.replace(/^--from: /, 'from: '));
    }
    const replayOptions = { from, tables: body.tables, batchRecords: body.batchRecords };
    if (body.dryRun) return reply.send(await planReplay(ctx, replayOptions));
    const started = await launch(
      (r) =>
        startReplay(ctx, replayOptions, {
          swap: body.swap,
          dropOld: body.dropOld,
          allowFewerRows: body.allowFewerRows,
          signal: r.abort.signal,
          onProgress: (p) => r.report(p),
        }),
      null,
    );
    return reply.code(202).send(started);
  });

  app.get('/v1/replays', { config: { access: 'operate' } }, async () => (await listReplays(ctx)).map(withProgress));

  app.get<{ Params: { id: string } }>('/v1/replays/:id', { config: { access: 'operate' } }, async (request) => {
    const state = await loadReplay(ctx.warehouse, request.params.id);
    if (!state) throw new ContinuityError('CONT_ERR_NOT_FOUND', `no replay ${JSON.stringify(request.params.id)}`);
    return withProgress(state);
  });

  app.post<{ Params: { id: string } }>('/v1/replays/:id/resume', { config: { access: 'operate' } }, async (request, reply) => {
    const parsed = resumeSchema.safeParse(request.body ?? undefined);
    if (!parsed.success) throw invalid(parsed.error);
    const id = request.params.id === 'latest' ? undefined : request.params.id;
    const started = await launch(
      (r) =>
        resumeReplay(ctx, id, {}, {
          swap: parsed.data.swap,
          dropOld: parsed.data.dropOld,
          allowFewerRows: parsed.data.allowFewerRows,
          signal: r.abort.signal,
          onProgress: (p) => r.report(p),
        }),
      id ?? null,
    );
    return reply.code(202).send(started);
  });

  app.post<{ Params: { id: string } }>('/v1/replays/:id/abandon', { config: { access: 'operate' } }, async (request) => {
    const id = request.params.id === 'latest' ? undefined : request.params.id;
    const current = running;
    if (current && (id === undefined || current.id === id)) {
      current.abort.abort();
      await current.done;
    }
    return abandonReplay(ctx, id ?? current?.id ?? undefined);
  });

  app.post('/v1/replays/cleanup', { config: { access: 'operate' } }, async (request) => {
    const parsed = z.strictObject({ id: z.string().optional() }).default({}).safeParse(request.body ?? undefined);
    if (!parsed.success) throw invalid(parsed.error);
    return cleanupReplays(ctx, parsed.data.id);
  });

  app.get<{ Querystring: { group?: string; log?: string } }>('/v1/offsets', { config: { access: 'operate' } }, async (request) => {
    const liveGroup = ctx.liveGroups?.events ?? 'continuity-warehouse';
    const groups = request.query.group ? [request.query.group] : [liveGroup, ctx.liveGroups?.deadLetters ?? deadLetterLoaderDefaults.groupId];
    const out = [];
    for (const group of groups) {
      const name = request.query.log ?? (group === deadLetterLoaderDefaults.groupId || group.endsWith('-dead_letters') ? 'dead-letters' : 'events');
      if (name !== 'events' && name !== 'dead-letters') throw new ContinuityError('CONT_ERR_OPERATION_INVALID', `log: expected events or dead-letters, got ${JSON.stringify(name)}`);
      const log: EventLog = name === 'events' ? ctx.log : ctx.deadLetters;
      const [starts, ends, committed] = await Promise.all([log.startOffsets(), log.endOffsets(), log.committedOffsets(group)]);
      out.push({
        group,
        log: name,
        topic: log.topic,
        partitions: ends.map((end, partition) => {
          const c = committed.find((x) => x.partition === partition);
          const at = c?.offset ?? 0;
          return { partition, logStart: starts[partition], end, committed: at, lag: Math.max(0, end - at), metadata: c?.metadata ?? null };
        }),
      });
    }
    return out;
  });

  app.addHook('onClose', async () => {
    // The service is stopping: a replay in progress stops where it is, resumable.
    const current = running;
    if (current) {
      current.abort.abort();
      await current.done;
    }
  });
};
