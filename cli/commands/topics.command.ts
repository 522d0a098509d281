import type { Command } from 'commander';
import { ContinuityError } from '../../errors/registry.ts';
import { ensureTopics, kafkaEventLogDefaults, topicSpec } from '../../event-log/kafka/index.ts';
import { kafkaOptions } from '../../service/pipeline.ts';
import { configFrom, withCommon, type CommonFlags } from '../common.ts';

interface TopicsFlags extends CommonFlags {
  deadLetterPartitions?: string;
  replicationFactor?: string;
  dryRun?: boolean;
}

export function register(program: Command) {
  const topics = program.command('topics').description('the Kafka topics of the event log');

  withCommon(topics.command('create'))
    .description('create the events topic and the dead-letter topic, kept forever (retention.ms=-1); existing topics are left as they are')
    .option('--dead-letter-partitions <n>', 'partitions of the dead-letter topic (default 1)')
    .option('--replication-factor <n>', 'replicas of each partition; -1 takes the brokers\' default (env KAFKA_REPLICATION_FACTOR, default -1)')
    .option('--dry-run', 'print the topics and settings it would ask for, without connecting')
    .action(async (flags: TopicsFlags) => {
      const config = configFrom(flags, {
        kafka: { replicationFactor: flags.replicationFactor as never },
      });
      const replicationFactor = config.kafka.replicationFactor;
      const specs = [
        topicSpec(config.log.topic, config.log.partitions ?? kafkaEventLogDefaults.partitions, { replicationFactor }),
        topicSpec(config.log.deadLetterTopic, flags.deadLetterPartitions === undefined ? 1 : Number(flags.deadLetterPartitions), { replicationFactor }),
      ];
      if (flags.dryRun) {
        console.log(JSON.stringify({ topics: specs }, null, 2));
        return;
      }
      if (config.log.kind !== 'kafka') {
        throw new ContinuityError('CONT_ERR_CONFIG_INVALID', 'no Kafka brokers given: set --kafka-brokers or KAFKA_BROKERS (or use --dry-run)');
      }
      const outcomes = await ensureTopics(kafkaOptions(config), specs);
      for (const [i, outcome] of outcomes.entries()) {
        const asked = specs[i];
        if (outcome.created) {
          const replicas = asked.replicationFactor === -1 ? "the brokers' default replication factor" : `replication factor ${asked.replicationFactor}`;
          console.log(`created ${outcome.topic}: ${outcome.partitions} partition(s), ${replicas}, retention.ms=-1`);
        } else {
          const note = outcome.partitions !== asked.numPartitions ? ` (not the ${asked.numPartitions} asked for: a topic keeps its count, as keys are hashed over it)` : '';
          console.log(`exists  ${outcome.topic}: ${outcome.partitions} partition(s)${note}; left as it is`);
        }
      }
    });
}
