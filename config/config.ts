/**
 * Configuration, parsed once at start-up from flags and environment, frozen.
 * An invalid value fails fast with the field, the reason and the allowed values.
 */
import { z } from 'zod';
import { ContinuityError } from '../errors/registry.ts';

const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

export const configSchema = z.object({
  /** Root of everything the embedded default stores. Default `./data`. */
  dataDir: z.string().min(1).default('./data'),
  http: z
    .object({
      /** Interface the service listens on. Default 127.0.0.1. */
      host: z.string().min(1).default('127.0.0.1'),
      /** Port of the service. Default 8080; 0 picks a free one. */
      port: z.coerce.number().int().min(0).max(65535).default(8080),
      /** Largest accepted request body, bytes. Default 16 MiB. */
      bodyLimitBytes: z.coerce.number().int().min(1024).default(16 * 1024 * 1024),
      /** Most events (NDJSON lines or array elements) in one ingest request. Default 10,000. */
      maxEventsPerRequest: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
      /** Events per second each token may send on average; 0 turns the limit off. Default 20,000. */
      rateEventsPerSecond: z.coerce.number().min(0).default(20_000),
      /** Events a token may send at once. Default 100,000. */
      rateBurst: z.coerce.number().int().min(1).default(100_000),
    })
    .prefault({}),
  auth: z
    .object({
      /** Tokens file (JSON or YAML list of { name, sha256, orgs, scopes }), re-read when it changes. */
      tokensFile: z.string().min(1).optional(),
      /** The same list inline. */
      tokens: z.string().min(1).optional(),
      /** Serve without tokens when none are configured: a developer's machine only. Default false. */
      insecureDev: bool.default(false),
    })
    .prefault({}),
  clickhouse: z
    .object({
      /** A ClickHouse server (http://host:8123). Absent: embedded chDB in `<dataDir>/warehouse`. */
      url: z.url().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      /** Bearer token instead of user and password: a service token with the `operate` scope for the service's /clickhouse gateway. */
      accessToken: z.string().min(1).optional(),
      database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier').optional(),
      /** A cluster of the server's remote_servers: migrations make ReplicatedMergeTree tables behind Distributed ones, ON CLUSTER. */
      cluster: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a cluster name of the server (remote_servers)').optional(),
    })
    .prefault({}),
  log: z
    .object({
      /** Where the event log lives: the embedded log in `<dataDir>/log`, or Kafka. Default embedded. */
      kind: z.enum(['embedded', 'kafka']).default('embedded'),
      /** Topic of validated events. Default continuity.events.v1. */
      topic: z.string().min(1).default('continuity.events.v1'),
      /** Topic of rejected raw input. Default continuity.deadletters.v1. */
      deadLetterTopic: z.string().min(1).default('continuity.deadletters.v1'),
      /** Partitions of a newly created events log (default 8). An existing log keeps its own count. */
      partitions: z.coerce.number().int().min(1).max(1024).optional(),
      /** fsync each appended batch before acknowledging. Default true; false only for throwaway data. */
      fsync: bool.default(true),
    })
    .prefault({}),
  kafka: z
    .object({
      /** Comma-separated bootstrap brokers; setting it selects the Kafka log. */
      brokers: z.array(z.string().min(1)).optional(),
      /** Client id the brokers log and apply quotas to. Default continuity. */
      clientId: z.string().default('continuity'),
      /** TLS to the brokers. Default false. */
      ssl: bool.default(false),
      /** PEM file of the CA that signed the brokers' certificates; implies TLS. */
      sslCaFile: z.string().min(1).optional(),
      /** SASL mechanism; absent: no SASL. */
      saslMechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
      saslUsername: z.string().optional(),
      saslPassword: z.string().optional(),
      /** A processor not heard from for this long loses its partitions to the others. Default 30,000 ms. */
      sessionTimeoutMs: z.coerce.number().int().min(1000).default(30_000),
      /** Heartbeat of a processor, also during a warehouse write. Default: a third of the session timeout, at most 3,000 ms. */
      heartbeatIntervalMs: z.coerce.number().int().min(10).optional(),
      /** Replicas of a topic the pipeline creates; -1 takes the brokers' default. Default -1. */
      replicationFactor: z.coerce.number().int().min(-1).max(32).default(-1),
      /** Create a missing topic when the pipeline starts. Default true; false requires `continuity topics create` first. */
      createTopics: bool.default(true),
      /** Wait of a group leader before it sends the assignment. Default 0; see event-log/kafka/config.ts (for librdkafka's mock cluster). */
      leaderSyncDelayMs: z.coerce.number().int().min(0).max(60_000).default(0),
    })
    .prefault({}),
  ingest: z
    .object({
      /** Worker threads that validate large inputs. Default: the cores, one fewer when the warehouse processors run in the same process (they and the engine need a core of their own); 0 validates on the main thread. */
      validationThreads: z.coerce.number().int().min(0).max(256).optional(),
    })
    .prefault({}),
  processor: z
    .object({
      /** Consumer group of the warehouse processors. Default continuity-warehouse. */
      groupId: z.string().min(1).default('continuity-warehouse'),
      /** Most events written to ClickHouse in one insert; two inserts run at once on the embedded warehouse. Default 150,000 (bigger inserts parse faster; memory stays bounded because batches are staged in a file, not held, and the engine holds two inserts' blocks). */
      batchRecords: z.coerce.number().int().min(1).max(1_000_000).default(150_000),
    })
    .prefault({}),
  sql: z
    .object({
      /** Most rows a read by an analyst or a dashboard panel may return; more fails the query. Default 1,000,000. */
      maxRows: z.coerce.number().int().min(1).default(1_000_000),
      /** Most seconds such a read may run. Default 60. */
      timeLimitSeconds: z.coerce.number().positive().max(86_400).default(60),
    })
    .prefault({}),
  /** JSON file of extra orgs merged into the built-in catalog. */
  orgCatalogFile: z.string().optional(),
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

type DeepReadonly<T> = { readonly [K in keyof T]: T[K] extends object ? DeepReadonly<T[K]> : T[K] };

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value as DeepReadonly<T>;
}

/** What the environment contributes; flags given explicitly win over it. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ConfigInput {
  const pick = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const brokers = pick('KAFKA_BROKERS');
  return {
    dataDir: pick('CONTINUITY_DATA_DIR'),
    http: {
      host: pick('CONTINUITY_HOST'),
      port: pick('CONTINUITY_PORT') as never,
      bodyLimitBytes: pick('CONTINUITY_BODY_LIMIT_BYTES') as never,
      maxEventsPerRequest: pick('CONTINUITY_MAX_EVENTS_PER_REQUEST') as never,
      rateEventsPerSecond: pick('CONTINUITY_RATE_EVENTS_PER_SECOND') as never,
      rateBurst: pick('CONTINUITY_RATE_BURST') as never,
    },
    auth: { tokensFile: pick('CONTINUITY_TOKENS_FILE'), tokens: pick('CONTINUITY_TOKENS') },
    clickhouse: {
      url: pick('CLICKHOUSE_URL'),
      username: pick('CLICKHOUSE_USER'),
      password: pick('CLICKHOUSE_PASSWORD'),
      accessToken: pick('CLICKHOUSE_ACCESS_TOKEN'),
      database: pick('CLICKHOUSE_DATABASE'),
      cluster: pick('CLICKHOUSE_CLUSTER'),
    },
    ingest: { validationThreads: pick('CONTINUITY_VALIDATION_THREADS') as never },
    log: {
      partitions: pick('CONTINUITY_LOG_PARTITIONS') as never,
      fsync: pick('CONTINUITY_LOG_FSYNC') as never,
      topic: pick('CONTINUITY_TOPIC'),
      deadLetterTopic: pick('CONTINUITY_DEAD_LETTER_TOPIC'),
    },
    kafka: {
      brokers: brokers ? brokers.split(',').map((b) => b.trim()).filter(Boolean) : undefined,
      clientId: pick('KAFKA_CLIENT_ID'),
      ssl: pick('KAFKA_SSL') as never,
      sslCaFile: pick('KAFKA_SSL_CA_FILE'),
      saslMechanism: pick('KAFKA_SASL_MECHANISM') as never,
      saslUsername: pick('KAFKA_SASL_USERNAME'),
      saslPassword: pick('KAFKA_SASL_PASSWORD'),
      sessionTimeoutMs: pick('KAFKA_SESSION_TIMEOUT_MS') as never,
      heartbeatIntervalMs: pick('KAFKA_HEARTBEAT_INTERVAL_MS') as never,
      replicationFactor: pick('KAFKA_REPLICATION_FACTOR') as never,
      createTopics: pick('KAFKA_CREATE_TOPICS') as never,
      leaderSyncDelayMs: pick('KAFKA_LEADER_SYNC_DELAY_MS') as never,
    },
    sql: { maxRows: pick('CONTINUITY_SQL_MAX_ROWS') as never, timeLimitSeconds: pick('CONTINUITY_SQL_TIME_LIMIT_SECONDS') as never },
    orgCatalogFile: pick('CONTINUITY_ORG_CATALOG'),
  };
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (base && over && typeof base === 'object' && typeof over === 'object' && !Array.isArray(over)) {
    const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
    for (const [k, v] of Object.entries(over)) if (v !== undefined) out[k] = merge(out[k], v);
    return out;
  }
  return over;
}

export function loadConfig(flags: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): DeepReadonly<Config> {
  const input = merge(configFromEnv(env), flags) as ConfigInput;
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const reasons = parsed.error.issues.map((i) => `${i.path.join('.') || '$'}: ${i.message}`).join('; ');
    throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `invalid configuration: ${reasons}`);
  }
  const config = parsed.data;
  if (config.kafka.brokers && config.kafka.brokers.length > 0) config.log.kind = 'kafka';
  return deepFreeze(config);
}

export type FrozenConfig = DeepReadonly<Config>;
