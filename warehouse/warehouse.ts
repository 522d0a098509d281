/**
 * The warehouse port: one `@clickhouse/client` for every ClickHouse access.
 * Embedded default: chDB in-process (`chdb/connection`) in `<data-dir>/warehouse`.
 * With `url` set: a ClickHouse server over HTTP. No other code path differs.
 */
import { createReadStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { ContinuityError } from '../errors/registry.ts';
import { guardChdbConnection } from './chdb-guard.ts';
import { clusterIdentifier } from './cluster-ddl.ts';
import { quoteString } from './sql-literal.ts';

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
  /**
   * Embedded: connections to the engine that run staged inserts, beside the
   * one that runs queries. The engine runs one statement of a connection at a
   * time; inserts on two connections overlap, one parsing on both cores while
   * the other writes its part, about a sixth faster than one after another.
   * Default 2.
   */
  insertConnections?: number;
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
  /** Insert a body already in `format` (JSONEachRow lines, TSV …), given whole or
   * as consecutive pieces: parsed by ClickHouse's own (parallel) parser. */
  insertRaw(table: string, format: string, body: string | Buffer | readonly Buffer[], settings?: ClickHouseSettings): Promise<void>;
  /** A file to stage rows in for one later insert (see `StagedInsert`). */
  stage(format: string): Promise<StagedInsert>;
  /** Staged inserts worth running at once (embedded: `insertConnections`; a server takes them as they come: 2). */
  readonly parallelInserts: number;
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
  let stager: Stager;
  let kind: Warehouse['kind'];
  let database: string;
  let parallelInserts = 2;
  let inserters: ClickHouseClient[] = [];
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
    stager = serverStager(client, join(tmpdir(), 'continuity-staging'));
  } else {
    kind = 'embedded';
    database = options.database ?? 'default';
    const path = resolve(options.path ?? './data/warehouse');
    mkdirSync(path, { recursive: true });
    // ClickHouse's allocator keeps freed pages for 5 s (its default for a
    // server that owns the machine); in a process that also runs the pipeline
    // that is a few hundred MiB resident and unused between inserts. Read once,
    // when the engine loads; a value set by the operator is kept.
    process.env.JE_MALLOC_CONF ??= EMBEDDED_ALLOCATOR_CONF;
    // Loaded lazily: a server deployment never needs the native engine.
    const { createChdbConnection } = await import('chdb/connection');
    const connect = () => createClient({ connection: guardChdbConnection(createChdbConnection({ path })) as never });
    client = connect();
    parallelInserts = Math.max(1, options.insertConnections ?? 2);
    inserters = Array.from({ length: parallelInserts }, connect);
    stager = embeddedStager(client, inserters, join(path, '_inserts'));
  }
  return wrap(client, kind, database, stager, parallelInserts, inserters);
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

/**
 * Rows written to a local file ahead of one insert: a loader stages its
 * batches as they come (their memory freed at once) and inserts them together.
 * The file is transient (the log is what is durable) and removed by `discard`.
 */
export interface StagedInsert {
  /** Bytes staged so far. */
  readonly size: number;
  /** Appends `pieces`, written in call order; resolves with the range they took. */
  append(pieces: readonly Buffer[]): Promise<{ from: number; to: number }>;
  /** The bytes of [from, to) (a batch read back after its insert was refused). */
  read(from: number, to: number): Promise<Buffer>;
  /** One insert of everything staged. */
  insert(table: string, settings?: ClickHouseSettings): Promise<void>;
  discard(): Promise<void>;
}

type Stager = (format: string) => Promise<StagedInsert>;
let stagers = 0;

/**
 * Stages into `dir`; `insertFile` inserts the finished file. On chDB that is
 * `INSERT … SELECT FROM file()`: ClickHouse's file reader parses on all cores,
 * several times faster than a body passed inline.
 */
