import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { optionChecks, TOPIC_NAME, type OptionChecks } from '../options.ts';

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaEventLogOptions {
  /** Bootstrap brokers, `host:port`. Required. */
  brokers: string[];
  /** The topic. Letters, digits, `.`, `_`, `-`. Default `continuity.events.v1`. */
  topic?: string;
  /** Client id the brokers see in their logs and quotas. Default `continuity`. */
  clientId?: string;
  /** Partitions of the topic when `init()` creates it. Default 8. An existing
   * topic keeps its count: keys are hashed over the count the topic has. */
  partitions?: number;
  /** Replicas of each partition when `init()` creates the topic; -1 takes the
   * brokers' `default.replication.factor`. Default -1. */
  replicationFactor?: number;
  /** `retention.ms` of a topic `init()` creates; -1 keeps records forever (the
   * log is the source of truth and replays start from offset 0). Default -1. */
  retentionMs?: number;
  /** Create the topic in `init()` when it does not exist. Default true; false
   * makes a missing topic an error (topics made by `continuity topics create`). */
  createTopic?: boolean;
  /** TLS to the brokers: true, or Node TLS options (e.g. `{ ca }`). Default off. */
  ssl?: boolean | ConnectionOptions;
  /** SASL authentication. Default none. */
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
  /** Milliseconds to open a connection. Default 3,000. */
  connectionTimeoutMs?: number;
  /** Milliseconds before a request is given up. Default 30,000. */
  requestTimeoutMs?: number;
  /** Compression of produced batches: `gzip` or `none`. Default gzip (the codec
   * every Kafka client reads without plug-ins). */
  compression?: 'gzip' | 'none';
  /** Upper bound of record bytes (keys + values) per partition in one produce
   * request, under the brokers' `message.max.bytes` (1 MiB by default) even
   * uncompressed. Default 768 KiB. */
  maxRequestPartitionBytes?: number;
  /** A member not heard from for this long is removed from its group and its
   * partitions reassigned. Default 30,000 ms. */
  sessionTimeoutMs?: number;
  /** How often a member tells the coordinator it is alive, also while a batch
   * is being processed. Default 3,000 ms; under a third of the session timeout. */
  heartbeatIntervalMs?: number;
  /** How long the coordinator waits for members to rejoin in a rebalance. Default 60,000 ms. */
  rebalanceTimeoutMs?: number;
  /** Longest wait of a fetch for new records before it returns empty. Default 500 ms. */
  maxWaitTimeMs?: number;
  /** How long a group leader waits before it sends the partition assignment.
   * Default 0. Kafka answers a member's SyncGroup whenever it comes; librdkafka's
   * mock cluster settles the rebalance when the leader's assignment arrives and
   * refuses the members whose SyncGroup comes later (each refusal costs a
   * rejoin and another rebalance), so the tests give the others a head start. */
  leaderSyncDelayMs?: number;
  /** kafkajs log lines at or above this level go to `onWarning`. Default `error`. */
  logLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
  /** Receives warnings (broker answers checked and corrected, partition counts kept, client errors). Default: a line on stderr. */
  onWarning?: (message: string) => void;
}

export const kafkaEventLogDefaults = {
  topic: 'continuity.events.v1',
  clientId: 'continuity',
  partitions: 8,
  replicationFactor: -1,
  retentionMs: -1,
  createTopic: true,
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 30_000,
  compression: 'gzip',
  maxRequestPartitionBytes: 768 * 1024,
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  rebalanceTimeoutMs: 60_000,
  maxWaitTimeMs: 500,
  leaderSyncDelayMs: 0,
  logLevel: 'error',
} as const;

export interface ResolvedKafkaEventLogOptions {
  brokers: string[];
  topic: string;
  clientId: string;
  partitions: number;
  partitionsGiven: boolean;
  replicationFactor: number;
  retentionMs: number;
  createTopic: boolean;
  ssl: boolean | ConnectionOptions | undefined;
  sasl: KafkaEventLogOptions['sasl'];
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  compression: 'gzip' | 'none';
  maxRequestPartitionBytes: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  maxWaitTimeMs: number;
  leaderSyncDelayMs: number;
  logLevel: NonNullable<KafkaEventLogOptions['logLevel']>;
  onWarning: (message: string) => void;
}

const BROKER = /^[^\s:,]+:\d{1,5}$/;
const check: OptionChecks = optionChecks('Kafka event log');

