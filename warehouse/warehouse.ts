/**
 * The warehouse port: one `@clickhouse/client` for every ClickHouse access.
 * Embedded default: chDB in-process (`chdb/connection`) in `<data-dir>/warehouse`.
 * With `url` set: a ClickHouse server over HTTP. No other code path differs.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { join, resolve } from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { ContinuityError } from '../errors/registry.ts';
import { guardChdbConnection } from './chdb-guard.ts';
import { clusterIdentifier } from './cluster-ddl.ts';

export interface WarehouseOptions {
  /** Directory of the embedded chDB data; used when `url` is absent. Default `./data/warehouse`. */
  path?: string;
  /** ClickHouse server URL (e.g. http://localhost:8123). Absent: embedded chDB. */
  url?: string;
  /** Server user. Default `default`. */
  username?: string;
  /** Server password. Default empty. */
  password?: string;
  /** Bearer token instead of user and password (ClickHouse Cloud JWT, or a token of the continuity service's /clickhouse gateway). */
  accessToken?: string;
  /** Database holding the project's tables. Default `default` (embedded) / `continuity` (server). */
  database?: string;
  /** Per-request timeout against a server, ms. Default 300,000. */
  requestTimeoutMs?: number;
  /** A cluster of the server: the database is created on every node of it. */
  cluster?: string;
}

export interface Warehouse {
  readonly kind: 'embedded' | 'server';
  readonly database: string;
  readonly client: ClickHouseClient;
  /** Rows of a SELECT as objects. */
  rows<T = Record<string, unknown>>(query: string, params?: Record<string, unknown>, settings?: ClickHouseSettings): Promise<T[]>;
  /** A statement with no result (DDL, INSERT … SELECT). */
  command(query: string, params?: Record<string, unknown>, settings?: ClickHouseSettings): Promise<void>;
  /** Raw text of a query in a ClickHouse output format. */
  text(query: string, format: string, params?: Record<string, unknown>, settings?: ClickHouseSettings): Promise<string>;
  /** Insert a body already in `format` (JSONEachRow lines, TSV …): parsed by
   * ClickHouse's own (parallel) parser; on chDB the buffer is handed over without a copy. */
  insertRaw(table: string, format: string, body: string | Buffer, settings?: ClickHouseSettings): Promise<void>;
  close(): Promise<void>;
}

/** ClickHouse error → the project's typed error, once, at the boundary. */
export function toWarehouseError(error: unknown, query?: string): ContinuityError {
  if (error instanceof ContinuityError) return error;
  const e = error as { message?: string; code?: string; type?: string };
  const message = e?.message ?? String(error);
  const network = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|socket hang up|Timeout/i.test(message);
  const chCode = e?.type ?? e?.code;
  return new ContinuityError(network ? 'CONT_ERR_WAREHOUSE_UNAVAILABLE' : 'CONT_ERR_WAREHOUSE_QUERY', message.trim(), {
    cause: error,
    details: { clickhouse: chCode, ...(query ? { query: query.slice(0, 500) } : {}) },
  });
}