function fileStager(dir: string, insertFile: (path: string, format: string, table: string, settings?: ClickHouseSettings) => Promise<void>): Stager {
  mkdirSync(dir, { recursive: true });
  for (const stale of readdirSync(dir)) if (!isLiveOwner(stale)) rmSync(join(dir, stale), { force: true });
  const instance = ++stagers;
  let n = 0;
  return async (format) => {
    const path = join(dir, `${process.pid}-${instance}-${++n}.${format.toLowerCase()}`);
    // Read as well as written: a refused insert's batches are read back to find the refused row.
    const file = await open(path, 'w+');
    let size = 0;
    let tail: Promise<unknown> = Promise.resolve();
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await tail.catch(() => {});
      await file.close();
    };
    return {
      get size() {
        return size;
      },
      append(pieces) {
        const from = size;
        const bytes = pieces.reduce((total, b) => total + b.length, 0);
        size += bytes;
        const write = tail.then(async () => {
          // Pieces written as they are: several consumers' batches are never copied into one buffer.
          for (let i = 0; i < pieces.length; i += 512) {
            const some = pieces.slice(i, i + 512) as Buffer[];
            const want = some.reduce((total, b) => total + b.length, 0);
            const { bytesWritten } = await file.writev(some);
            if (bytesWritten < want) await file.write(Buffer.concat(some).subarray(bytesWritten));
          }
          return { from, to: from + bytes };
        });
        tail = write;
        return write;
      },
      async read(from, to) {
        await tail;
        const buf = Buffer.allocUnsafe(to - from);
        let got = 0;
        while (got < buf.length) {
          const { bytesRead } = await file.read(buf, got, buf.length - got, from + got);
          if (bytesRead === 0) throw new ContinuityError('CONT_ERR_WAREHOUSE_QUERY', `staged insert ${path}: ${buf.length - got} bytes missing`);
          got += bytesRead;
        }
        return buf;
      },
      async insert(table, settings) {
        await tail;
        await insertFile(path, format, table, settings);
      },
      async discard() {
        await close();
        await rm(path, { force: true });
      },
    };
  };
}

