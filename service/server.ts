/**
 * The service: ingest API, processors and the read side in one process that
 * owns the data directory.
 */
import { join, resolve } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { FrozenConfig } from '../config/config.ts';
import { viewerPlugin } from '../dashboards/viewer/plugin.ts';
import { continuityErrorHandler } from '../errors/http-error-handler.ts';
import { ContinuityError } from '../errors/registry.ts';
import { deadLettersRoute } from '../ingest/dead-letters/http.ts';
import { ingestPlugin } from '../ingest/http/index.ts';
import { metrics, processorLagEvents } from '../observability/metrics.ts';
import { operationsRoute } from '../processors/replay/http.ts';
import { loadCatalog } from '../schemas/index.ts';
import { installAuth, openServiceAuth, type ServiceAuth, type TokenStore } from './auth/index.ts';
import { removeServiceInfo, writeServiceInfo } from './data-dir.ts';
import { openPipeline, type Pipeline, type Processors } from './pipeline.ts';
import { openReadOnlyWarehouse } from './read-only-warehouse.ts';
import { sqlRoute } from './sql-route.ts';
import { clickhouseGateway } from './clickhouse-gateway.ts';

export interface AppOptions {
  bodyLimitBytes: number;
  /** Most events per ingest request. Default 10,000. */
  maxEventsPerRequest?: number;
  /** Per-token rate of events (0: off). Default 20,000/s, bursts of 100,000. */
  rateEventsPerSecond?: number;
  rateBurst?: number;
  /** Tokens to enforce; null or absent: every route open (insecure development mode). */
  tokens?: TokenStore | null;
  /**
   * Fastify's request logger. Off by default; when on, it logs method, URL and
   * status, never bodies, so no event payload or customer_ref reaches a log.
   */
  logger?: boolean;
  /** The live processors, paused by a replay for the moment of its swap. Absent: this app runs no processor. */
  processors?: Processors;
}

export async function buildApp(pipeline: Pipeline, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimitBytes });

  app.setErrorHandler(continuityErrorHandler({ bodyLimitBytes: options.bodyLimitBytes }));
  const auth = installAuth(app, {
    tokens: options.tokens ?? null,
    limits: { ratePerSecond: options.rateEventsPerSecond ?? 20_000, burst: options.rateBurst ?? 100_000 },
  });

  await app.register(ingestPlugin, {
    ingestor: pipeline.ingestor,
    bodyLimitBytes: options.bodyLimitBytes,
    maxEventsPerRequest: options.maxEventsPerRequest,
    admit: auth.admitIngest,
  });
  // Analysts and dashboards read through a read-only session of their own (read-only-warehouse.ts).
  const reader = await openReadOnlyWarehouse(pipeline.config, pipeline.config.sql);
  app.addHook('onClose', () => reader.close());
  await app.register(sqlRoute, { reader });
  await app.register(viewerPlugin, { reader, catalog: pipeline.catalog });
  // Other processes (processors, migrations) reach the embedded warehouse through this; a server they reach themselves.
  if (pipeline.warehouse.kind === 'embedded') {
    await app.register(clickhouseGateway, { prefix: '/clickhouse', path: join(resolve(pipeline.config.dataDir), 'warehouse') });
  }

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/metrics', async (_req, reply) => {
    try {
      const [ends, committed] = await Promise.all([pipeline.log.endOffsets(), pipeline.log.committedOffsets(pipeline.config.processor.groupId)]);
      const at = new Map(committed.map((c) => [c.partition, c.offset]));
      processorLagEvents.set({ group: pipeline.config.processor.groupId }, ends.reduce((s, e, p) => s + Math.max(0, e - (at.get(p) ?? 0)), 0));
    } catch {
      /* lag is best effort */
    }
    return reply.type('text/plain; version=0.0.4').send(metrics.render());
  });

  // Operations (scope `operate`): replays, offsets, dead letters.
  const processors = options.processors;
  await app.register(operationsRoute, {
    context: {
      log: pipeline.log,
      deadLetters: pipeline.deadLetters,
      warehouse: pipeline.warehouse,
      catalog: pipeline.catalog,
      liveGroups: { events: pipeline.config.processor.groupId },
      pauseLive: processors ? (fn) => processors.paused(fn) : undefined,
    },
  });
  await app.register(deadLettersRoute, { context: { log: pipeline.log, warehouse: pipeline.warehouse, catalog: pipeline.catalog } });
  return app;
}

export interface RunningService {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly pipeline: Pipeline;
  readonly processors: Processors;
  /** The tokens in force (null: insecure development mode) and this run's local token. */
  readonly auth: ServiceAuth;
  close(): Promise<void>;
}

export interface StartOptions {
  purpose?: string;
  /** With no tokens configured, run on the generated local token alone instead of refusing (the demo). */
  localTokenOnly?: boolean;
  /** Run the processors in this process. Default true; false when `continuity process` instances do it (Kafka). */
  processors?: boolean;
}

export async function startService(config: FrozenConfig, options: StartOptions = {}): Promise<RunningService> {
  // Refuse before touching the data directory.
  const knownOrgs = new Set(loadCatalog({ extraOrgsFile: config.orgCatalogFile }).orgCodes);
  const auth = openServiceAuth(config, { knownOrgs, localTokenOnly: options.localTokenOnly });
  let pipeline: Pipeline;
  try {
    pipeline = await openPipeline(config, { purpose: options.purpose ?? 'continuity serve' });
  } catch (error) {
    auth.close();
    throw error;
  }
  let app: FastifyInstance | null = null;
  try {
    const processors = options.processors === false ? null : await pipeline.startProcessors();
    app = await buildApp(pipeline, {
      bodyLimitBytes: config.http.bodyLimitBytes,
      maxEventsPerRequest: config.http.maxEventsPerRequest,
      rateEventsPerSecond: config.http.rateEventsPerSecond,
      rateBurst: config.http.rateBurst,
      tokens: auth.tokens,
      processors: processors ?? undefined,
    });
    const address = await app.listen({ host: config.http.host, port: config.http.port });
    const url = address.replace('[::1]', 'localhost');
    writeServiceInfo(config.dataDir, { pid: process.pid, url, startedAt: new Date().toISOString(), ...(auth.localToken ? { token: auth.localToken } : {}) });
    let closed = false;
    return {
      url,
      app,
      pipeline,
      get processors() {
        if (!processors) throw new ContinuityError('CONT_ERR_CONFIG_INVALID', 'this service runs no processors (started with --no-processors)');
        return processors;
      },
      auth,
      async close() {
        if (closed) return;
        closed = true;
        removeServiceInfo(config.dataDir);
        auth.close();
        await app!.close();
        await pipeline.close();
      },
    };
  } catch (error) {
    auth.close();
    await app?.close();
    await pipeline.close();
    throw error;
  }
}
