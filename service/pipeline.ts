/**
 * Assembles the pipeline from configuration: the event logs (embedded or Kafka),
 * the warehouse (chDB or a server), the catalog, the ingestor and the loaders.
 * Every command goes through here, so the embedded default and the distributed
 * deployment share one code path.
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { EventLog } from '../event-log/event-log.ts';
import { getEmbeddedEventLog } from '../event-log/embedded/index.ts';
import { getKafkaEventLog, tlsOptions, type KafkaEventLogOptions } from '../event-log/kafka/index.ts';
import type { FrozenConfig } from '../config/config.ts';
import { ContinuityError } from '../errors/registry.ts';
import { createIngestor, type Ingestor } from '../ingest/accept.ts';
import { adaptiveValidation } from '../ingest/validation/index.ts';
import { deadLetterLoaderDefaults, startDeadLetterLoader } from '../processors/dead-letter-loader/index.ts';
import { startEventsLoader } from '../processors/events-loader/index.ts';
import { waitUntilIdle, type Loader } from '../processors/loader.ts';
import { loadCatalog, type Catalog } from '../schemas/index.ts';
import { getWarehouse, migrate, type Warehouse, type WarehouseOptions } from '../warehouse/index.ts';
import { lockDataDir, type DataDirLock } from './data-dir.ts';

export interface OpenOptions {
  /** Open the event logs. Default true. */
  logs?: boolean;
  /** Open the warehouse (and apply pending migrations). Default true. */
  warehouse?: boolean;
  /** What the lock file says the owner is doing. */
  purpose: string;
}

export interface Pipeline {
  readonly config: FrozenConfig;
  readonly catalog: Catalog;
  readonly log: EventLog;
  readonly deadLetters: EventLog;
  readonly warehouse: Warehouse;
  readonly ingestor: Ingestor;
  /** Worker threads validating large inputs: 0 until the first one arrives (see `ingest.validationThreads`). */
  readonly validationThreads: number;
  startProcessors(): Promise<Processors>;
  close(): Promise<void>;
}

export interface Processors {
  readonly events: Loader;
  readonly deadLetters: Loader;
  /** Runs `fn` with both loaders stopped (their batches in flight settled), then starts them again: a replay's swap. */
  paused<T>(fn: () => Promise<T>): Promise<T>;
  /** Resolves once both groups have committed everything in their logs. */
  untilIdle(onProgress?: (lag: number) => void): Promise<void>;
  stop(): Promise<void>;
}

function usesLocalState(config: FrozenConfig) {
  return config.log.kind === 'embedded' || !config.clickhouse.url;
}

/** What every Kafka client of the pipeline shares: brokers, TLS, SASL, group timing. */
export function kafkaOptions(config: FrozenConfig): KafkaEventLogOptions {
  const k = config.kafka;
  return {
    brokers: [...(k.brokers ?? [])],
    clientId: k.clientId,
    ssl: tlsOptions(k.ssl, k.sslCaFile),
    sasl: k.saslMechanism ? { mechanism: k.saslMechanism, username: k.saslUsername ?? '', password: k.saslPassword ?? '' } : undefined,
    sessionTimeoutMs: k.sessionTimeoutMs,
    heartbeatIntervalMs: k.heartbeatIntervalMs,
    replicationFactor: k.replicationFactor,
    createTopic: k.createTopics,
    leaderSyncDelayMs: k.leaderSyncDelayMs,
  };
}

export async function openEventLogs(config: FrozenConfig): Promise<{ log: EventLog; deadLetters: EventLog }> {
  if (config.log.kind === 'kafka') {
    const options = kafkaOptions(config);
    const log = getKafkaEventLog({ ...options, topic: config.log.topic, partitions: config.log.partitions });
    const deadLetters = getKafkaEventLog({ ...options, topic: config.log.deadLetterTopic, partitions: 1 });
    try {
      await Promise.all([log.init(), deadLetters.init()]);
    } catch (error) {
      await Promise.allSettled([log.close(), deadLetters.close()]);
      throw error;
    }
    return { log, deadLetters };
  }
  const dir = join(resolve(config.dataDir), 'log');
  const log = getEmbeddedEventLog({ dir, topic: config.log.topic, partitions: config.log.partitions, fsync: config.log.fsync });
  const deadLetters = getEmbeddedEventLog({ dir, topic: config.log.deadLetterTopic, partitions: 1, fsync: config.log.fsync });
  await log.init();
  try {
    await deadLetters.init();
  } catch (error) {
    await log.close();
    throw error;
  }
  return { log, deadLetters };
}

/** The warehouse the configuration names: the data directory's embedded one, or the server of CLICKHOUSE_URL. */
export function warehouseOptions(config: FrozenConfig): WarehouseOptions {
  return {
    path: join(resolve(config.dataDir), 'warehouse'),
    url: config.clickhouse.url,
    username: config.clickhouse.username,
    password: config.clickhouse.password,
    accessToken: config.clickhouse.accessToken,
    database: config.clickhouse.database,
    cluster: config.clickhouse.cluster,
  };
}

