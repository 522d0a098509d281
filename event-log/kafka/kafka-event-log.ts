/**
 * The event-log port on Kafka, through kafkajs.
 *
 * - append: keys hashed with the port's partitioner (murmur2, as Kafka's own
 *   clients), explicit partitions on every record, acks from all in-sync
 *   replicas, gzip, several appends waiting at once sent as one request.
 * - read: a plain Fetch from the partition leader, no group involved.
 * - subscribe: a kafkajs consumer-group member. Offsets are committed only by
 *   the caller (`commit`), with Kafka's offset-commit metadata. Batches are cut
 *   to `maxBatchRecords`; heartbeats continue while a batch is processed, so a
 *   slow warehouse write does not cost the member its partitions.
 * - rebalances (kafkajs speaks the eager protocol): when the group starts to
 *   rebalance, the member finishes the batch in flight, is told every
 *   partition is revoked, rejoins, and is told what it was assigned. A commit
 *   the coordinator refuses because the group moved on is reported as
 *   CONT_ERR_LOG_NOT_ASSIGNED: the batch is delivered again to whoever holds
 *   the partition next, and downstream dedupe by event id absorbs it.
 *
 * No kafkajs idempotent producer and no transactions: they need parts of the
 * protocol not every broker (nor librdkafka's mock cluster) offers, and the
 * pipeline's exactly-once effect comes from dedupe by event id downstream.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  AssignerProtocol,
  CompressionTypes,
  Kafka,
  logLevel as kafkaLogLevel,
  PartitionAssigners,
  Partitioners,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type KafkaConfig,
  type LogEntry,
  type PartitionAssigner,
  type Producer,
  type SASLOptions,
} from 'kafkajs';
import { ContinuityError, isContinuityError } from '../../errors/registry.ts';
import type {
  AppendedRecord,
  AppendRecord,
  CommittedOffset,
  EventLog,
  LogRecord,
  OffsetResetTarget,
  RecordBatch,
  SubscribeOptions,
  Subscription,
} from '../event-log.ts';
import { OpenOnce } from '../open-once.ts';
import { partitionForKey } from '../partitioner.ts';
import { resolveKafkaEventLogOptions, topicSpec, type KafkaEventLogOptions, type ResolvedKafkaEventLogOptions } from './config.ts';

export const DEFAULT_MAX_BATCH_RECORDS = 10_000;
/** Rejoins of a member whose consumer stopped on an error, before its subscription fails. */
const MAX_REJOINS = 5;

/** Kafka error types meaning "this member's view of the group is out of date". */
const GROUP_MOVED_ON = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'FENCED_INSTANCE_ID']);

type KafkaError = Error & { type?: string; retriable?: boolean; cause?: unknown };

/** The Kafka protocol error inside kafkajs' wrappers (retries wrap what they give up on). */
function protocolError(error: unknown): KafkaError | undefined {
  let e = error as KafkaError | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string') return e;
    e = e.cause as KafkaError | undefined;
  }
  return undefined;
}

const kafkaType = (error: unknown) => protocolError(error)?.type;

const groupMovedOn = (error: unknown) => GROUP_MOVED_ON.has(kafkaType(error) ?? '');

/** A message as kafkajs decodes it, from a consumer batch or a raw fetch. */
interface DecodedMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

function toLogRecord(partition: number, m: DecodedMessage): LogRecord {
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(m.headers ?? {})) {
    if (raw === undefined) continue;
    // Kafka allows a header name more than once; the port keeps one value per name, the last.
    const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (last !== undefined) headers[name] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return {
    partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    key: m.key ? m.key.toString('utf8') : '',
    value: m.value ?? Buffer.alloc(0),
    headers,
  };
}

const LEVELS = { nothing: kafkaLogLevel.NOTHING, error: kafkaLogLevel.ERROR, warn: kafkaLogLevel.WARN, info: kafkaLogLevel.INFO, debug: kafkaLogLevel.DEBUG } as const;

/** The parts of kafkajs' internal cluster used for reads and admin commits (pinned kafkajs 2.2.x). */
interface InternalBroker {
  fetch(request: object): Promise<{ responses: { topicName: string; partitions: { partition: number; errorCode: number; highWatermark: string; messages: DecodedMessage[] }[] }[] }>;
  offsetCommit(request: object): Promise<unknown>;
}
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(options: { nodeId: string }): Promise<InternalBroker>;
  findGroupCoordinator(options: { groupId: string }): Promise<InternalBroker>;
}

