import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isContinuityError } from '../../errors/registry.ts';
import { kafkaEventLogDefaults, resolveKafkaEventLogOptions, topicSpec } from './config.ts';

const invalid = (field: string) => (e: unknown) => isContinuityError(e, 'CONT_ERR_CONFIG_INVALID') && (e.details as { field: string }).field === field;

describe('Kafka event log options', () => {
  it('fills every default', () => {
    const o = resolveKafkaEventLogOptions({ brokers: ['kafka:9092'] });
    assert.deepEqual(
      { ...o, onWarning: typeof o.onWarning },
      {
        brokers: ['kafka:9092'],
        topic: 'continuity.events.v1',
        clientId: 'continuity',
        partitions: 8,
        partitionsGiven: false,
        replicationFactor: -1,
        retentionMs: -1,
        createTopic: true,
        ssl: undefined,
        sasl: undefined,
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
        onWarning: 'function',
      },
    );
    assert.equal(kafkaEventLogDefaults.topic, o.topic);
  });

  it('keeps the heartbeat under the session timeout', () => {
    assert.equal(resolveKafkaEventLogOptions({ brokers: ['k:1'], sessionTimeoutMs: 4_000 }).heartbeatIntervalMs, 1_333);
    assert.throws(() => resolveKafkaEventLogOptions({ brokers: ['k:1'], sessionTimeoutMs: 4_000, heartbeatIntervalMs: 4_000 }), invalid('heartbeatIntervalMs'));
  });

  it('refuses what a broker would refuse later, naming the field', () => {
    assert.throws(() => resolveKafkaEventLogOptions({ brokers: [] }), invalid('brokers'));
    assert.throws(() => resolveKafkaEventLogOptions({ brokers: ['kafka'] }), invalid('brokers'));
    assert.throws(() => resolveKafkaEventLogOptions({ brokers: ['k:1'], topic: 'a/b' }), invalid('topic'));
    assert.throws(() => resolveKafkaEventLogOptions({ brokers: ['k:1'], partitions: 0 }), invalid('partitions'));
    assert.throws(() => resolveKafkaEventLogOptions({ brokers: ['k:1'], compression: 'zstd' as never }), invalid('compression'));
    assert.throws(() => resolveKafkaEventLogOptions({ brokers: ['k:1'], sasl: { mechanism: 'gssapi' as never, username: 'u', password: 'p' } }), invalid('sasl.mechanism'));
    assert.throws(() => resolveKafkaEventLogOptions({ brokers: ['k:1'], replicationFactor: 0 }), invalid('replicationFactor'));
  });

  it('asks for topics kept forever, stamped by the brokers', () => {
    assert.deepEqual(topicSpec('continuity.events.v1', 12, { replicationFactor: 3 }), {
      topic: 'continuity.events.v1',
      numPartitions: 12,
      replicationFactor: 3,
      configEntries: [
        { name: 'retention.ms', value: '-1' },
        { name: 'retention.bytes', value: '-1' },
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'message.timestamp.type', value: 'LogAppendTime' },
      ],
    });
  });
});