export function resolveKafkaEventLogOptions(options: KafkaEventLogOptions): ResolvedKafkaEventLogOptions {
  const d = kafkaEventLogDefaults;
  if (!Array.isArray(options?.brokers) || options.brokers.length === 0) check.invalid('brokers', 'must list at least one broker (host:port)');
  for (const b of options.brokers) if (!BROKER.test(b)) check.invalid('brokers', `must be host:port, got ${JSON.stringify(b)}`);
  const topic = check.topicName(options.topic ?? d.topic);
  const sessionTimeoutMs = check.integerIn('sessionTimeoutMs', options.sessionTimeoutMs ?? d.sessionTimeoutMs, 1_000, 3_600_000);
  const heartbeatIntervalMs = check.integerIn('heartbeatIntervalMs', options.heartbeatIntervalMs ?? Math.min(d.heartbeatIntervalMs, Math.floor(sessionTimeoutMs / 3)), 10, 3_600_000);
  if (heartbeatIntervalMs >= sessionTimeoutMs) check.invalid('heartbeatIntervalMs', `must be below sessionTimeoutMs (${sessionTimeoutMs}), got ${heartbeatIntervalMs}`);
  const compression = options.compression ?? d.compression;
  if (compression !== 'gzip' && compression !== 'none') check.invalid('compression', `must be gzip or none, got ${JSON.stringify(compression)}`);
  const logLevel = options.logLevel ?? d.logLevel;
  if (!['nothing', 'error', 'warn', 'info', 'debug'].includes(logLevel)) check.invalid('logLevel', `must be nothing, error, warn, info or debug, got ${JSON.stringify(logLevel)}`);
  const sasl = options.sasl;
  if (sasl) {
    if (!['plain', 'scram-sha-256', 'scram-sha-512'].includes(sasl.mechanism)) check.invalid('sasl.mechanism', `must be plain, scram-sha-256 or scram-sha-512, got ${JSON.stringify(sasl.mechanism)}`);
    if (!sasl.username) check.invalid('sasl.username', 'is required with SASL');
  }
  const replicationFactor = options.replicationFactor ?? d.replicationFactor;
  if (replicationFactor !== -1) check.integerIn('replicationFactor', replicationFactor, 1, 32);
  const retentionMs = options.retentionMs ?? d.retentionMs;
  if (retentionMs !== -1) check.integerIn('retentionMs', retentionMs, 1, Number.MAX_SAFE_INTEGER);
  return {
    brokers: [...options.brokers],
    topic,
    clientId: options.clientId ?? d.clientId,
    partitions: check.integerIn('partitions', options.partitions ?? d.partitions, 1, 4096),
    partitionsGiven: options.partitions !== undefined,
    replicationFactor,
    retentionMs,
    createTopic: options.createTopic ?? d.createTopic,
    ssl: options.ssl,
    sasl,
    connectionTimeoutMs: check.integerIn('connectionTimeoutMs', options.connectionTimeoutMs ?? d.connectionTimeoutMs, 1, 600_000),
    requestTimeoutMs: check.integerIn('requestTimeoutMs', options.requestTimeoutMs ?? d.requestTimeoutMs, 1, 3_600_000),
    compression,
    maxRequestPartitionBytes: check.integerIn('maxRequestPartitionBytes', options.maxRequestPartitionBytes ?? d.maxRequestPartitionBytes, 1024, 64 * 1024 * 1024),
    sessionTimeoutMs,
    heartbeatIntervalMs,
    rebalanceTimeoutMs: check.integerIn('rebalanceTimeoutMs', options.rebalanceTimeoutMs ?? d.rebalanceTimeoutMs, 1_000, 3_600_000),
    maxWaitTimeMs: check.integerIn('maxWaitTimeMs', options.maxWaitTimeMs ?? d.maxWaitTimeMs, 0, 60_000),
    leaderSyncDelayMs: check.integerIn('leaderSyncDelayMs', options.leaderSyncDelayMs ?? d.leaderSyncDelayMs, 0, 60_000),
    logLevel,
    onWarning: options.onWarning ?? ((message) => process.stderr.write(`continuity: kafka: ${message}\n`)),
  };
}

/** TLS options from the environment-level settings: on/off and an optional CA file. */
export function tlsOptions(ssl: boolean | undefined, caFile: string | undefined): boolean | ConnectionOptions | undefined {
  if (caFile) return { ca: [readFileSync(caFile, 'utf8')] };
  return ssl ? true : undefined;
}

/**
 * What `continuity topics create` and `init()` ask the brokers for: the events
 * topic and the dead-letter topic are both kept forever (`retention.ms=-1`,
 * `retention.bytes=-1`), since they are the source of truth for replays.
 */
export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configEntries: { name: string; value: string }[];
}

export function topicSpec(topic: string, partitions: number, options: { replicationFactor?: number; retentionMs?: number } = {}): TopicSpec {
  if (!TOPIC_NAME.test(topic)) check.invalid('topic', `must match ${TOPIC_NAME}, got ${JSON.stringify(topic)}`);
  check.integerIn('partitions', partitions, 1, 4096);
  const retentionMs = options.retentionMs ?? kafkaEventLogDefaults.retentionMs;
  return {
    topic,
    numPartitions: partitions,
    replicationFactor: options.replicationFactor ?? kafkaEventLogDefaults.replicationFactor,
    configEntries: [
      { name: 'retention.ms', value: String(retentionMs) },
      { name: 'retention.bytes', value: '-1' },
      { name: 'cleanup.policy', value: 'delete' },
      // The broker's clock, as the port defines a record's timestamp ("when the
      // log accepted it") and as the embedded log stamps it: resets to a time
      // then mean the same on both, whatever clocks the producers have.
      { name: 'message.timestamp.type', value: 'LogAppendTime' },
    ],
  };
}