function internalCluster(kafka: Kafka): InternalCluster {
  const create = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!create) throw new ContinuityError('CONT_ERR_CONFIG_INVALID', 'this kafkajs version does not expose its cluster; the Kafka event log needs kafkajs 2.2.x');
  return (kafka as unknown as Record<symbol, (o: object) => InternalCluster>)[create]({ allowAutoTopicCreation: false });
}

/**
 * kafkajs' round-robin assignment (sorted members, partitions dealt in turn),
 * with an empty assignment for a member left without partitions (more members
 * than partitions) where kafkajs leaves the member out: a coordinator then has
 * no answer for that member's SyncGroup (librdkafka's mock cluster never
 * completes it). Same protocol name, so members of either kind agree.
 */
const roundRobinEveryMember =
  (leaderSyncDelayMs: number): PartitionAssigner =>
  (config) => {
    const base = PartitionAssigners.roundRobin(config);
    return {
      ...base,
      async assign(group) {
        // See leaderSyncDelayMs in config.ts.
        if (leaderSyncDelayMs > 0) await new Promise((r) => setTimeout(r, leaderSyncDelayMs));
        const assignment = await base.assign(group);
        const given = new Set(assignment.map((a) => a.memberId));
        const empty = AssignerProtocol.MemberAssignment.encode({ version: base.version, assignment: {}, userData: Buffer.alloc(0) });
        for (const { memberId } of group.members) if (!given.has(memberId)) assignment.push({ memberId, memberAssignment: empty });
        return assignment;
      },
    };
  };

/** Which member's eachBatch is running, so stop() called from inside it does not wait for itself. */
const insideBatch = new AsyncLocalStorage<KafkaMember>();

interface PendingAppend {
  records: AppendRecord[];
  resolve(placed: AppendedRecord[]): void;
  reject(error: unknown): void;
}

class KafkaEventLog implements EventLog {
  readonly kind = 'kafka';
  readonly topic: string;
  readonly o: ResolvedKafkaEventLogOptions;
  readonly kafka: Kafka;
  private admin: Admin | null = null;
  private cluster: InternalCluster | null = null;
  private producer: Producer | null = null;
  private producing: Promise<Producer> | null = null;
  private readonly connection = new OpenOnce(() => this.open(), () => this.name);
  private closing: Promise<void> | null = null;
  private count = 0;
  readonly members = new Set<KafkaMember>();
  private readonly queue: PendingAppend[] = [];
  private sending: Promise<void> | null = null;
  private warnedTimestamps = false;

  constructor(options: KafkaEventLogOptions) {
    this.o = resolveKafkaEventLogOptions(options);
    this.topic = this.o.topic;
    const warn = this.o.onWarning;
    const config: KafkaConfig = {
      brokers: this.o.brokers,
      clientId: this.o.clientId,
      ssl: this.o.ssl,
      sasl: this.o.sasl as SASLOptions | undefined,
      connectionTimeout: this.o.connectionTimeoutMs,
      requestTimeout: this.o.requestTimeoutMs,
      logLevel: LEVELS[this.o.logLevel],
      logCreator: () => (entry: LogEntry) => {
        // kafkajs logs every error answer of a broker as an error, although the
        // caller handles it (a rebalance, a retry) and this adapter reports
        // what it could not handle through its own errors.
        if (entry.namespace === 'Connection' && entry.log.message.startsWith('Response ') && this.o.logLevel !== 'debug') return;
        warn(`${entry.namespace ? `${entry.namespace}: ` : ''}${entry.log.message}${entry.log.error ? ` (${String(entry.log.error)})` : ''}`);
      },
    };
    this.kafka = new Kafka(config);
  }

  private get name() {
    return `Kafka topic ${this.topic} (${this.o.brokers.join(',')})`;
  }