/** Staging files are named `<pid>-<stager>-<n>`: those of a process that is gone are stale. */
function isLiveOwner(name: string): boolean {
  const pid = Number(name.split('-')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `T` for every `LowCardinality(T)` in a type (`Array(LowCardinality(String))` → `Array(String)`). */
export function withoutLowCardinality(type: string): string {
  for (let at = type.indexOf('LowCardinality('); at >= 0; at = type.indexOf('LowCardinality(')) {
    const open = at + 'LowCardinality('.length;
    let depth = 1;
    let close = open;
    while (depth > 0 && close < type.length) {
      if (type[close] === '(') depth++;
      else if (type[close] === ')') depth--;
      close++;
    }
    type = type.slice(0, at) + type.slice(open, close - 1) + type.slice(close);
  }
  return type;
}

/** How a file in `format` is read for one table: the columns it fills, what is selected for them, and the file's structure. */
export interface InputShape {
  columns: string;
  select: string;
  structure: string;
}

/**
 * The file's structure is the table's, read in the cheapest form that
 * converts exactly to it (a fifth less insert CPU on `events`, measured):
 *   - `LowCardinality(T)` is read as `T`: the parallel parsers each building
 *     a dictionary cost more than one conversion of the finished block.
 *   - A `JSON` column of a JSON format is read as its object's text, which
 *     the insert converts: one parse of the object, where the format's reader
 *     went field by field into `Dynamic` values. An absent or null object is
 *     `{}` (`ifNull`: a `String` converts faster than a `Nullable`), and
 *     anything but an object is refused, as with the JSON reader.
 */
export function inputShape(cols: readonly { name: string; type: string }[], format: string): InputShape {
  const jsonFormat = /^JSON/i.test(format);
  const isJson = (type: string) => jsonFormat && /^JSON(\(|$)/.test(type);
  const names = cols.map((c) => quoteIdentifier(c.name));
  return {
    columns: names.join(', '),
    select: cols.map((c, i) => (isJson(c.type) ? `ifNull(${names[i]}, '{}')` : names[i])).join(', '),
    structure: cols.map((c, i) => `${names[i]} ${isJson(c.type) ? 'Nullable(String)' : withoutLowCardinality(c.type)}`).join(', '),
  };
}

/** Columns an input provides: not MATERIALIZED/ALIAS, and not DEFAULT, whose expression must run when the input leaves them out. */
function inputColumns(client: ClickHouseClient) {
  const shapes = new Map<string, Promise<InputShape>>();
  return (table: string, format: string) => {
    const key = `${table}\n${format}`;
    let s = shapes.get(key);
    if (!s) {
      s = client
        .query({ query: `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String} AND default_kind = '' ORDER BY position`, query_params: { t: table }, format: 'JSONEachRow' })
        .then((r) => r.json<{ name: string; type: string }>())
        .then((cols) => inputShape(cols, format));
      s.catch(() => shapes.delete(key));
      shapes.set(key, s);
    }
    return s;
  };
}

/**
 * Each insert goes to the insert connection with the fewest running. Its
 * arguments are written into the statement, not bound as parameters: chDB runs
 * every parameterized statement of the process one after another (its
 * parameter state is shared), which would put the inserts back in one line.
 */
function embeddedStager(client: ClickHouseClient, inserters: ClickHouseClient[], dir: string): Stager {
  const structureOf = inputColumns(client);
  const running = inserters.map(() => 0);
  return fileStager(dir, async (path, format, table, settings) => {
    const { columns, select, structure } = await structureOf(table, format);
    const i = running.indexOf(Math.min(...running));
    running[i]++;
    try {
      await inserters[i].command({
        query: `INSERT INTO ${table} (${columns}) SELECT ${select} FROM file(${quoteString(path)}, ${quoteString(format)}, ${quoteString(structure)})`,
        clickhouse_settings: {
          // Objects read as their text is what `inputShape` counts on, whatever the defaults become.
          input_format_json_read_objects_as_strings: 1,
          // Two inserts parse at once: 4 MiB chunks instead of 10 hold less of
          // their files in memory (about 25 MiB less at the peak of 8,000,000
          // events, measured), for the same speed.
          min_chunk_bytes_for_parallel_parsing: String(4 * 1024 * 1024),
          ...settings,
        },
      });
    } finally {
      running[i]--;
    }
  });
}

function serverStager(client: ClickHouseClient, dir: string): Stager {
  return fileStager(dir, async (path, format, table, settings) => {
    // The body as it is: `insert` would encode a JSON format's chunks again, as rows.
    const result = await client.exec({ query: `INSERT INTO ${table} FORMAT ${format}`, values: createReadStream(path), clickhouse_settings: settings });
    result.stream.resume();
  });
}

function wrap(client: ClickHouseClient, kind: Warehouse['kind'], database: string, stager: Stager, parallelInserts: number, inserters: ClickHouseClient[]): Warehouse {
  const stage = async (format: string): Promise<StagedInsert> => {
    const staged = await stager(format);
    return {
      get size() {
        return staged.size;
      },
      append: (pieces) => staged.append(pieces),
      read: (from, to) => staged.read(from, to),
      async insert(table, settings) {
        try {
          await staged.insert(quoteIdentifier(table), settings);
        } catch (error) {
          throw toWarehouseError(error, `INSERT INTO ${table} FORMAT ${format}`);
        }
      },
      discard: () => staged.discard(),
    };
  };
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
    async insertRaw(table: string, format: string, body: string | Buffer | readonly Buffer[], settings?: ClickHouseSettings) {
      const staged = await stage(format);
      try {
        await staged.append(typeof body === 'string' ? [Buffer.from(body)] : Buffer.isBuffer(body) ? [body] : body);
        await staged.insert(table, settings);
      } finally {
        await staged.discard();
      }
    },
    stage,
    parallelInserts,
    async close() {
      await Promise.all(inserters.map((c) => c.close()));
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

/** `2020-01-23 17:02:03.000`: how an instant (ms) is written for a DateTime64(3, 'UTC') column, read without guessing. */
/** jemalloc options of the embedded engine: freed pages go back after 250 ms instead of 5 s. */
export const EMBEDDED_ALLOCATOR_CONF = 'dirty_decay_ms:250';

export function toClickHouseDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
}

export function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `not a valid identifier: ${JSON.stringify(name)}`);
  return name;
}
