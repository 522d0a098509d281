/**
 * A dead letter: rejected raw input kept with the reason, so nothing is silently
 * dropped. Stored in the dead-letter log (the source of truth, re-drivable) and
 * projected into the warehouse table `dead_letters`.
 */
import { randomUUID } from 'node:crypto';
import type { AppendRecord, LogRecord } from '../event-log/event-log.ts';
import type { FieldError } from '../schemas/index.ts';

export interface DeadLetter {
  id: string;
  /** ISO-8601 UTC instant of the rejection. */
  received_at: string;
  /** Where the input came from: `http`, `file:<name>`, `processor`, `redrive`. */
  origin: string;
  /** 1-based line (NDJSON) or element (JSON array) number in the submitted body. */
  line: number | null;
  errors: FieldError[];
  /** The errors as one sentence: `field: reason; field: reason`. */
  reason: string;
  /** The rejected input exactly as received. */
  raw: string;
}

export function newDeadLetter(input: { origin: string; line: number | null; errors: FieldError[]; raw: string }, now = new Date()): DeadLetter {
  return {
    id: randomUUID(),
    received_at: now.toISOString(),
    origin: input.origin,
    line: input.line,
    errors: input.errors,
    reason: input.errors.map((e) => `${e.field}: ${e.reason}`).join('; '),
    raw: input.raw,
  };
}

export function deadLetterRecord(letter: DeadLetter): AppendRecord {
  return { key: letter.origin, value: JSON.stringify(letter) };
}

export function parseDeadLetter(record: LogRecord): DeadLetter {
  return JSON.parse(record.value.toString('utf8')) as DeadLetter;
}
