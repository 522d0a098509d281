/**
 * The event-log port: the source of truth between ingest and the processors.
 *
 * Two adapters implement it: the embedded durable log (`getEmbeddedEventLog`,
 * the default, files in the data directory) and Kafka (`getKafkaEventLog`).
 * This file imports no adapter; `testEventLogContract(factory)` in
 * `event-log.contract.ts` is the one suite every adapter passes.
 *
 * Vocabulary follows Kafka so that both adapters mean the same thing:
 * a log has a fixed number of partitions; a record's offset is its position in
 * its partition; a consumer group's committed offset for a partition is the
 * offset of the next record it has not yet processed.
 */

/** A record handed to `append`. */
export interface AppendRecord {
  /** Partition key (org+region for events). Records with one key keep their order. */
  key: string;
  /** The payload, stored byte for byte. */
  value: Buffer | string;
  /** Small string metadata (Kafka headers). */
  headers?: Record<string, string>;
  /** Set to bypass the key hash (replays, tests). */
  partition?: number;
}

/** Where `append` put a record. Returned in the order the records were given. */
export interface AppendedRecord {
  partition: number;
  offset: number;
}

/** A record as read back from the log. */
export interface LogRecord {
  partition: number;
  offset: number;
  /** Milliseconds since the epoch at which the log accepted the record. */
  timestamp: number;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** A committed position of a consumer group in one partition. */
export interface CommittedOffset {
  partition: number;
  /** The next offset to process; 0 when nothing was committed. */
  offset: number;
  /** Free text stored with the commit (e.g. the range of a batch in flight). */
  metadata: string | null;
}

/**
 * Called by `RecordBatch.scan` for each record, in offset order: its value is
 * `buffer[start, end)`, valid only during the call (copy what you keep).
 */
export type ValueVisitor = (buffer: Buffer, start: number, end: number, index: number, offset: number, timestamp: number, headers: Readonly<Record<string, string>>) => void;

/** Records of one partition, in offset order, as delivered to a consumer. */
export interface RecordBatch {
  partition: number;
  records: LogRecord[];
  /** The group's committed position of this partition when the batch was read. */
  committed: CommittedOffset;
  /** The partition's end offset (next offset to be written) when the batch was read. */
  highWatermark: number;
  /** Offered by adapters that hold a batch's values in their own buffers (the
   * embedded log): every record's value where it lies, without a `LogRecord`
   * per record. `records[index]` is the same record. Bulk consumers (the
   * warehouse loaders) copy values straight into an insert with it.
   * `[from, to)` limits the visit to those indexes (default: every record), so
   * a consumer can scan a large batch in slices and let other work run
   * between them. Returns how many records the batch holds. */
  scan?(visit: ValueVisitor, from?: number, to?: number): number;
  /** Offered with `scan`: the consumer has copied what it needs, so the
   * batch's buffers can go before `eachBatch` settles (a bulk consumer keeps
   * batches in flight until their insert returns). `records` must not be read
   * afterwards; what is needed again is read from the log (`read`). */
  release?(): void;
}

export interface SubscribeOptions {
  groupId: string;
  /** Called with one partition's batch at a time; the next batch of that
   * partition is not delivered before the returned promise settles. A rejection
   * stops the subscription (the records stay uncommitted and are delivered again
   * to whoever consumes the partition next). */
  eachBatch: (batch: RecordBatch, consumer: GroupConsumer) => Promise<void>;
  /** Upper bound of records per batch. Default 10,000. */
  maxBatchRecords?: number;
  /** With `maxBatchWaitMs`: a batch smaller than this waits up to that long
   * for more records (Kafka's fetch.min.bytes / fetch.max.wait.ms), so a
   * consumer at the head of a busy log takes fewer, larger batches; a log
   * nobody appended to for as long is not waited on (the embedded log; Kafka
   * consumers batch by their fetch settings). Default 1. */
  minBatchRecords?: number;
  /** Longest wait for `minBatchRecords`, ms. Default 0 (deliver at once). */
  maxBatchWaitMs?: number;
  /** Called when partitions are taken from this member (rebalance, stop).
   * Work buffered for them must be dropped, not committed. */
  onPartitionsRevoked?: (partitions: number[]) => void | Promise<void>;
  onPartitionsAssigned?: (partitions: number[]) => void | Promise<void>;
}

/** What a group member uses to move its committed position. */
export interface GroupConsumer {
  /** Durably commit `offset` (the next one to process) for a partition this member holds. */
  commit(partition: number, offset: number, metadata?: string | null): Promise<void>;
}

export interface Subscription extends GroupConsumer {
  /** Partitions currently assigned to this member. */
  assignment(): number[];
  /** Stop consuming; resolves after the batch in progress has settled. */
  stop(): Promise<void>;
  /** Resolves when the subscription has stopped, rejects with the error that stopped it. */
  readonly done: Promise<void>;
}

export type OffsetResetTarget =
  | { to: 'earliest' }
  | { to: 'latest' }
  | { to: 'timestamp'; timestamp: number }
  | { to: 'offset'; partition: number; offset: number };

export interface EventLog {
  /** Adapter name for logs and metrics: 'embedded' or 'kafka'. */
  readonly kind: string;
  /** The topic (embedded: the named log in the data directory). */
  readonly topic: string;
  /** Create the topic/log if it does not exist yet; a no-op when it does. */
  init(): Promise<void>;
  partitionCount(): Promise<number>;
  /** Durably append records. Resolves only once every record is durable
   * (fsync'd or acknowledged by all in-sync replicas). */
  append(records: AppendRecord[]): Promise<AppendedRecord[]>;
  /** Per partition, the offset the next appended record will get. */
  endOffsets(): Promise<number[]>;
  /** Per partition, the first offset still stored. */
  startOffsets(): Promise<number[]>;
  /** Read up to `maxRecords` records of one partition from `offset` (no group involved). */
  read(partition: number, offset: number, maxRecords: number): Promise<LogRecord[]>;
  /** Join a consumer group and consume. */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** The committed offsets of a group, one entry per partition. */
  committedOffsets(groupId: string): Promise<CommittedOffset[]>;
  /** Move a group's committed offsets; only while no member of it is running. */
  resetOffsets(groupId: string, target: OffsetResetTarget): Promise<CommittedOffset[]>;
  close(): Promise<void>;
}

/** Builds an event log for a topic; what `testEventLogContract` receives. */
export type EventLogFactory = (topic: string, options?: { partitions?: number }) => Promise<EventLog>;