export async function getWarehouse(options: WarehouseOptions = {}): Promise<Warehouse> {
  let client: ClickHouseClient;
  let rawInsert: RawInsert | null = null;
  let kind: Warehouse['kind'];
  let database: string;
  if (options.url) {
    kind = 'server';
    database = options.database ?? 'continuity';
    const server = serverAddress(options.url);
    const credentials = options.accessToken ? { access_token: options.accessToken } : { username: options.username ?? 'default', password: options.password ?? '' };
    // Failures reach the caller as ContinuityErrors; the client's own console logging would repeat them.
    const quiet = { log: { level: ClickHouseLogLevel.OFF } };
    const bootstrap = createClient({ ...server, ...credentials, ...quiet });
    try {
      if (options.database === undefined) {
        // The continuity service's gateway to its embedded warehouse names the
        // database its tables are in; a ClickHouse server does not.
        const probe = await bootstrap.exec({ query: 'SELECT 1' });
        probe.stream.resume();
        const served = probe.response_headers['x-continuity-database'];
        if (typeof served === 'string' && served !== '') database = served;
      }
      const onCluster = options.cluster ? ` ON CLUSTER ${clusterIdentifier(options.cluster)}` : '';
      await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}${onCluster}` });
    } catch (error) {
      throw toWarehouseError(error);
    } finally {
      await bootstrap.close();
    }
    client = createClient({
      ...server,
      ...credentials,
      ...quiet,
      database,
      request_timeout: options.requestTimeoutMs ?? 300_000,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
  } else {
    kind = 'embedded';
    database = options.database ?? 'default';
    const path = resolve(options.path ?? './data/warehouse');
    mkdirSync(path, { recursive: true });
    // Loaded lazily: a server deployment never needs the native engine.
    const { createChdbConnection } = await import('chdb/connection');
    client = createClient({ connection: guardChdbConnection(createChdbConnection({ path })) as never });
    rawInsert = fileInsert(client, join(path, '_inserts'));
  }
  return wrap(client, kind, database, rawInsert);
}

/**
 * A path in the URL is where the server answers (a proxy's prefix, or the
 * service's `/clickhouse` gateway), not a database as @clickhouse/client would
 * read it; the database is `database` (CLICKHOUSE_DATABASE).
 */
export function serverAddress(url: string): { url: string; pathname?: string } {
  const parsed = new URL(url);
  const path = parsed.pathname.replace(/\/+$/, '');
  if (path === '') return { url };
  parsed.pathname = '/';
  return { url: parsed.toString(), pathname: path };
}

type RawInsert = (params: { table: string; values: Buffer; format: string; settings?: ClickHouseSettings }) => Promise<void>;

/**
 * Embedded inserts go through a file: ClickHouse's `file()` reads and parses it
 * on all cores, several times faster than a body passed inline. The file is
 * transient (the log is what is durable) and removed after the insert.
 */
function fileInsert(client: ClickHouseClient, dir: string): RawInsert {
  mkdirSync(dir, { recursive: true });
  for (const stale of readdirSync(dir)) rmSync(join(dir, stale), { force: true });
  const structures = new Map<string, Promise<{ columns: string; structure: string }>>();
  const structureOf = (table: string) => {
    let s = structures.get(table);
    if (!s) {
      // Columns the input provides: not MATERIALIZED/ALIAS, and not DEFAULT, whose
      // expression must run when the input leaves them out.
      s = client
        .query({ query: `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String} AND default_kind = '' ORDER BY position`, query_params: { t: table }, format: 'JSONEachRow' })
        .then((r) => r.json<{ name: string; type: string }>())
        .then((cols) => ({
          columns: cols.map((c) => quoteIdentifier(c.name)).join(', '),
          structure: cols.map((c) => `${c.name} ${c.type}`).join(', '),
        }));
      s.catch(() => structures.delete(table));
      structures.set(table, s);
    }
    return s;
  };
  let n = 0;
  return async ({ table, values, format, settings }) => {
    const { columns, structure } = await structureOf(table);
    const path = join(dir, `${process.pid}-${++n}.${format.toLowerCase()}`);
    await writeFile(path, values);
    try {
      await client.command({
        query: `INSERT INTO ${quoteIdentifier(table)} (${columns}) SELECT ${columns} FROM file({path:String}, {format:String}, {structure:String})`,
        query_params: { path, format, structure },
        clickhouse_settings: settings,
      });
    } finally {
      await rm(path, { force: true });
    }
  };
}

function wrap(client: ClickHouseClient, kind: Warehouse['kind'], database: string, rawInsert: RawInsert | null): Warehouse {
  return {
    kind,
    database,
    client,
    async rows<T>(query: string, params?: Record<string, unknown>, settings?: ClickHouseSettings) {
      try {
        const result = await client.query({ query, format: 'JSONEachRow', query_params: params, clickhouse_settings: settings });
        return (await result.json()) as T[];
      } catch (error) {
        throw toWarehouseError(error, query);
      }
    },
    async command(query: string, params?: Record<string, unknown>, settings?: ClickHouseSettings) {
      try {
        await client.command({ query, query_params: params, clickhouse_settings: settings });
      } catch (error) {
        throw toWarehouseError(error, query);
      }
    },
    async text(query: string, format: string, params?: Record<string, unknown>, settings?: ClickHouseSettings) {
      try {
        const result = await client.query({ query, format: format as never, query_params: params, clickhouse_settings: settings });
        return await result.text();
      } catch (error) {
        throw toWarehouseError(error, query);
      }
    },
    async insertRaw(table: string, format: string, body: string | Buffer, settings?: ClickHouseSettings) {
      try {
        if (rawInsert) {
          await rawInsert({ table: quoteIdentifier(table), values: typeof body === 'string' ? Buffer.from(body) : body, format, settings: settings as never });
        } else {
          // The body as it is: `insert` would encode a JSON format's chunks again, as rows.
          const result = await client.exec({
            query: `INSERT INTO ${quoteIdentifier(table)} FORMAT ${format}`,
            values: Readable.from([typeof body === 'string' ? Buffer.from(body) : body]),
            clickhouse_settings: settings,
          });
          result.stream.resume();
        }
      } catch (error) {
        throw toWarehouseError(error, `INSERT INTO ${table} FORMAT ${format}`);
      }
    },
    async close() {
      await client.close();
      if (kind === 'embedded') {
        // libchdb binds one data directory per process; wait until the engine has
        // really let go so the next directory can be opened.
        const { drainPending } = await import('chdb');
        await drainPending();
      }
    },
  };
}

export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `not a valid identifier: ${JSON.stringify(name)}`);
  return name;
}
