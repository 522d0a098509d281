/**
 * Where a replay starts, per partition, using only the event-log port, so the
 * same code serves the embedded log and Kafka.
 */
import type { EventLog } from '../../event-log/event-log.ts';
import { ContinuityError } from '../../errors/registry.ts';
import type { FromPosition } from './config.ts';

/**
 * The first offset in [start, end) whose record the log accepted at or after
 * `timestamp`, or `end` when there is none. Log timestamps are append times, so
 * they do not decrease along a partition and a binary search finds it in
 * log2(n) single-record reads, without touching any consumer group.
 */
export async function offsetAtTimestamp(log: EventLog, partition: number, timestamp: number, start: number, end: number): Promise<number> {
  let lo = start;
  let hi = end;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const [record] = await log.read(partition, mid, 1);
    // A gap (compacted or deleted record) reads the next one there is.
    if (record === undefined) hi = mid;
    else if (record.timestamp >= timestamp) hi = mid;
    else lo = Math.max(mid, record.offset) + 1;
  }
  return lo;
}

export interface StartPositions {
  /** Per partition: the first offset still stored. */
  logStart: number[];
  /** Per partition: the next offset to be written, when planned. */
  end: number[];
  /** Per partition: the live group's committed offset. */
  liveCommitted: number[];
  /** Per partition: where the operator asked to start. */
  requested: number[];
  /**
   * Per partition: where the replay starts. Rows of the live table below it are
   * copied into the shadow table instead: the live processor has already loaded
   * them (never past its committed offset), or the log no longer holds them
   * (never before the log's first offset).
   */
  start: number[];
}

/**
 * `earliest` asks for the first stored offset of every partition, a timestamp
 * for the first record at or after it; `<partition>:<offset>` rebuilds that
 * partition from there and takes every other partition as the live table has
 * it. `applyTo` false (the dead-letter log with a partition:offset position)
 * takes every partition as the live table has it.
 */
export async function startPositions(log: EventLog, liveGroup: string, from: FromPosition, applyTo = true): Promise<StartPositions> {
  const [logStart, end, committed] = await Promise.all([log.startOffsets(), log.endOffsets(), log.committedOffsets(liveGroup)]);
  const liveCommitted = end.map((_, p) => committed.find((c) => c.partition === p)?.offset ?? 0);
  let requested: number[];
  if (!applyTo) requested = [...end];
  else if (from.kind === 'earliest') requested = [...logStart];
  else if (from.kind === 'timestamp') requested = await Promise.all(end.map((e, p) => offsetAtTimestamp(log, p, from.timestamp, logStart[p], e)));
  else {
    if (!Number.isInteger(from.partition) || from.partition < 0 || from.partition >= end.length) {
      throw new ContinuityError('CONT_ERR_OPERATION_INVALID', `--from: partition ${from.partition} does not exist (the log ${log.topic} has partitions 0 to ${end.length - 1})`);
    }
    if (from.offset < logStart[from.partition] || from.offset > end[from.partition]) {
      throw new ContinuityError(
        'CONT_ERR_LOG_OFFSET_OUT_OF_RANGE',
        `--from: offset ${from.offset} of partition ${from.partition} is outside the stored range ${logStart[from.partition]}..${end[from.partition]}`,
      );
    }
    requested = end.map((e, p) => (p === from.partition ? from.offset : e));
  }
  const start = requested.map((r, p) => Math.max(logStart[p], Math.min(r, liveCommitted[p])));
  return { logStart, end, liveCommitted, requested, start };
}
