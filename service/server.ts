/**
 * The service: ingest API, processors and the read side in one process that
 * owns the data directory.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { FrozenConfig } from '../config/config.ts';
import { continuityErrorHandler } from '../errors/http-error-handler.ts';
import { ingestPlugin } from '../ingest/http/index.ts';
import { metrics, processorLagEvents } from '../observability/metrics.ts';
import { removeServiceInfo, writeServiceInfo } from './data-dir.ts';
import { openPipeline, type Pipeline, type Processors } from './pipeline.ts';
import { sqlRoute } from './sql-route.ts';

export async function buildApp(pipeline: Pipeline, options: { bodyLimitBytes: number; logger?: boolean }): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimitBytes });

  app.setErrorHandler(continuityErrorHandler({ bodyLimitBytes: options.bodyLimitBytes }));

  await app.register(ingestPlugin, { ingestor: pipeline.ingestor, bodyLimitBytes: options.bodyLimitBytes });
  await app.register(sqlRoute, { warehouse: pipeline.warehouse });

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
  return app;
}

export interface RunningService {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly pipeline: Pipeline;
  readonly processors: Processors;
  close(): Promise<void>;
}

export async function startService(config: FrozenConfig, options: { purpose?: string } = {}): Promise<RunningService> {
  const pipeline = await openPipeline(config, { purpose: options.purpose ?? 'continuity serve' });
  let app: FastifyInstance | null = null;
  try {
    const processors = await pipeline.startProcessors();
    app = await buildApp(pipeline, { bodyLimitBytes: config.http.bodyLimitBytes });
    const address = await app.listen({ host: config.http.host, port: config.http.port });
    const url = address.replace('[::1]', 'localhost');
    writeServiceInfo(config.dataDir, { pid: process.pid, url, startedAt: new Date().toISOString() });
    let closed = false;
    return {
      url,
      app,
      pipeline,
      processors,
      async close() {
        if (closed) return;
        closed = true;
        removeServiceInfo(config.dataDir);
        await app!.close();
        await pipeline.close();
      },
    };
  } catch (error) {
    await app?.close();
    await pipeline.close();
    throw error;
  }
}
