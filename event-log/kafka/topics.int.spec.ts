/**
 * `continuity topics create` against librdkafka's mock cluster. The mock does
 * not implement CreateTopics, so what the brokers are asked for is checked as
 * the command prints it (--dry-run), and against the mock the command is seen
 * to leave existing topics alone and to report a refusal clearly.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { runCliAsync } from '../../test-support/cli.ts';
import { kafkaMockAvailability, startKafkaMock, type KafkaMock } from '../../test-support/kafka-mock/index.ts';

const retainedForever = [
  { name: 'retention.ms', value: '-1' },
  { name: 'retention.bytes', value: '-1' },
  { name: 'cleanup.policy', value: 'delete' },
  { name: 'message.timestamp.type', value: 'LogAppendTime' },
];

describe('continuity topics create', () => {
  it('asks for the events topic with its partitions and the dead-letter topic, both kept forever', async () => {
    const run = await runCliAsync(['topics', 'create', '--dry-run', '--partitions', '12', '--replication-factor', '3'], {
      env: { CONTINUITY_TOPIC: 'prod.events', CONTINUITY_DEAD_LETTER_TOPIC: 'prod.deadletters' },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      topics: [
        { topic: 'prod.events', numPartitions: 12, replicationFactor: 3, configEntries: retainedForever },
        { topic: 'prod.deadletters', numPartitions: 1, replicationFactor: 3, configEntries: retainedForever },
      ],
    });
    const defaults = await runCliAsync(['topics', 'create', '--dry-run']);
    assert.deepEqual(
      (JSON.parse(defaults.stdout) as { topics: { topic: string; numPartitions: number; replicationFactor: number }[] }).topics.map((t) => [t.topic, t.numPartitions, t.replicationFactor]),
      [
        ['continuity.events.v1', 8, -1],
        ['continuity.deadletters.v1', 1, -1],
      ],
    );
  });

  it('refuses to run without brokers', async () => {
    const run = await runCliAsync(['topics', 'create']);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /CONT_ERR_CONFIG_INVALID: no Kafka brokers given/);
  });

  const available = kafkaMockAvailability();
  describe('against the mock cluster', { skip: available.skip }, () => {
    let kafka: KafkaMock;
    before(async () => (kafka = await startKafkaMock()));
    after(() => kafka?.stop());
    const names = () => {
      const tag = randomBytes(3).toString('hex');
      return { CONTINUITY_TOPIC: `t-${tag}.events`, CONTINUITY_DEAD_LETTER_TOPIC: `t-${tag}.deadletters` };
    };

    it('leaves topics that exist as they are, saying how many partitions they have', async () => {
      const env = names();
      await kafka.createTopic(env.CONTINUITY_TOPIC, 6);
      await kafka.createTopic(env.CONTINUITY_DEAD_LETTER_TOPIC, 1);
      const run = await runCliAsync(['topics', 'create', '--kafka-brokers', kafka.brokers.join(','), '--partitions', '8'], { env });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(run.stdout.trim().split('\n'), [
        `exists  ${env.CONTINUITY_TOPIC}: 6 partition(s) (not the 8 asked for: a topic keeps its count, as keys are hashed over it); left as it is`,
        `exists  ${env.CONTINUITY_DEAD_LETTER_TOPIC}: 1 partition(s); left as it is`,
      ]);
    });

    it('reports a broker that does not create a missing topic (the mock has no CreateTopics), naming the topic', async () => {
      const env = names();
      await kafka.createTopic(env.CONTINUITY_DEAD_LETTER_TOPIC, 1);
      const run = await runCliAsync(['topics', 'create', '--kafka-brokers', kafka.brokers.join(',')], { env });
      assert.equal(run.status, 1);
      assert.match(run.stderr, new RegExp(`CONT_ERR_LOG_TOPIC_MISSING: the brokers did not create ${env.CONTINUITY_TOPIC.replace('.', '\\.')}:`));
    });
  });
});
