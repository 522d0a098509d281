/** Every HTTP error answered in the registry's shape: `{ code, message, retriable }`. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ContinuityError, isContinuityError } from './registry.ts';

export function continuityErrorHandler(options: { bodyLimitBytes: number }) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (isContinuityError(error)) {
      // Retriable refusals say when to come back: the rate limiter knows; for an unavailable log, a second.
      const retryAfter = (error.details as { retry_after_seconds?: unknown } | undefined)?.retry_after_seconds;
      if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
      else if (error.retriable && error.status === 503) reply.header('retry-after', '1');
      return reply.code(error.status).send(error.toJSON());
    }
    const e = error as FastifyError;
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send(new ContinuityError('CONT_ERR_INGEST_BODY_TOO_LARGE', `request body exceeds ${options.bodyLimitBytes} bytes; split it into smaller requests`).toJSON());
    }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply
        .code(415)
        .send(new ContinuityError('CONT_ERR_INGEST_UNSUPPORTED_MEDIA_TYPE', 'send application/x-ndjson (one event per line) or application/json (an event or an array of events)').toJSON());
    }
    if (e.statusCode && e.statusCode < 500) return reply.code(e.statusCode).send({ code: 'CONT_ERR_INGEST_MALFORMED_BODY', message: e.message, retriable: false });
    request.log.error(error);
    return reply.code(500).send(new ContinuityError('CONT_ERR_SERVICE_INTERNAL', e.message).toJSON());
  };
}
