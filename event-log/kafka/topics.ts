/**
 * Topic provisioning for `continuity topics create`: the events topic and the
 * dead-letter topic, with their partitions and retention (kept forever: the
 * log is the source of truth). Topics that exist are left as they are; a
 * topic's partition count is fixed once keys have been hashed over it.
 */
import { Kafka, logLevel } from 'kafkajs';
import { ContinuityError } from '../../errors/registry.ts';
import { resolveKafkaEventLogOptions, type KafkaEventLogOptions, type TopicSpec } from './config.ts';

export interface TopicOutcome {
  topic: string;
  /** False: it existed and was left as it is. */
  created: boolean;
  /** Partitions the topic has now. */
  partitions: number;
}

export async function ensureTopics(connection: KafkaEventLogOptions, specs: TopicSpec[]): Promise<TopicOutcome[]> {
  const o = resolveKafkaEventLogOptions(connection);
  const kafka = new Kafka({
    brokers: o.brokers,
    clientId: o.clientId,
    ssl: o.ssl,
    sasl: o.sasl as never,
    connectionTimeout: o.connectionTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      try {
        await admin.createTopics({ topics: missing, waitForLeaders: true });
      } catch (error) {
        throw new ContinuityError(
          'CONT_ERR_LOG_TOPIC_MISSING',
          `the brokers did not create ${missing.map((s) => s.topic).join(', ')}: ${(error as Error).message}; create them with the cluster's own tools and the settings \`continuity topics create --dry-run\` prints`,
          { cause: error, details: { topics: missing.map((s) => s.topic) } },
        );
      }
    }
    const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
    const partitions = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
    return specs.map((s) => ({ topic: s.topic, created: !existing.has(s.topic), partitions: partitions.get(s.topic) ?? 0 }));
  } catch (error) {
    if (error instanceof ContinuityError) throw error;
    throw new ContinuityError('CONT_ERR_LOG_UNAVAILABLE', `topics on ${o.brokers.join(',')}: ${(error as Error).message}`, { cause: error });
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
