import { optionChecks, type OptionChecks } from '../options.ts';

export interface EmbeddedEventLogOptions {
  /** The log's own directory, e.g. `<dataDir>/log`; each topic is a folder in it. Required. */
  dir: string;
  /** The named log (a folder of `dir`). Letters, digits, `.`, `_`, `-` as in Kafka. Default `continuity.events.v1`. */
  topic?: string;
  /** Partitions of a log created by `init()`. Default 8. Fixed at creation: a log
   * reopened with another count keeps its stored count and warns, because moving
   * keys between partitions would break the per-key order already on disk. */
  partitions?: number;
  /** A segment file is closed and a new one started once the next record would
   * make it larger than this (a single larger record gets a segment of its own).
   * Default 256 MiB. */
  segmentBytes?: number;
  /** fdatasync every append before acknowledging it, and fsync directories after
   * creating files. Default true; false only for tests and benchmarks, since an
   * acknowledged record may then be lost with the machine. */
  fsync?: boolean;
  /** How often a caught-up consumer looks for new records when no in-process
   * append wakes it. Default 200 ms. */
  pollIntervalMs?: number;
  /** Bytes of records between two entries of a segment's sparse offset index:
   * smaller seeks closer, larger keeps the index smaller. Default 16 KiB. */
  indexIntervalBytes?: number;
  /** Receives recovery and configuration warnings (torn tails cut, stale locks
   * taken over, partition count kept). Default: one line on stderr. */
  onWarning?: (message: string) => void;
}

export const embeddedEventLogDefaults = {
  topic: 'continuity.events.v1',
  partitions: 8,
  segmentBytes: 256 * 1024 * 1024,
  fsync: true,
  pollIntervalMs: 200,
  indexIntervalBytes: 16 * 1024,
} as const;

export interface ResolvedEmbeddedEventLogOptions {
  dir: string;
  topic: string;
  partitions: number;
  /** Whether `partitions` came from the caller rather than the default. */
  partitionsGiven: boolean;
  segmentBytes: number;
  fsync: boolean;
  pollIntervalMs: number;
  indexIntervalBytes: number;
  onWarning: (message: string) => void;
}

// Index positions are u32-sized offsets within one segment.
const MAX_SEGMENT_BYTES = 2 ** 31;
const check: OptionChecks = optionChecks('embedded event log');

export function resolveEmbeddedEventLogOptions(options: EmbeddedEventLogOptions): ResolvedEmbeddedEventLogOptions {
  if (typeof options?.dir !== 'string' || options.dir.length === 0) check.invalid('dir', 'is required (the log directory, e.g. <data-dir>/log)');
  const d = embeddedEventLogDefaults;
  const topic = check.topicName(options.topic ?? d.topic);
  return {
    dir: options.dir,
    topic,
    partitions: check.integerIn('partitions', options.partitions ?? d.partitions, 1, 4096),
    partitionsGiven: options.partitions !== undefined,
    segmentBytes: check.integerIn('segmentBytes', options.segmentBytes ?? d.segmentBytes, 1024, MAX_SEGMENT_BYTES),
    fsync: options.fsync ?? d.fsync,
    pollIntervalMs: check.integerIn('pollIntervalMs', options.pollIntervalMs ?? d.pollIntervalMs, 1, 60_000),
    indexIntervalBytes: check.integerIn('indexIntervalBytes', options.indexIntervalBytes ?? d.indexIntervalBytes, 64, 64 * 1024 * 1024),
    onWarning: options.onWarning ?? ((message) => process.stderr.write(`continuity: ${message}\n`)),
  };
}
