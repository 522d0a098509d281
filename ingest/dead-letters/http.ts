/**
 * Dead letters on the running service (token scope `operate`):
 *
 *   GET  /v1/dead-letters?status=&origin=&limit=   letters with their status, and counts per status
 *   GET  /v1/dead-letters/:id                      one letter: raw text, errors, re-drives
 *   POST /v1/dead-letters/redrive                  {ids?, origin?, force?, dryRun?}: validate again with the service's catalog
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ContinuityError } from '../../errors/registry.ts';
import { countDeadLetters, LETTER_STATUSES, listDeadLetters, redriveDeadLetters, type RedriveContext, showDeadLetter } from './operations.ts';

const listSchema = z.strictObject({
  status: z
    .string()
    .default('all')
    .transform((s) => (s === 'all' ? [...LETTER_STATUSES] : s.split(',').map((x) => x.trim())))
    .pipe(z.array(z.enum(LETTER_STATUSES)).min(1)),
  origin: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(100_000).default(100),
});

const redriveSchema = z.strictObject({
  ids: z.array(z.string()).min(1).optional(),
  origin: z.string().optional(),
  force: z.boolean().default(false),
  dryRun: z.boolean().default(false),
});

function invalid(error: z.ZodError): ContinuityError {
  return new ContinuityError('CONT_ERR_OPERATION_INVALID', error.issues.map((i) => `${i.path.join('.') || '$'}: ${i.message}`).join('; '));
}

export const deadLettersRoute: FastifyPluginAsync<{ context: RedriveContext }> = async (app, options) => {
  const { warehouse } = options.context;

  app.get('/v1/dead-letters', { config: { access: 'operate' } }, async (request) => {
    const parsed = listSchema.safeParse(request.query ?? {});
    if (!parsed.success) throw invalid(parsed.error);
    const { status, origin, limit } = parsed.data;
    return { letters: await listDeadLetters(warehouse, { status, origin, limit }), counts: await countDeadLetters(warehouse) };
  });

  app.get<{ Params: { id: string } }>('/v1/dead-letters/:id', { config: { access: 'operate' } }, async (request) => showDeadLetter(warehouse, request.params.id));

  app.post('/v1/dead-letters/redrive', { config: { access: 'operate' } }, async (request) => {
    const parsed = redriveSchema.safeParse(request.body ?? {});
    if (!parsed.success) throw invalid(parsed.error);
    return redriveDeadLetters(options.context, parsed.data);
  });
};
