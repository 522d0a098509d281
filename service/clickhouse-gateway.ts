/**
 * The embedded warehouse over ClickHouse's HTTP interface, at `/clickhouse`.
 *
 * chDB runs inside the service, and one data directory belongs to one process;
 * this is how other processes reach it: processors (`continuity process
 * --clickhouse-url http://host:8080/clickhouse`), migrations, any ClickHouse
 * HTTP client. It speaks the part of the interface `@clickhouse/client` uses:
 *
 *   GET  /clickhouse/ping                        → "Ok."
 *   POST /clickhouse/?query=…  body              query in the URL, data (INSERT) in the body
 *   POST /clickhouse/          body              the query in the body
 *   GET  /clickhouse/?query=…                    a query in the URL alone
 *   URL: settings (name=value), param_<name>=…, database, default_format, query_id
 *   headers: X-ClickHouse-Format, X-ClickHouse-Database, Content-Encoding gzip/deflate/br
 *   answer: X-ClickHouse-Summary, X-ClickHouse-Format, X-ClickHouse-Query-Id;
 *           errors as ClickHouse writes them (`Code: N. DB::Exception: … (TYPE)`,
 *           X-ClickHouse-Exception-Code), so clients parse them as from a server
 *
 * Requests run one at a time on a chDB session of the gateway's own: chDB
 * keeps a query's settings in its session, so each request's settings are put
 * back to their defaults after it, and the pipeline's own session never sees
 * them. A request asking for `readonly` runs on a read-only session instead.
 * Access: the `operate` scope (it writes to the warehouse); `/ping` is open.
 */
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { guardChdbConnection } from '../warehouse/chdb-guard.ts';
import { quoteString } from '../warehouse/sql-literal.ts';

export interface ClickHouseGatewayOptions {
  /** chDB data directory of the service's warehouse (already open in this process). */
  path: string;
  /** Largest request body (an INSERT's rows), bytes. Default 512 MiB. */
  bodyLimitBytes?: number;
}

/**
 * A chDB session of its own on the service's data directory: not
 * `getWarehouse`, whose opening clears the directory's insert files that the
 * pipeline's session may be using at that moment.
 */
async function openSession(path: string): Promise<ClickHouseClient> {
  const { createChdbConnection } = await import('chdb/connection');
  return createClient({ connection: guardChdbConnection(createChdbConnection({ path })) as never });
}

/** Reported to clients so that `getWarehouse({ url })` uses the service's database when none is configured. */
export const GATEWAY_DATABASE_HEADER = 'x-continuity-database';

/** URL parameters of ClickHouse's HTTP interface that are not settings. */
const NOT_SETTINGS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'compress',
  'decompress',
  'user',
  'password',
  'quota_key',
  'buffer_size',
  'role',
]);

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Parsed {
  sql: string;
  /** The statement without data that follows it (an INSERT's rows). */
  queryPart: string;
  format: string;
  settings: Record<string, string>;
  params: Record<string, string>;
  queryId: string;
  database: string | null;
}

/** ClickHouse's error text and code, the way its HTTP interface answers. */
class GatewayError extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
    readonly status = 500,
  ) {
    super(message);
  }
}

const STATUS_BY_TYPE: Record<string, number> = {
  SYNTAX_ERROR: 400,
  UNKNOWN_TABLE: 404,
  UNKNOWN_DATABASE: 404,
  UNKNOWN_IDENTIFIER: 400,
  UNKNOWN_SETTING: 400,
  READONLY: 403,
  ACCESS_DENIED: 403,
  TIMEOUT_EXCEEDED: 500,
};

function asGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const e = error as { code?: unknown; type?: unknown; message?: string };
  const code = Number(e?.code);
  if (Number.isInteger(code) && typeof e.type === 'string') {
    return new GatewayError(code, e.type, (e.message ?? '').trim(), STATUS_BY_TYPE[e.type] ?? 500);
  }
  return new GatewayError(1002, 'UNKNOWN_EXCEPTION', e?.message ?? String(error));
}

