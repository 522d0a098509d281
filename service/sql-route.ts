/**
 * `POST /v1/sql` — analysts' and the CLI's way to query a warehouse the service
 * holds. Read-only by construction: every query runs with ClickHouse's
 * `readonly = 2` (reads and per-query settings only), so a write is refused by
 * the engine itself, whatever the SQL looks like.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ContinuityError } from '../errors/registry.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';

export const SQL_FORMATS = { table: 'PrettyCompactMonoBlock', json: 'JSONEachRow', csv: 'CSVWithNames', tsv: 'TSVWithNames' } as const;
export type SqlFormat = keyof typeof SQL_FORMATS;

const requestSchema = z.object({
  query: z.string().min(1),
  format: z.enum(Object.keys(SQL_FORMATS) as [SqlFormat, ...SqlFormat[]]).default('json'),
  params: z.record(z.string(), z.unknown()).optional(),
});

export const readOnlySettings = {
  readonly: '2',
  max_execution_time: 60,
  max_result_rows: '1000000',
  result_overflow_mode: 'throw',
} as const;

/** Runs a query for a person: read-only, bounded, formatted by ClickHouse. */
export async function runReadOnlyQuery(warehouse: Warehouse, query: string, format: SqlFormat, params?: Record<string, unknown>): Promise<string> {
  try {
    return await warehouse.text(query, SQL_FORMATS[format], params, readOnlySettings as never);
  } catch (error) {
    const message = (error as Error).message;
    if (/readonly|READONLY|Cannot execute query in readonly mode/i.test(message)) {
      throw new ContinuityError('CONT_ERR_SQL_READ_ONLY', `the SQL endpoint only reads; the warehouse refused: ${message}`, { cause: error });
    }
    throw error;
  }
}

export const sqlRoute: FastifyPluginAsync<{ warehouse: Warehouse }> = async (app, options) => {
  app.post('/v1/sql', async (request, reply) => {
    const parsed = requestSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new ContinuityError('CONT_ERR_WAREHOUSE_QUERY', parsed.error.issues.map((i) => `${i.path.join('.') || '$'}: ${i.message}`).join('; '));
    }
    const { query, format, params } = parsed.data;
    const text = await runReadOnlyQuery(options.warehouse, query, format, params);
    return reply.type(format === 'json' ? 'application/x-ndjson' : 'text/plain; charset=utf-8').send(text);
  });
};