export async function openWarehouse(config: FrozenConfig): Promise<Warehouse> {
  if (config.clickhouse.cluster && !config.clickhouse.url) {
    throw new ContinuityError('CONT_ERR_CONFIG_INVALID', 'CLICKHOUSE_CLUSTER names a cluster of a ClickHouse server: set CLICKHOUSE_URL too (the embedded warehouse is one node)');
  }
  const warehouse = await getWarehouse(warehouseOptions(config));
  await migrate(warehouse, undefined, { cluster: config.clickhouse.cluster });
  return warehouse;
}

function unavailable(what: string): never {
  throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `${what} was not opened for this command`);
}

export async function openPipeline(config: FrozenConfig, options: OpenOptions): Promise<Pipeline> {
  const lock: DataDirLock | null = usesLocalState(config) ? lockDataDir(config.dataDir, options.purpose) : null;
  let logs: { log: EventLog; deadLetters: EventLog } | null = null;
  let warehouse: Warehouse | null = null;
  try {
    const catalog = loadCatalog({ extraOrgsFile: config.orgCatalogFile });
    if (options.logs !== false) logs = await openEventLogs(config);
    if (options.warehouse !== false) warehouse = await openWarehouse(config);
    const running: Processors[] = [];
    const validation = adaptiveValidation(catalog, {
      extraOrgsFile: config.orgCatalogFile,
      // Asked when the first large input arrives. With the processors in this
      // process, the main thread (appends and the loader's copying) and the
      // engine need the other core: a worker per core there is as fast and
      // costs a thread's memory (~100 MB on the benchmark).
      size: () => config.ingest.validationThreads ?? Math.max(1, availableParallelism() - (running.length > 0 ? 1 : 0)),
    });
    const ingestor = logs ? createIngestor({ log: logs.log, deadLetters: logs.deadLetters, catalog, validation }) : null;

    const pipeline: Pipeline = {
      config,
      catalog,
      get log() {
        return logs?.log ?? unavailable('the event log');
      },
      get deadLetters() {
        return logs?.deadLetters ?? unavailable('the dead-letter log');
      },
      get warehouse() {
        return warehouse ?? unavailable('the warehouse');
      },
      get ingestor() {
        return ingestor ?? unavailable('the event log');
      },
      get validationThreads() {
        return validation.threads;
      },
      async startProcessors() {
        let failure: unknown = null;
        const start = async () => {
          // Started together: joining a Kafka consumer group takes its coordinator a few seconds.
          const started = await Promise.allSettled([
            startEventsLoader({
              log: pipeline.log,
              deadLetters: pipeline.deadLetters,
              warehouse: pipeline.warehouse,
              catalog,
              groupId: config.processor.groupId,
              batchRecords: config.processor.batchRecords,
            }),
            startDeadLetterLoader({ deadLetters: pipeline.deadLetters, warehouse: pipeline.warehouse }),
          ]);
          const refused = started.find((s) => s.status === 'rejected');
          if (refused) {
            await Promise.allSettled(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
            throw refused.reason;
          }
          const [events, deadLetters] = started.map((s) => (s as PromiseFulfilledResult<Loader>).value);
          events.subscription.done.catch((e) => (failure ??= e));
          deadLetters.subscription.done.catch((e) => (failure ??= e));
          return { events, deadLetters };
        };
        let loaders = await start();
        const processors: Processors = {
          get events() {
            return loaders.events;
          },
          get deadLetters() {
            return loaders.deadLetters;
          },
          async paused(fn) {
            await Promise.all([loaders.events.stop(), loaders.deadLetters.stop()]);
            try {
              return await fn();
            } finally {
              // New loaders, so their staging tables follow a table the swap replaced.
              loaders = await start();
            }
          },
          async untilIdle(onProgress) {
            // Events first: loading them may dead-letter records, which the
            // dead-letter loader then has to catch up with.
            await waitUntilIdle(pipeline.log, config.processor.groupId, { failed: () => failure, onProgress });
            await waitUntilIdle(pipeline.deadLetters, deadLetterLoaderDefaults.groupId, { failed: () => failure });
          },
          async stop() {
            await Promise.all([loaders.events.stop(), loaders.deadLetters.stop()]);
          },
        };
        running.push(processors);
        return processors;
      },
      async close() {
        await Promise.allSettled(running.map((p) => p.stop()));
        await validation.close();
        await Promise.allSettled([logs?.log.close(), logs?.deadLetters.close()]);
        await warehouse?.close();
        lock?.release();
      },
    };
    return pipeline;
  } catch (error) {
    await Promise.allSettled([logs?.log.close(), logs?.deadLetters.close(), warehouse?.close()]);
    lock?.release();
    throw error;
  }
}
