/**
 * What the adapters' option parsers check alike: one shape of message naming
 * the field, and the topic names Kafka allows (which also make safe folder names).
 */
import { ContinuityError } from '../errors/registry.ts';

export const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

export interface OptionChecks {
  invalid(field: string, reason: string): never;
  integerIn(field: string, value: number, min: number, max: number): number;
  /** A topic Kafka accepts that is also a folder name (not "." or ".."). */
  topicName(topic: string): string;
}

/** The checks, their messages starting with `subject` (e.g. "Kafka event log"). */
export function optionChecks(subject: string): OptionChecks {
  const checks: OptionChecks = {
    invalid(field, reason) {
      throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `${subject}: ${field} ${reason}`, { details: { field } });
    },
    integerIn(field, value, min, max) {
      if (!Number.isInteger(value) || value < min || value > max) checks.invalid(field, `must be an integer from ${min} to ${max}, got ${value}`);
      return value;
    },
    topicName(topic) {
      if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..') checks.invalid('topic', `must match ${TOPIC_NAME} and not be "." or "..", got ${JSON.stringify(topic)}`);
      return topic;
    },
  };
  return checks;
}