  unavailable(what: string, error: unknown): ContinuityError {
    if (isContinuityError(error)) return error;
    return new ContinuityError('CONT_ERR_LOG_UNAVAILABLE', `${this.name}: ${what}: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
      details: { topic: this.topic, kafka: kafkaType(error) },
    });
  }

  async init(): Promise<void> {
    await this.ready();
  }

  /** Every operation connects on first use; `init()` only does it eagerly. */
  private ready(): Promise<number> {
    return this.connection.get();
  }

  private async open(): Promise<number> {
    const admin = this.kafka.admin();
    const cluster = internalCluster(this.kafka);
    try {
      await admin.connect();
      await cluster.connect();
      const topics = await admin.listTopics();
      if (!topics.includes(this.topic)) {
        if (!this.o.createTopic) {
          throw new ContinuityError('CONT_ERR_LOG_TOPIC_MISSING', `${this.name} does not exist; create it with \`continuity topics create\``, { details: { topic: this.topic } });
        }
        await this.createTopic(admin);
      }
      await cluster.addTargetTopic(this.topic);
      const metadata = await admin.fetchTopicMetadata({ topics: [this.topic] });
      const count = metadata.topics[0]?.partitions.length ?? 0;
      if (count < 1) throw new ContinuityError('CONT_ERR_LOG_TOPIC_MISSING', `${this.name} has no partitions in the brokers' metadata`);
      if (this.o.partitionsGiven && count !== this.o.partitions) {
        this.o.onWarning(
          `${this.name} has ${count} partitions; keeping them and ignoring the configured ${this.o.partitions} (keys are hashed over the topic's count; changing it moves keys between partitions)`,
        );
      }
      this.admin = admin;
      this.cluster = cluster;
      this.count = count;
      return count;
    } catch (error) {
      await Promise.allSettled([admin.disconnect(), cluster.disconnect()]);
      throw this.unavailable('connecting', error);
    }
  }

  private async createTopic(admin: Admin) {
    const spec = topicSpec(this.topic, this.o.partitions, { replicationFactor: this.o.replicationFactor, retentionMs: this.o.retentionMs });
    try {
      await admin.createTopics({ topics: [spec], waitForLeaders: true });
    } catch (error) {
      // Another process may have created it meanwhile.
      if ((await admin.listTopics().catch((): string[] => [])).includes(this.topic)) return;
      throw new ContinuityError(
        'CONT_ERR_LOG_TOPIC_MISSING',
        `${this.name} does not exist and creating it failed (${(error as Error).message}); create it with \`continuity topics create\` or the cluster's own tools`,
        { cause: error, details: { topic: this.topic } },
      );
    }
  }

  private producerReady(): Promise<Producer> {
    if (!this.producing) {
      const producer = this.kafka.producer({
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        idempotent: false,
      });
      this.producing = producer.connect().then(() => (this.producer = producer));
      this.producing.catch(() => (this.producing = null));
    }
    return this.producing;
  }

  async partitionCount(): Promise<number> {
    await this.ready();
    const metadata = await this.admin!.fetchTopicMetadata({ topics: [this.topic] }).catch((e) => {
      throw this.unavailable('reading metadata', e);
    });
    return metadata.topics[0].partitions.length;
  }

  private notFound(partition: number): never {
    throw new ContinuityError('CONT_ERR_NOT_FOUND', `${this.name} has no partition ${partition} (it has ${this.count})`, {
      details: { partition, partitions: this.count },
    });
  }

  /**
   * Appends made while a request is in flight wait and go out together in the
   * next one: batching without a linger delay, and one request at a time keeps
   * every partition in the order `append` was called.
   */
  async append(records: AppendRecord[]): Promise<AppendedRecord[]> {
    const count = await this.ready();
    if (this.closing) throw new ContinuityError('CONT_ERR_INGEST_LOG_UNAVAILABLE', `${this.name} is closing`);
    for (const r of records) if (r.partition !== undefined && (!Number.isInteger(r.partition) || r.partition < 0 || r.partition >= count)) this.notFound(r.partition as number);
    if (records.length === 0) return [];
    const placed = new Promise<AppendedRecord[]>((resolve, reject) => this.queue.push({ records, resolve, reject }));
    this.sending ??= this.drain();
    return placed;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const appends = this.queue.splice(0, this.queue.length);
        try {
          const results = await this.send(appends.map((a) => a.records));
          appends.forEach((a, i) => a.resolve(results[i]));
        } catch (error) {
          const failure =
            isContinuityError(error) ? error : new ContinuityError('CONT_ERR_INGEST_LOG_UNAVAILABLE', `${this.name} did not acknowledge the append: ${(error as Error).message}`, { cause: error });
          for (const a of appends) a.reject(failure);
        }
      }
    } finally {
      this.sending = null;
    }
  }

  /** Sends groups of records in requests of bounded size per partition; offsets in input order. */
  private async send(groups: AppendRecord[][]): Promise<AppendedRecord[][]> {
    const producer = await this.producerReady();
    const results = groups.map((g) => new Array<AppendedRecord>(g.length));
    type Slot = { group: number; index: number };
    type Request = Map<number, { messages: { key: string; value: Buffer | string; headers?: Record<string, string>; partition: number }[]; slots: Slot[]; bytes: number }>;
    const requests: Request[] = [new Map()];
    for (let g = 0; g < groups.length; g++) {
      for (let i = 0; i < groups[g].length; i++) {
        const r = groups[g][i];
        const partition = r.partition ?? partitionForKey(r.key, this.count);
        const size = Buffer.byteLength(r.key) + (typeof r.value === 'string' ? Buffer.byteLength(r.value) : r.value.length) + 64;
        let request = requests[requests.length - 1];
        let entry = request.get(partition);
        if (entry && entry.bytes + size > this.o.maxRequestPartitionBytes) {
          requests.push((request = new Map()));
          entry = undefined;
        }
        if (!entry) request.set(partition, (entry = { messages: [], slots: [], bytes: 0 }));
        entry.messages.push({ key: r.key, value: r.value, headers: r.headers, partition });
        entry.slots.push({ group: g, index: i });
        entry.bytes += size;
      }
    }
    for (const request of requests) {
      if (request.size === 0) continue;
      const messages = [...request.values()].flatMap((e) => e.messages);
      const acks = await producer.send({
        topic: this.topic,
        acks: -1,
        timeout: this.o.requestTimeoutMs,
        compression: this.o.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        messages,
      });
      for (const ack of acks) {
        const entry = request.get(ack.partition);
        if (!entry || ack.errorCode !== 0 || ack.baseOffset === undefined) {
          throw new ContinuityError('CONT_ERR_INGEST_LOG_UNAVAILABLE', `${this.name}: partition ${ack.partition} answered error ${ack.errorCode}`);
        }
        const base = Number(ack.baseOffset);
        entry.slots.forEach((slot, k) => (results[slot.group][slot.index] = { partition: ack.partition, offset: base + k }));
      }
    }
    return results;
  }

  private async offsets(): Promise<{ low: number[]; high: number[] }> {
    await this.ready();
    let answer;
    try {
      answer = await this.admin!.fetchTopicOffsets(this.topic);
    } catch (error) {
      throw this.unavailable('listing offsets', error);
    }
    const low: number[] = new Array(answer.length);
    const high: number[] = new Array(answer.length);
    for (const p of answer) {
      low[p.partition] = Number(p.low);
      high[p.partition] = Number(p.high);
    }
    return { low, high };
  }

  async endOffsets(): Promise<number[]> {
    return (await this.offsets()).high;
  }

  async startOffsets(): Promise<number[]> {
    return (await this.offsets()).low;
  }

  async read(partition: number, offset: number, maxRecords: number): Promise<LogRecord[]> {
    const count = await this.ready();
    if (!Number.isInteger(partition) || partition < 0 || partition >= count) this.notFound(partition);
    if (!Number.isInteger(maxRecords) || maxRecords < 1) throw new RangeError(`read: maxRecords must be a positive integer, got ${maxRecords}`);
    const { low, high } = await this.offsets();
    if (!Number.isInteger(offset) || offset < low[partition] || offset > high[partition]) {
      throw new ContinuityError('CONT_ERR_LOG_OFFSET_OUT_OF_RANGE', `${this.name}: offset ${offset} of partition ${partition} is outside ${low[partition]}..${high[partition]}`, {
        details: { partition, offset, start: low[partition], end: high[partition] },
      });
    }
    const out: LogRecord[] = [];
    let next = offset;
    while (out.length < maxRecords && next < high[partition]) {
      const fetched = await this.fetchOnce(partition, next);
      if (fetched.length === 0) break;
      for (const m of fetched) {
        if (Number(m.offset) < next) continue;
        out.push(toLogRecord(partition, m));
        if (out.length >= maxRecords) break;
      }
      next = Number(fetched[fetched.length - 1].offset) + 1;
    }
    return out;
  }

  private async fetchOnce(partition: number, offset: number, attempt = 0): Promise<DecodedMessage[]> {
    const cluster = this.cluster!;
    try {
      await cluster.refreshMetadataIfNecessary();
      const leaders = cluster.findLeaderForPartitions(this.topic, [partition]);
      const nodeId = Object.keys(leaders).find((n) => leaders[n].includes(partition));
      if (nodeId === undefined) throw new Error(`no leader known for partition ${partition}`);
      const broker = await cluster.findBroker({ nodeId });
      const response = await broker.fetch({
        isolationLevel: 1,
        maxWaitTime: 0,
        minBytes: 1,
        maxBytes: 4 * 1024 * 1024,
        topics: [{ topic: this.topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes: 1024 * 1024 }] }],
      });
      return response.responses[0]?.partitions[0]?.messages ?? [];
    } catch (error) {
      const type = kafkaType(error);
      if (type === 'OFFSET_OUT_OF_RANGE') {
        throw new ContinuityError('CONT_ERR_LOG_OFFSET_OUT_OF_RANGE', `${this.name}: offset ${offset} of partition ${partition} is no longer stored`, { cause: error });
      }
      if (attempt < 3) {
        // Leadership moved or metadata is stale: look again.
        await cluster.refreshMetadata().catch(() => {});
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
        return this.fetchOnce(partition, offset, attempt + 1);
      }
      throw this.unavailable(`fetching partition ${partition} at ${offset}`, error);
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    await this.ready();
    if (typeof options?.groupId !== 'string' || options.groupId.length === 0) throw new TypeError('subscribe: groupId must be a non-empty string');
    if (typeof options.eachBatch !== 'function') throw new TypeError('subscribe: eachBatch must be a function');
    const max = options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`subscribe: maxBatchRecords must be a positive integer, got ${max}`);
    if (this.closing) throw new Error(`${this.name} is closed`);
    const member = new KafkaMember(this, options, max);
    this.members.add(member);
    void member.done.catch(() => {}).finally(() => this.members.delete(member));
    await member.start();
    return member;
  }

  async committedOffsets(groupId: string): Promise<CommittedOffset[]> {
    const count = await this.ready();
    let answer;
    try {
      answer = await this.admin!.fetchOffsets({ groupId, topics: [this.topic] });
    } catch (error) {
      throw this.unavailable(`reading the offsets of group ${groupId}`, error);
    }
    const byPartition = new Map((answer[0]?.partitions ?? []).map((p) => [p.partition, p]));
    return Array.from({ length: Math.max(count, byPartition.size) }, (_, partition) => {
      const p = byPartition.get(partition);
      const offset = p ? Number(p.offset) : -1;
      return { partition, offset: offset < 0 ? 0 : offset, metadata: offset < 0 || !p?.metadata ? null : p.metadata };
    });
  }

  async resetOffsets(groupId: string, target: OffsetResetTarget): Promise<CommittedOffset[]> {
    const count = await this.ready();
    const running = [...this.members].filter((m) => m.groupId === groupId && m.active).length;
    if (running > 0) {
      throw new ContinuityError('CONT_ERR_LOG_GROUP_ACTIVE', `${this.name}: group ${JSON.stringify(groupId)} has ${running} running member(s) here; stop them before resetting its offsets`, {
        details: { groupId, members: running },
      });
    }
    const { low, high } = await this.offsets();
    let changes: CommittedOffset[];
    switch (target.to) {
      case 'earliest':
        changes = low.map((offset, partition) => ({ partition, offset, metadata: null }));
        break;
      case 'latest':
        changes = high.map((offset, partition) => ({ partition, offset, metadata: null }));
        break;
      case 'timestamp': {
        if (!Number.isFinite(target.timestamp)) throw new TypeError(`resetOffsets: timestamp must be a number of milliseconds, got ${target.timestamp}`);
        const offsets = await this.offsetsForTimestamp(target.timestamp, low, high);
        changes = offsets.map((offset, partition) => ({ partition, offset, metadata: null }));
        break;
      }
      case 'offset': {
        if (!Number.isInteger(target.partition) || target.partition < 0 || target.partition >= count) this.notFound(target.partition);
        const p = target.partition;
        if (!Number.isInteger(target.offset) || target.offset < low[p] || target.offset > high[p]) {
          throw new ContinuityError('CONT_ERR_LOG_OFFSET_OUT_OF_RANGE', `${this.name}: offset ${target.offset} of partition ${p} is outside ${low[p]}..${high[p]}`, {
            details: { partition: p, offset: target.offset, start: low[p], end: high[p] },
          });
        }
        changes = [{ partition: p, offset: target.offset, metadata: null }];
        break;
      }
      default:
        throw new TypeError(`resetOffsets: unknown target ${JSON.stringify(target)}`);
    }
    await this.commitWithoutMembership(groupId, changes);
    return this.committedOffsets(groupId);
  }

  /**
   * Per partition, the first offset whose record has a timestamp at or after
   * `timestamp` (the end offset when none has). The brokers' time index answers;
   * the answer is checked against the records on each side of it, and where a
   * broker does not honour timestamps (librdkafka's mock cluster answers with
   * the end offset) the partition is searched instead.
   */
  private async offsetsForTimestamp(timestamp: number, low: number[], high: number[]): Promise<number[]> {
    let answer;
    try {
      answer = await this.admin!.fetchTopicOffsetsByTimestamp(this.topic, timestamp);
    } catch (error) {
      throw this.unavailable('looking up offsets by timestamp', error);
    }
    const byBroker = new Map(answer.map((a) => [a.partition, Number(a.offset)]));
    return Promise.all(
      low.map(async (start, partition) => {
        const end = high[partition];
        const claimed = Math.min(Math.max(byBroker.get(partition) ?? end, start), end);
        const before = claimed > start ? (await this.read(partition, claimed - 1, 1))[0] : undefined;
        const at = claimed < end ? (await this.read(partition, claimed, 1))[0] : undefined;
        if ((!before || before.timestamp < timestamp) && (!at || at.timestamp >= timestamp)) return claimed;
        if (!this.warnedTimestamps) {
          this.warnedTimestamps = true;
          this.o.onWarning(`${this.name}: the brokers' offset for timestamp ${timestamp} disagrees with the records beside it; searching the partitions instead`);
        }
        for (let offset = start; offset < end; ) {
          const records = await this.read(partition, offset, 1000);
          if (records.length === 0) break;
          const hit = records.find((r) => r.timestamp >= timestamp);
          if (hit) return hit.offset;
          offset = records[records.length - 1].offset + 1;
        }
        return end;
      }),
    );
  }

  /**
   * Commits offsets for a group none of whose members runs, as Kafka's own
   * tools do: a commit outside any generation, which brokers accept for an
   * empty group. Where the broker refuses it, the group is asked about; an
   * active group is an error, and when the broker cannot say (librdkafka's mock
   * cluster implements neither such commits for a group that had members nor
   * DescribeGroups), the commit is made by a short-lived member of the group.
   */
  private async commitWithoutMembership(groupId: string, changes: CommittedOffset[]) {
    const partitions = changes.map((c) => ({ partition: c.partition, offset: String(c.offset), metadata: c.metadata }));
    try {
      const coordinator = await this.cluster!.findGroupCoordinator({ groupId });
      await coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics: [{ topic: this.topic, partitions }] });
      return;
    } catch (error) {
      if (!groupMovedOn(error)) throw this.unavailable(`committing offsets of group ${groupId}`, error);
    }
    let state: string | null = null;
    let members = 0;
    try {
      const described = await this.admin!.describeGroups([groupId]);
      state = described.groups[0]?.state ?? null;
      members = described.groups[0]?.members.length ?? 0;
    } catch (error) {
      if (kafkaType(error) !== undefined && !/does not support/i.test((error as Error).message)) throw this.unavailable(`describing group ${groupId}`, error);
    }
    if (state !== null && state !== 'Empty' && state !== 'Dead') {
      throw new ContinuityError('CONT_ERR_LOG_GROUP_ACTIVE', `${this.name}: group ${JSON.stringify(groupId)} is ${state} with ${members} member(s); stop them before resetting its offsets`, {
        details: { groupId, state, members },
      });
    }
    await this.commitAsMember(groupId, partitions);
  }

  private async commitAsMember(groupId: string, partitions: { partition: number; offset: string; metadata: string | null }[]) {
    const consumer = this.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: this.o.sessionTimeoutMs,
      heartbeatInterval: this.o.heartbeatIntervalMs,
      rebalanceTimeout: this.o.rebalanceTimeoutMs,
      maxWaitTimeInMs: this.o.maxWaitTimeMs,
      retry: { retries: 2 },
    });
    let assigned: number[] = [];
    consumer.on(consumer.events.GROUP_JOIN, (e) => (assigned = e.payload.memberAssignment[this.topic] ?? []));
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => {} });
      consumer.pause([{ topic: this.topic }]);
      if (assigned.length < this.count) {
        throw new ContinuityError('CONT_ERR_LOG_GROUP_ACTIVE', `${this.name}: group ${JSON.stringify(groupId)} has other running members; stop them before resetting its offsets`, {
          details: { groupId },
        });
      }
      await consumer.commitOffsets(partitions.map((p) => ({ topic: this.topic, ...p })));
    } catch (error) {
      throw this.unavailable(`committing offsets of group ${groupId}`, error);
    } finally {
      await consumer.disconnect().catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    void this.connection.close();
    await Promise.allSettled([...this.members].map((m) => m.stop()));
    await this.sending?.catch(() => {});
    await Promise.allSettled([this.producing?.then((p) => p.disconnect()), this.admin?.disconnect(), this.cluster?.disconnect()]);
  }
}

