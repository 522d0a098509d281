/**
 * `POST /v1/events`: NDJSON (`application/x-ndjson`) or JSON (one event or an
 * array). Valid events are acknowledged only once durably in the log; each bad
 * line is reported with its number and reason and kept as a dead letter.
 *
 *   200  every event accepted, or some accepted and the rest reported in `rejected`
 *   422  nothing in the body was valid (all reported, all dead-lettered)
 *   403  nothing was accepted and some events were of orgs the token may not submit (all dead-lettered)
 *   400  the body is not JSON at all (kept as one dead letter)
 *   413  the body or its number of events is over the limit (nothing taken)
 *
 * Bodies must be UTF-8; a line that is not is rejected and dead-lettered.
 */
import type { FastifyPluginAsync } from 'fastify';
import { continuityErrorHandler } from '../../errors/http-error-handler.ts';
import { ContinuityError } from '../../errors/registry.ts';
import type { Ingestor, InputLine } from '../accept.ts';
import { decodeUtf8, lineFromBytes, linesFromBytes } from '../lines.ts';
import { ingestPluginDefaults, type IngestPluginOptions } from './config.ts';

const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/jsonlines', 'text/plain'];

export const ingestPlugin: FastifyPluginAsync<IngestPluginOptions & { ingestor: Ingestor }> = async (app, options) => {
  const bodyLimit = options.bodyLimitBytes ?? ingestPluginDefaults.bodyLimitBytes;
  const maxEvents = options.maxEventsPerRequest ?? ingestPluginDefaults.maxEventsPerRequest;
  app.setErrorHandler(continuityErrorHandler({ bodyLimitBytes: bodyLimit }));
  // Bodies are parsed here, not by fastify, so each line keeps its number and raw text.
  app.addContentTypeParser(['application/json', ...NDJSON_TYPES], { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  app.post('/v1/events', { bodyLimit }, async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const originHeader = request.headers['x-continuity-origin'];
    const origin = typeof originHeader === 'string' && /^[\w.:/-]{1,120}$/.test(originHeader) ? originHeader : 'http';
    let lines: InputLine[];
    if (contentType === 'application/json') {
      const text = decodeUtf8(body);
      if (text !== null && text.trimStart().startsWith('[')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (error) {
          options.admit?.(request, 1);
          const result = await options.ingestor.ingestLines([{ line: 1, text }], origin);
          throw new ContinuityError('CONT_ERR_INGEST_MALFORMED_BODY', `body is not a valid JSON array: ${(error as Error).message.replace(/, ".*"(?:\.\.\.)? is not valid JSON$/s, '')}`, {
            details: { rejected: result.rejected },
          });
        }
        lines = (parsed as unknown[]).map((element, i) => arrayElement(i + 1, element));
      } else {
        lines = [lineFromBytes(1, body)];
      }
    } else {
      // A file import sent in chunks keeps the file's line numbers and name.
      const firstLine = Number(request.headers['x-continuity-first-line'] ?? 1);
      lines = linesFromBytes(body, Number.isSafeInteger(firstLine) && firstLine >= 1 ? firstLine : 1);
    }
    if (lines.length > maxEvents) {
      throw new ContinuityError('CONT_ERR_INGEST_TOO_MANY_EVENTS', `the request holds ${lines.length} events; at most ${maxEvents} are taken per request, split it (nothing of it was taken)`, {
        details: { events: lines.length, max_events_per_request: maxEvents },
      });
    }
    const guard = options.admit?.(request, lines.length);
    const result = await options.ingestor.ingestLines(lines, origin, { guard });
    const payload = {
      accepted: result.accepted,
      rejected: result.rejected.map((r) => ({ line: r.line, reason: r.reason, errors: r.errors, dead_letter_id: r.deadLetterId, ...(r.forbidden ? { code: 'CONT_ERR_AUTH_FORBIDDEN_ORG' } : {}) })),
    };
    if (result.accepted === 0 && result.rejected.some((r) => r.forbidden)) {
      return reply.code(403).send({ code: 'CONT_ERR_AUTH_FORBIDDEN_ORG', message: `no event in the request was accepted: ${result.rejected.find((r) => r.forbidden)!.errors[0].reason}; every line was dead-lettered`, retriable: false, ...payload });
    }
    if (result.accepted === 0 && result.rejected.length > 0) {
      return reply.code(422).send({ code: 'CONT_ERR_INGEST_NO_VALID_EVENTS', message: 'no event in the request was valid; every line was dead-lettered', retriable: false, ...payload });
    }
    return reply.code(200).send(payload);
  });
};

/** An element of a JSON array body as a line; one too deeply nested to write back is refused here. */
function arrayElement(line: number, element: unknown): InputLine {
  try {
    return { line, text: JSON.stringify(element) ?? 'null' };
  } catch {
    return { line, text: `(element ${line} of the JSON array)`, invalid: { field: '$', reason: 'nested too deeply to be an event' } };
  }
}
