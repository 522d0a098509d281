/**
 * The event-log contract on Kafka, against librdkafka's mock cluster (the real
 * wire protocol on loopback). Topics are created through the mock's API, as
 * the mock does not implement CreateTopics.
 */
import { after, before, describe } from 'node:test';
import { kafkaMockAvailability, startKafkaMock, type KafkaMock } from '../../test-support/kafka-mock/index.ts';
import { testEventLogContract } from '../event-log.contract.ts';
import { getKafkaEventLog } from './index.ts';

const available = kafkaMockAvailability();

describe('Kafka event log', { skip: available.skip }, () => {
  let kafka: KafkaMock;
  const created = new Set<string>();
  before(async () => (kafka = await startKafkaMock()));
  after(() => kafka?.stop());

  const options = () => ({
    brokers: kafka.brokers,
    createTopic: false,
    // Short sessions: the mock waits a session timeout less a second for
    // members to rejoin in every rebalance, and a killed member is noticed
    // after one session timeout. Not under 3 s: the mock holds a new group's
    // first join that long and drops a member whose session ends meanwhile.
    sessionTimeoutMs: 4_000,
    heartbeatIntervalMs: 250,
    // The mock refuses a member's SyncGroup that comes after the leader's.
    leaderSyncDelayMs: 300,
    maxWaitTimeMs: 100,
    logLevel: 'error' as const,
  });

  testEventLogContract(
    'kafka',
    async (topic, o) => {
      const partitions = o?.partitions ?? 4;
      if (!created.has(topic)) {
        await kafka.createTopic(topic, partitions);
        created.add(topic);
      }
      return getKafkaEventLog({ ...options(), topic, partitions });
    },
    // Concurrently: most of the time goes to waiting for the mock's group
    // coordinator (3 s before a new group's first assignment).
    { memberProcess: () => ({ adapter: 'kafka', options: options() }), concurrency: 4, timeoutMs: 20_000 },
  );
});