type MemberState = 'starting' | 'running' | 'stopping' | 'stopped';

/** One consumer-group member: a kafkajs consumer behind the port's Subscription. */
class KafkaMember implements Subscription {
  readonly done: Promise<void>;
  readonly groupId: string;
  private state: MemberState = 'starting';
  private readonly consumer: Consumer;
  private readonly held = new Set<number>();
  private readonly committed = new Map<number, CommittedOffset>();
  /** Set once the group is known to rebalance: no new batch starts until the member rejoined. */
  private rebalance: KafkaError | null = null;
  private inFlight: Promise<unknown> | null = null;
  /** Revocation and assignment callbacks, in order; deliveries wait for them. */
  private callbacks: Promise<void> = Promise.resolve();
  private error: unknown = undefined;
  private stopping: Promise<void> | null = null;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  private readonly firstJoin: Promise<void>;
  private resolveFirstJoin!: () => void;
  private crashes = 0;
  private rejoinTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: KafkaEventLog,
    private readonly options: SubscribeOptions,
    private readonly maxBatchRecords: number,
  ) {
    this.groupId = options.groupId;
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Whoever never looks at `done` must not get an unhandled rejection.
    this.done.catch(() => {});
    this.firstJoin = new Promise<void>((resolve) => (this.resolveFirstJoin = resolve));
    const o = log.o;
    this.consumer = log.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      rebalanceTimeout: o.rebalanceTimeoutMs,
      maxWaitTimeInMs: o.maxWaitTimeMs,
      partitionAssigners: [roundRobinEveryMember(o.leaderSyncDelayMs)],
    });
    const { GROUP_JOIN, REBALANCING, CRASH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, (e) => this.joined(e.payload.memberAssignment[log.topic] ?? []));
    this.consumer.on(REBALANCING, () => this.revokeAll());
    this.consumer.on(CRASH, (e) => this.crashed(e.payload.error, e.payload.restart));
  }

  /** Still consuming or about to: what resetOffsets must not race. */
  get active() {
    return this.state === 'starting' || this.state === 'running';
  }

  /** Resolves once the member joined the group and was assigned its partitions. */
  async start(): Promise<void> {
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: [this.log.topic], fromBeginning: true });
      await this.run();
    } catch (error) {
      this.fail(this.log.unavailable(`joining group ${this.groupId}`, error));
    }
    await Promise.race([this.firstJoin, this.done.catch(() => {})]);
    if (this.error !== undefined) {
      await this.stop();
      throw this.error;
    }
    if (this.state === 'starting') this.state = 'running';
  }

  private run() {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.handle(payload),
    });
  }

  assignment(): number[] {
    return [...this.held].sort((a, b) => a - b);
  }

  private chain(step: () => void | Promise<void>) {
    const run = this.callbacks.then(step);
    this.callbacks = run.catch((error) => this.fail(error));
  }

  private joined(partitions: number[]) {
    if (!this.active) return;
    this.crashes = 0;
    this.resolveFirstJoin();
    const next = new Set(partitions);
    const lost = [...this.held].filter((p) => !next.has(p));
    const gained = partitions.filter((p) => !this.held.has(p)).sort((a, b) => a - b);
    for (const p of lost) this.held.delete(p);
    for (const p of gained) this.held.add(p);
    this.rebalance = null;
    if (lost.length > 0) this.chain(() => this.options.onPartitionsRevoked?.(lost.sort((a, b) => a - b)));
    this.chain(async () => {
      const offsets = await this.log.committedOffsets(this.groupId);
      for (const c of offsets) if (next.has(c.partition)) this.committed.set(c.partition, c);
    });
    if (gained.length > 0) this.chain(() => this.options.onPartitionsAssigned?.(gained));
  }

  /** The eager protocol: a rebalance takes every partition until the member rejoined. */
  private revokeAll() {
    const lost = this.assignment();
    this.held.clear();
    if (lost.length > 0) this.chain(() => this.options.onPartitionsRevoked?.(lost));
  }

  /**
   * kafkajs restarts a consumer after errors it deems retriable; after others it
   * stays down. A member is meant to keep consuming, so it rejoins a few times
   * with backoff (a coordinator moving or answering out of turn in a rebalance
   * is such an error) before the subscription fails with the cause.
   */
  private crashed(error: unknown, restart: boolean) {
    this.revokeAll();
    if (!this.active) return;
    const reason = (error as Error)?.message ?? String(error);
    if (restart) {
      this.log.o.onWarning(`group ${this.groupId}: consumer restarting after: ${reason}`);
      return;
    }
    if (this.crashes >= MAX_REJOINS) {
      this.fail(this.log.unavailable(`group ${this.groupId} stopped after ${this.crashes} attempts to rejoin`, error));
      return;
    }
    const wait = 250 * 2 ** this.crashes++;
    this.log.o.onWarning(`group ${this.groupId}: consumer stopped (${reason}); rejoining in ${wait} ms (attempt ${this.crashes} of ${MAX_REJOINS})`);
    this.rejoinTimer = setTimeout(() => {
      this.rejoinTimer = null;
      if (this.active) this.run().catch((e: unknown) => this.fail(this.log.unavailable(`rejoining group ${this.groupId}`, e)));
    }, wait);
  }

  private deliverable(partition: number) {
    return this.active && this.rebalance === null && this.held.has(partition);
  }

  private async handle(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const partition = batch.partition;
    await this.callbacks;
    if (!this.deliverable(partition) || !isRunning() || isStale()) return;
    const messages = batch.messages as unknown as DecodedMessage[];
    for (let i = 0; i < messages.length; i += this.maxBatchRecords) {
      if (!this.deliverable(partition) || !isRunning()) return;
      const records = messages.slice(i, i + this.maxBatchRecords).map((m) => toLogRecord(partition, m));
      const delivered = this.deliver(partition, records, Number(batch.highWatermark), heartbeat);
      this.inFlight = delivered;
      let ok: boolean;
      try {
        ok = await delivered;
      } finally {
        this.inFlight = null;
      }
      if (!ok) return;
      resolveOffset(String(records[records.length - 1].offset));
      // Handing the rebalance error back to kafkajs makes it rejoin the group.
      if (this.rebalance) throw this.rebalance;
      await heartbeat();
    }
  }

  private async deliver(partition: number, records: LogRecord[], highWatermark: number, heartbeat: () => Promise<void>): Promise<boolean> {
    // kafkajs heartbeats only between batches; a long warehouse write would
    // otherwise cost the member its session and its partitions.
    const timer = setInterval(() => {
      heartbeat().catch((error: unknown) => {
        if (groupMovedOn(error)) this.rebalance ??= protocolError(error)!;
      });
    }, this.log.o.heartbeatIntervalMs);
    try {
      const committed = this.committed.get(partition) ?? { partition, offset: 0, metadata: null };
      const batch: RecordBatch = { partition, records, committed: { ...committed }, highWatermark };
      await insideBatch.run(this, () => this.options.eachBatch(batch, this));
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    } finally {
      clearInterval(timer);
    }
  }

  async commit(partition: number, offset: number, metadata: string | null = null): Promise<void> {
    if (!this.held.has(partition)) {
      throw new ContinuityError(
        'CONT_ERR_LOG_NOT_ASSIGNED',
        `group ${JSON.stringify(this.groupId)}: partition ${partition} of ${this.log.topic} is not assigned to this member (it holds ${this.assignment().join(', ') || 'none'})`,
        { details: { groupId: this.groupId, partition, assignment: this.assignment() } },
      );
    }
    if (!Number.isInteger(offset) || offset < 0) {
      throw new ContinuityError('CONT_ERR_LOG_OFFSET_OUT_OF_RANGE', `commit of offset ${offset} for partition ${partition}: not a valid offset`, { details: { partition, offset } });
    }
    if (metadata !== null && typeof metadata !== 'string') throw new TypeError('commit: metadata must be a string or null');
    try {
      await this.consumer.commitOffsets([{ topic: this.log.topic, partition, offset: String(offset), metadata }]);
    } catch (error) {
      if (groupMovedOn(error)) {
        // kafkajs rejoins on the protocol error itself, not on its retry wrapper.
        this.rebalance ??= protocolError(error)!;
        throw new ContinuityError(
          'CONT_ERR_LOG_NOT_ASSIGNED',
          `group ${JSON.stringify(this.groupId)}: the coordinator refused the commit of partition ${partition} of ${this.log.topic} (${kafkaType(error)}): the group is rebalancing and the partition goes to whoever holds it next, from its last commit`,
          { cause: error, details: { groupId: this.groupId, partition, kafka: kafkaType(error) } },
        );
      }
      throw this.log.unavailable(`committing partition ${partition} for group ${this.groupId}`, error);
    }
    this.committed.set(partition, { partition, offset, metadata });
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    // Awaited from inside the batch in flight it would wait for itself; there
    // it resolves at once and the member leaves as soon as the batch settles.
    if (insideBatch.getStore() === this) return Promise.resolve();
    return this.stopping;
  }

  private fail(error: unknown) {
    if (this.error === undefined) this.error = error;
    if (this.state === 'running' || this.state === 'starting') void this.stop();
  }

  private async shutdown(): Promise<void> {
    if (this.state !== 'stopped') this.state = 'stopping';
    if (this.rejoinTimer) clearTimeout(this.rejoinTimer);
    await this.inFlight?.catch(() => {});
    this.revokeAll();
    await this.callbacks;
    await this.consumer.disconnect().catch((error: unknown) => this.log.o.onWarning(`group ${this.groupId}: leaving failed: ${(error as Error).message}`));
    this.state = 'stopped';
    if (this.error !== undefined) this.rejectDone(this.error);
    else this.resolveDone();
  }
}

/** The Kafka log for `options.topic`; nothing connects before `init()` or the first call. */
export function getKafkaEventLog(options: KafkaEventLogOptions): EventLog {
  return new KafkaEventLog(options);
}
