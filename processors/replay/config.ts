/**
 * What a replay is asked to do: where in the log it starts and which
 * projections it rebuilds. Parsed from the command line or an HTTP body.
 */
import { ContinuityError } from '../../errors/registry.ts';

/** Projections a replay can rebuild: the table, and the log it is built from. */
export const REPLAY_TABLES = ['events', 'dead_letters'] as const;
export type ReplayTable = (typeof REPLAY_TABLES)[number];

export type FromPosition =
  | { kind: 'earliest' }
  /** Log (ingestion) time, ms since the epoch: the first record the log accepted at or after it. */
  | { kind: 'timestamp'; timestamp: number }
  /** One partition of the events log from an offset; the other partitions are copied as they are. */
  | { kind: 'offset'; partition: number; offset: number };

export interface ReplayOptions {
  /** Default earliest. */
  from?: FromPosition;
  /** Default both: `events` from the events log, `dead_letters` from the dead-letter log. */
  tables?: readonly ReplayTable[];
  /** Records per insert into the shadow tables. Default 150,000, as the live processor. */
  batchRecords?: number;
}

export const replayDefaults = {
  from: { kind: 'earliest' } as FromPosition,
  tables: REPLAY_TABLES,
  batchRecords: 150_000,
  /** Consumer groups of a replay: `<prefix><id>-<table>`. */
  groupPrefix: 'continuity-replay-',
  /** How often progress is measured while building, ms. */
  progressMs: 250,
} as const;

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function invalid(text: string): never {
  throw new ContinuityError(
    'CONT_ERR_CONFIG_INVALID',
    `--from: ${JSON.stringify(text)} is not a position (expected earliest, an ISO-8601 time with an offset such as 2020-01-24T00:00:00+08:00, a date such as 2020-01-24 (00:00 China Standard Time), or <partition>:<offset> such as 3:1200)`,
  );
}

/** `earliest`, `2020-01-24T00:00:00+08:00`, `2020-01-24` (CST midnight) or `3:1200`. */
export function parseFromPosition(text: string): FromPosition {
  const value = text.trim();
  if (value === '' || value === 'earliest' || value === 'beginning') return { kind: 'earliest' };
  const at = /^(\d+):(\d+)$/.exec(value);
  if (at) return { kind: 'offset', partition: Number(at[1]), offset: Number(at[2]) };
  if (DATE_ONLY.test(value) || DATE_TIME.test(value)) {
    // Days are calendar days in China Standard Time throughout the project.
    const timestamp = Date.parse(DATE_ONLY.test(value) ? `${value}T00:00:00+08:00` : value);
    if (Number.isFinite(timestamp)) return { kind: 'timestamp', timestamp };
  }
  return invalid(text);
}

export function formatFromPosition(from: FromPosition): string {
  switch (from.kind) {
    case 'earliest':
      return 'earliest';
    case 'timestamp':
      return new Date(from.timestamp).toISOString();
    case 'offset':
      return `${from.partition}:${from.offset}`;
  }
}

export function parseReplayTables(text: string): ReplayTable[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(REPLAY_TABLES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `--tables: ${JSON.stringify(text)}: expected a comma-separated list of ${REPLAY_TABLES.join(', ')}`);
  }
  return REPLAY_TABLES.filter((t) => names.includes(t));
}