const decoders: Record<string, (b: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

async function bodyText(request: FastifyRequest): Promise<string> {
  let body = request.body as Buffer | undefined;
  if (!body || body.length === 0) return '';
  const encoding = String(request.headers['content-encoding'] ?? '').toLowerCase().trim();
  if (encoding && encoding !== 'identity') {
    const decode = decoders[encoding];
    if (!decode) throw new GatewayError(1002, 'UNKNOWN_EXCEPTION', `unsupported Content-Encoding ${encoding}; send gzip, deflate, br or none`, 400);
    body = await decode(body);
  }
  return body.toString('utf8');
}

async function parse(request: FastifyRequest): Promise<Parsed> {
  const url = new URL(request.url, 'http://gateway');
  const q = url.searchParams;
  const inUrl = q.get('query') ?? '';
  const body = await bodyText(request);
  // As ClickHouse: with the query in the URL, the body is the data that follows it.
  const sql = inUrl ? (body ? `${inUrl}\n${body}` : inUrl) : body;
  if (sql.trim() === '') throw new GatewayError(62, 'SYNTAX_ERROR', 'Empty query', 400);
  const settings: Record<string, string> = {};
  const params: Record<string, string> = {};
  for (const [name, value] of q) {
    if (name.startsWith('param_')) params[name.slice('param_'.length)] = value;
    else if (!NOT_SETTINGS.has(name)) {
      if (!SETTING_NAME.test(name)) throw new GatewayError(115, 'UNKNOWN_SETTING', `Setting ${name} is neither a builtin setting nor started with the prefix 'custom_'`, 400);
      settings[name] = value;
    }
  }
  const headerFormat = request.headers['x-clickhouse-format'];
  const headerDatabase = request.headers['x-clickhouse-database'];
  return {
    sql,
    queryPart: inUrl || body,
    format: q.get('default_format') ?? (typeof headerFormat === 'string' ? headerFormat : 'TabSeparated'),
    settings,
    params,
    queryId: q.get('query_id') ?? randomUUID(),
    database: q.get('database') ?? (typeof headerDatabase === 'string' ? headerDatabase : null),
  };
}

/** SQL string literal of `text`, unescaping to exactly `text`. */

/** `{name:Type}` placeholders of the query part (quoted strings left out). */
function placeholders(query: string): Set<string> {
  const names = new Set<string>();
  const unquoted = query.replace(/'(?:[^'\\]|\\.)*'/gs, "''");
  for (const m of unquoted.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:[^{}]+\}/g)) names.add(m[1]);
  return names;
}

/**
 * Parameters as ClickHouse's HTTP interface takes them: `param_<name>` values
 * are the text of the value in the Escaped format, parsed as the placeholder's
 * type. chDB's own binder escapes again what it is given, so the values are
 * set as query parameters of the session instead, where the engine parses
 * exactly this text. The session keeps them, so a placeholder this request
 * does not set is refused here as a server would, not filled from an earlier one.
 */
function withParameters(p: Parsed): string {
  for (const name of placeholders(p.queryPart)) {
    if (!(name in p.params)) throw new GatewayError(456, 'UNKNOWN_QUERY_PARAMETER', `Substitution \`${name}\` is not set`, 400);
  }
  const names = Object.keys(p.params);
  if (names.length === 0) return p.sql;
  for (const name of names) if (!SETTING_NAME.test(name)) throw new GatewayError(456, 'UNKNOWN_QUERY_PARAMETER', `Invalid query parameter name ${name}`, 400);
  return `SET ${names.map((name) => `param_${name} = ${quoteString(p.params[name])}`).join(', ')};\n${p.sql}`;
}

const CONTENT_TYPES: [RegExp, string][] = [
  [/^JSON(EachRow|Lines|StringsEachRow|CompactEachRow)/i, 'application/x-ndjson; charset=UTF-8'],
  [/^JSON/i, 'application/json; charset=UTF-8'],
  [/^CSV/i, 'text/csv; charset=UTF-8; header=absent'],
  [/^(TabSeparated|TSV)/i, 'text/tab-separated-values; charset=UTF-8'],
];

function contentType(format: string) {
  return CONTENT_TYPES.find(([re]) => re.test(format))?.[1] ?? 'text/plain; charset=UTF-8';
}

/** One chDB session whose requests run one after another, each with its own settings. */
class GatewaySession {
  private chain: Promise<unknown> = Promise.resolve();
  private opened: Promise<{ client: ClickHouseClient; database: string }> | null = null;

  constructor(
    private readonly path: string,
    /** Run once when the session opens (e.g. making it read-only). */
    private readonly setup?: string,
  ) {}

