/**
 * `POST /v1/sql` — analysts' and the CLI's way to query a warehouse the service
 * holds. Read-only by construction: queries run on the read-only warehouse
 * (read-only-warehouse.ts), where ClickHouse's `readonly = 1` refuses every
 * write and every change of a setting, so neither the SQL nor a SETTINGS
 * clause can write, or lift the row and time limits.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ContinuityError, isContinuityError } from '../errors/registry.ts';
import type { ReadOnlyWarehouse } from './read-only-warehouse.ts';

export const SQL_FORMATS = { table: 'PrettyCompactMonoBlock', json: 'JSONEachRow', csv: 'CSVWithNames', tsv: 'TSVWithNames' } as const;
export type SqlFormat = keyof typeof SQL_FORMATS;

const requestSchema = z.object({
  query: z.string().min(1),
  format: z.enum(Object.keys(SQL_FORMATS) as [SqlFormat, ...SqlFormat[]]).default('json'),
  params: z.record(z.string(), z.unknown()).optional(),
});

/** ClickHouse's refusal → what the person asking should do about it. */
export function readOnlyError(error: unknown, limits: ReadOnlyWarehouse['limits']): unknown {
  if (!isContinuityError(error)) return error;
  const clickhouse = (error.details as { clickhouse?: string } | undefined)?.clickhouse;
  const message = error.message;
  if (clickhouse === 'TIMEOUT_EXCEEDED' || clickhouse === 'TOO_SLOW') {
    return new ContinuityError('CONT_ERR_SQL_TIMEOUT', `the query ran longer than ${limits.timeLimitSeconds} s, the SQL endpoint's limit; narrow it (a time range, fewer columns) or aggregate a view`, {
      cause: error,
    });
  }
  // Anything else that is not a refusal of the query (the warehouse unreachable …) passes unchanged.
  if (error.code !== 'CONT_ERR_WAREHOUSE_QUERY') return error;
  if (/Cannot modify '([^']+)' setting in readonly mode/.test(message)) {
    const setting = /Cannot modify '([^']+)'/.exec(message)![1];
    return new ContinuityError(
      'CONT_ERR_SQL_READ_ONLY',
      `the SQL endpoint only reads, and its settings are fixed (at most ${limits.maxRows} rows, ${limits.timeLimitSeconds} s); remove the SETTINGS clause or SET of "${setting}"`,
      { cause: error },
    );
  }
  if (clickhouse === 'READONLY' || /readonly mode/i.test(message)) {
    return new ContinuityError('CONT_ERR_SQL_READ_ONLY', `the SQL endpoint only reads: writes and schema changes (INSERT, ALTER, DROP, CREATE, TRUNCATE …) are refused; the warehouse said: ${message}`, {
      cause: error,
    });
  }
  if (clickhouse === 'TOO_MANY_ROWS_OR_BYTES' || /Limit for result exceeded/.test(message)) {
    return new ContinuityError('CONT_ERR_SQL_TOO_MANY_ROWS', `the result has more than ${limits.maxRows} rows, the SQL endpoint's limit; aggregate, or add a LIMIT`, { cause: error });
  }
  return error;
}

/** Runs a query for a person: read-only, bounded, formatted by ClickHouse. */
export async function runReadOnlyQuery(reader: ReadOnlyWarehouse, query: string, format: SqlFormat, params?: Record<string, unknown>): Promise<string> {
  try {
    // The format is appended after the statement, so a closing ";" would end it too early.
    return await reader.text(query.trim().replace(/;+$/, ''), SQL_FORMATS[format], params);
  } catch (error) {
    throw readOnlyError(error, reader.limits);
  }
}

export const sqlRoute: FastifyPluginAsync<{ reader: ReadOnlyWarehouse }> = async (app, options) => {
  app.post('/v1/sql', async (request, reply) => {
    const parsed = requestSchema.safeParse(request.body);
    if (!parsed.success) {
      throw new ContinuityError('CONT_ERR_WAREHOUSE_QUERY', parsed.error.issues.map((i) => `${i.path.join('.') || '$'}: ${i.message}`).join('; '));
    }
    const { query, format, params } = parsed.data;
    const text = await runReadOnlyQuery(options.reader, query, format, params);
    return reply.type(format === 'json' ? 'application/x-ndjson' : 'text/plain; charset=utf-8').send(text);
  });
};
