export { getKafkaEventLog } from './kafka-event-log.ts';
export { kafkaEventLogDefaults, topicSpec, tlsOptions, type KafkaEventLogOptions, type KafkaSaslMechanism, type TopicSpec } from './config.ts';
export { ensureTopics, type TopicOutcome } from './topics.ts';