  private session() {
    this.opened ??= openSession(this.path).then(async (client) => {
      if (this.setup) await client.command({ query: this.setup });
      const result = await client.query({ query: 'SELECT currentDatabase() AS db', format: 'JSONEachRow' });
      const [row] = await result.json<{ db: string }>();
      return { client, database: row.db };
    });
    this.opened.catch(() => (this.opened = null));
    return this.opened;
  }

  /** The database the session's unqualified names resolve in. */
  async database(): Promise<string> {
    return (await this.session()).database;
  }

  run(p: Parsed): Promise<{ output: Buffer; summary: unknown }> {
    const step = this.chain.then(() => this.execute(p));
    this.chain = step.catch(() => {});
    return step;
  }

  private async execute(p: Parsed): Promise<{ output: Buffer; summary: unknown }> {
    const { client } = await this.session();
    const { readonly: _readonly, ...requested } = p.settings;
    const settings: Record<string, string> = { ...requested, default_format: p.format };
    try {
      const result = await client.exec({
        query: withParameters(p),
        query_id: p.queryId,
        clickhouse_settings: settings as never,
      });
      const chunks: Buffer[] = [];
      for await (const chunk of result.stream) chunks.push(chunk as Buffer);
      return { output: Buffer.concat(chunks), summary: (result as { summary?: unknown }).summary ?? {} };
    } finally {
      const changed = Object.keys(requested);
      if (changed.length > 0) {
        // Put the session back as it was; the next request starts from the defaults.
        await client.command({ query: `SET ${changed.map((name) => `${name} = DEFAULT`).join(', ')}` }).catch(() => {});
      }
    }
  }

  async close() {
    await this.chain;
    const opened = this.opened;
    this.opened = null;
    if (opened) await (await opened.catch(() => null))?.client.close();
    // The process's chDB stays open: the pipeline's session still owns the directory.
  }
}

export const clickhouseGateway: FastifyPluginAsync<ClickHouseGatewayOptions> = async (app, options) => {
  const writable = new GatewaySession(options.path);
  // readonly = 2: reads, and settings per query; what a caller asking for readonly gets.
  const readOnly = new GatewaySession(options.path, 'SET readonly = 2');
  // Opened now, before anyone calls: a failure shows at start-up, not at the first request.
  const database = await writable.database();
  app.addHook('onClose', async () => {
    await Promise.all([writable.close(), readOnly.close()]);
  });

  // The body is the query or the data, whatever its declared type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: options.bodyLimitBytes ?? 512 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  const answer = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header(GATEWAY_DATABASE_HEADER, database);
    reply.header('x-clickhouse-server-display-name', 'continuity');
    let parsed: Parsed | null = null;
    try {
      parsed = await parse(request);
      if (parsed.database !== null && parsed.database !== database) {
        throw new GatewayError(81, 'UNKNOWN_DATABASE', `Database ${parsed.database} is not served here: this gateway serves the embedded warehouse's database ${database}`, 404);
      }
      const wantsReadOnly = parsed.settings.readonly !== undefined && parsed.settings.readonly !== '0';
      const { output, summary } = await (wantsReadOnly ? readOnly : writable).run(parsed);
      return reply
        .header('x-clickhouse-query-id', parsed.queryId)
        .header('x-clickhouse-format', parsed.format)
        .header('x-clickhouse-summary', JSON.stringify(summary))
        .type(contentType(parsed.format))
        .send(output);
    } catch (error) {
      const e = asGatewayError(error);
      return reply
        .code(e.status)
        .header('x-clickhouse-exception-code', String(e.code))
        .header('x-clickhouse-query-id', parsed?.queryId ?? '')
        .type('text/plain; charset=UTF-8')
        .send(`Code: ${e.code}. DB::Exception: ${e.message} (${e.type}) (version continuity-chdb)\n`);
    }
  };

  app.get('/ping', { config: { access: 'public' } }, async (_request, reply) => reply.type('text/plain; charset=UTF-8').send('Ok.\n'));
  app.get('/', { config: { access: 'operate' } }, async (request, reply) => {
    if (!new URL(request.url, 'http://gateway').searchParams.has('query')) return reply.type('text/plain; charset=UTF-8').send('Ok.\n');
    return answer(request, reply);
  });
  app.post('/', { config: { access: 'operate' } }, answer);
};
