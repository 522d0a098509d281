/**
 * `POST /v1/events`: NDJSON (`application/x-ndjson`) or JSON (one event or an
 * array). Valid events are acknowledged only once durably in the log; each bad
 * line is reported with its number and reason and kept as a dead letter.
 *
 *   200  every event accepted, or some accepted and the rest reported in `rejected`
 *   422  nothing in the body was valid (all reported, all dead-lettered)
 *   400  the body is not JSON at all (kept as one dead letter)
 */
import type { FastifyPluginAsync } from 'fastify';
import { continuityErrorHandler } from '../../errors/http-error-handler.ts';
import { ContinuityError } from '../../errors/registry.ts';
import type { Ingestor, InputLine } from '../accept.ts';
import { ndjsonLines } from '../accept.ts';
import { ingestPluginDefaults, type IngestPluginOptions } from './config.ts';

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/jsonlines', 'text/plain'];

export const ingestPlugin: FastifyPluginAsync<IngestPluginOptions & { ingestor: Ingestor }> = async (app, options) => {
  const bodyLimit = options.bodyLimitBytes ?? ingestPluginDefaults.bodyLimitBytes;
  app.setErrorHandler(continuityErrorHandler({ bodyLimitBytes: bodyLimit }));
  // Bodies are parsed here, not by fastify, so each line keeps its number and raw text.
  app.addContentTypeParser(['application/json', ...NDJSON_TYPES], { parseAs: 'string', bodyLimit }, (_req, body, done) => done(null, body));

  app.post('/v1/events', { bodyLimit }, async (request, reply) => {
    const body = typeof request.body === 'string' ? request.body : '';
    const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    let lines: InputLine[];
    if (contentType === 'application/json') {
      const trimmed = body.trimStart();
      if (trimmed.startsWith('[')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch (error) {
          const result = await options.ingestor.ingestLines([{ line: 1, text: body }], 'http');
          throw new ContinuityError('CONT_ERR_INGEST_MALFORMED_BODY', `body is not a valid JSON array: ${(error as Error).message}`, {
            details: { rejected: result.rejected },
          });
        }
        lines = (parsed as unknown[]).map((element, i) => ({ line: i + 1, text: JSON.stringify(element) }));
      } else {
        lines = [{ line: 1, text: body }];
      }
    } else {
      // A file import sent in chunks keeps the file's line numbers and name.
      const firstLine = Number(request.headers['x-continuity-first-line'] ?? 1);
      lines = ndjsonLines(body, Number.isSafeInteger(firstLine) && firstLine >= 1 ? firstLine : 1);
    }
    const originHeader = request.headers['x-continuity-origin'];
    const origin = typeof originHeader === 'string' && /^[\w.:/-]{1,120}$/.test(originHeader) ? originHeader : 'http';
    const result = await options.ingestor.ingestLines(lines, origin);
    const payload = {
      accepted: result.accepted,
      rejected: result.rejected.map((r) => ({ line: r.line, reason: r.reason, errors: r.errors, dead_letter_id: r.deadLetterId })),
    };
    if (result.accepted === 0 && result.rejected.length > 0) {
      return reply.code(422).send({ code: 'CONT_ERR_INGEST_NO_VALID_EVENTS', message: 'no event in the request was valid; every line was dead-lettered', retriable: false, ...payload });
    }
    return reply.code(200).send(payload);
  });
};
