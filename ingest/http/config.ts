import type { FastifyRequest } from 'fastify';
import type { ContinuityEvent } from '../../schemas/index.ts';

export interface IngestPluginOptions {
  /** Largest request body, bytes. Default 16 MiB. */
  bodyLimitBytes?: number;
  /** Most events (lines or array elements) in one request; more is refused with 413 and nothing taken. Default 10,000. */
  maxEventsPerRequest?: number;
  /**
   * Called once per request when its size in events is known, before anything
   * is validated or stored: may throw (e.g. 429 when the caller used its rate)
   * and may return a check of each valid event (e.g. the caller's orgs).
   */
  admit?: (request: FastifyRequest, events: number) => ((event: Pick<ContinuityEvent, 'org'>) => string | null) | undefined;
}

export const ingestPluginDefaults = { bodyLimitBytes: 16 * 1024 * 1024, maxEventsPerRequest: 10_000 } as const;
