/**
 * The embedded durable event log: the default source of truth, files in the
 * data directory, nothing to install.
 *
 *   <dir>/<topic>/meta.json                    partition count, format version
 *   <dir>/<topic>/writer.lock                  pid of the one process writing
 *   <dir>/<topic>/p-<n>/<base offset>.log      segments (record framing: record-format.ts)
 *   <dir>/<topic>/p-<n>/<base offset>.index    sparse index of a closed segment
 *   <dir>/<topic>/groups/<groupId>.json        committed offsets of a consumer group
 *
 * Durability: `append` resolves after fdatasync of every partition it wrote.
 * Recovery: opening scans each partition's last segment and cuts a torn or
 * corrupt tail; closed segments are trusted through their index and checked by
 * checksum whenever read.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContinuityError } from '../../errors/registry.ts';
import type {
  AppendedRecord,
  AppendRecord,
  CommittedOffset,
  EventLog,
  LogRecord,
  OffsetResetTarget,
  SubscribeOptions,
  Subscription,
} from '../event-log.ts';
import { partitionForKey } from '../partitioner.ts';
import { resolveEmbeddedEventLogOptions, type EmbeddedEventLogOptions, type ResolvedEmbeddedEventLogOptions } from './config.ts';
import { ConsumerGroup, GroupMember, type GroupHost } from './consumer-group.ts';
import { fsyncDir, isErrno, writeFileAtomic } from './files.ts';
import { GroupOffsetStore } from './group-offsets.ts';
import { acquireLock, type LogLock } from './lock.ts';
import { Partition } from './partition.ts';
import { prepareRecord, type PreparedRecord } from './record-format.ts';
import { OpenOnce } from '../open-once.ts';
import { inTurn } from '../in-turn.ts';

const FORMAT_VERSION = 1;

interface Meta {
  formatVersion: number;
  topic: string;
  partitions: number;
  createdAt: string;
}

interface Opened {
  partitions: Partition[];
  offsets: GroupOffsetStore;
  lock: LogLock;
}

let memberSequence = 0;

class EmbeddedEventLog implements EventLog {
  readonly kind = 'embedded';
  readonly topic: string;
  private readonly o: ResolvedEmbeddedEventLogOptions;
  private readonly topicDir: string;
  private readonly opened = new OpenOnce(() => this.open(), () => this.name);
  private closing: Promise<void> | null = null;
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly appendWaiters = new Set<() => void>();
  /** When records were last appended (ms): a consumer waits for more only while they are coming. */
  private lastAppendAt = -Infinity;
  /** The group members' fetches, one at a time (see `host`). */
  private readonly fetchInTurn = inTurn();
  private readonly appendsInFlight = new Set<Promise<unknown>>();

  constructor(options: EmbeddedEventLogOptions) {
    this.o = resolveEmbeddedEventLogOptions(options);
    this.topic = this.o.topic;
    this.topicDir = join(this.o.dir, this.o.topic);
  }

  private get name() {
    return `event log ${this.topic} (${this.topicDir})`;
  }

  async init(): Promise<void> {
    await this.ready();
  }

  /** Every operation opens the log on first use; `init()` only does it eagerly. */
  private ready(): Promise<Opened> {
    return this.opened.get();
  }

  private async open(): Promise<Opened> {
    await mkdir(this.topicDir, { recursive: true });
    if (this.o.fsync) await fsyncDir(this.o.dir);
    const lock = await acquireLock(join(this.topicDir, 'writer.lock'), this.name, this.o.onWarning);
    let partitions: Partition[] = [];
    try {
      const count = await this.loadOrCreateMeta();
      const groupsDir = join(this.topicDir, 'groups');
      await mkdir(groupsDir, { recursive: true });
      const offsets = new GroupOffsetStore(groupsDir, count, this.o.fsync);
      await offsets.cleanUp();
      partitions = Array.from(
        { length: count },
        (_, partition) =>
          new Partition({
            topic: this.topic,
            topicDir: this.topicDir,
            partition,
            segmentBytes: this.o.segmentBytes,
            indexIntervalBytes: this.o.indexIntervalBytes,
            fsync: this.o.fsync,
            warn: this.o.onWarning,
            onAppended: () => this.notifyAppended(),
          }),
      );
      await Promise.all(partitions.map((p) => p.open()));
      if (this.o.fsync) await fsyncDir(this.topicDir);
      return { partitions, offsets, lock };
    } catch (error) {
      await Promise.allSettled(partitions.map((p) => p.close()));
      await lock.release();
      throw error;
    }
  }

  private async loadOrCreateMeta(): Promise<number> {
    const path = join(this.topicDir, 'meta.json');
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
    if (text === null) {
      const meta: Meta = { formatVersion: FORMAT_VERSION, topic: this.topic, partitions: this.o.partitions, createdAt: new Date().toISOString() };
      // Partition folders need no such care: opening creates any that is
      // missing, so a crash between this write and their creation is harmless.
      await writeFileAtomic(path, `${JSON.stringify(meta, null, 1)}\n`, this.o.fsync);
      return meta.partitions;
    }
    let meta: Meta;
    try {
      meta = JSON.parse(text) as Meta;
    } catch (error) {
      throw new ContinuityError('CONT_ERR_LOG_CORRUPT', `${this.name}: ${path} is not valid JSON`, { cause: error });
    }
    if (meta.formatVersion !== FORMAT_VERSION) {
      throw new ContinuityError('CONT_ERR_LOG_CORRUPT', `${this.name}: format version ${meta.formatVersion} in ${path}; this version reads ${FORMAT_VERSION}`);
    }
    if (!Number.isInteger(meta.partitions) || meta.partitions < 1) {
      throw new ContinuityError('CONT_ERR_LOG_CORRUPT', `${this.name}: ${path} has no valid partition count`);
    }
    if (this.o.partitionsGiven && meta.partitions !== this.o.partitions) {
      this.o.onWarning(
        `${this.name} has ${meta.partitions} partitions; keeping them and ignoring the configured ${this.o.partitions} (the count is fixed when a log is created, as keys would otherwise change partition)`,
      );
    }
    return meta.partitions;
  }

  private notifyAppended() {
    this.lastAppendAt = Date.now();
    for (const resume of [...this.appendWaiters]) resume();
  }

  // Hashing a key costs a Buffer and a murmur2 pass; a batch has thousands of
  // records and a few hundred distinct keys. Bounded for callers with unbounded keys.
  private readonly keyPartitions = new Map<string, number>();
  private keyPartitionsCount = 0;

  private partitionOfKey(key: string, count: number): number {
    if (this.keyPartitionsCount !== count || this.keyPartitions.size >= 4096) {
      this.keyPartitions.clear();
      this.keyPartitionsCount = count;
    }
    let partition = this.keyPartitions.get(key);
    if (partition === undefined) {
      partition = partitionForKey(key, count);
      this.keyPartitions.set(key, partition);
    }
    return partition;
  }

  private partition(opened: Opened, partition: number): Partition {
    const p = opened.partitions[partition];
    if (!Number.isInteger(partition) || !p) {
      throw new ContinuityError('CONT_ERR_NOT_FOUND', `${this.name} has no partition ${partition} (it has ${opened.partitions.length})`, {
        details: { partition, partitions: opened.partitions.length },
      });
    }
    return p;
  }

  async partitionCount(): Promise<number> {
    return (await this.ready()).partitions.length;
  }

  async append(records: AppendRecord[]): Promise<AppendedRecord[]> {
    const opened = await this.ready();
    if (this.closing) throw new ContinuityError('CONT_ERR_INGEST_LOG_UNAVAILABLE', `${this.name} is closing`);
    const count = opened.partitions.length;
    const byPartition = new Map<number, { prepared: PreparedRecord[]; positions: number[] }>();
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const prepared = prepareRecord(r.key, r.value, r.headers);
      let partition = r.partition;
      if (partition === undefined) partition = this.partitionOfKey(r.key, count);
      else this.partition(opened, partition);
      let group = byPartition.get(partition);
      if (!group) byPartition.set(partition, (group = { prepared: [], positions: [] }));
      group.prepared.push(prepared);
      group.positions.push(i);
    }
    const result = new Array<AppendedRecord>(records.length);
    const work = Promise.all(
      [...byPartition].map(async ([partition, group]) => {
        const first = await opened.partitions[partition].append(group.prepared);
        for (let k = 0; k < group.positions.length; k++) result[group.positions[k]] = { partition, offset: first + k };
      }),
    );
    this.appendsInFlight.add(work);
    try {
      await work;
    } finally {
      this.appendsInFlight.delete(work);
    }
    return result;
  }

  async endOffsets(): Promise<number[]> {
    return (await this.ready()).partitions.map((p) => p.visibleEnd);
  }

  async startOffsets(): Promise<number[]> {
    return (await this.ready()).partitions.map((p) => p.startOffset);
  }

  async read(partition: number, offset: number, maxRecords: number): Promise<LogRecord[]> {
    return this.partition(await this.ready(), partition).read(offset, maxRecords);
  }

  private host(opened: Opened): GroupHost {
    return {
      topic: this.topic,
      partitionCount: opened.partitions.length,
      pollIntervalMs: this.o.pollIntervalMs,
      offsets: opened.offsets,
      startOffset: (p) => opened.partitions[p].startOffset,
      endOffset: (p) => opened.partitions[p].visibleEnd,
      // One fetch at a time, in the order asked: reading and checking a batch
      // is this thread's work, so members reading side by side would only
      // finish all together, later than the first of them could have.
      read: (p, offset, max) => this.fetchInTurn(() => opened.partitions[p].readFrames(offset, max)),
      lastAppendAt: () => this.lastAppendAt,
      waitForAppend: (ms, wake) =>
        new Promise<void>((resolve) => {
          const resume = () => {
            clearTimeout(timer);
            this.appendWaiters.delete(resume);
            resolve();
          };
          const timer = setTimeout(resume, ms);
          this.appendWaiters.add(resume);
          wake(resume);
        }),
      warn: this.o.onWarning,
    };
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const opened = await this.ready();
    if (typeof options?.groupId !== 'string' || options.groupId.length === 0) throw new TypeError('subscribe: groupId must be a non-empty string');
    if (typeof options.eachBatch !== 'function') throw new TypeError('subscribe: eachBatch must be a function');
    const loaded = await opened.offsets.ensure(options.groupId);
    if (this.closing) throw new Error(`${this.name} is closed`);
    let group = this.groups.get(options.groupId);
    if (!group) this.groups.set(options.groupId, (group = new ConsumerGroup(options.groupId, this.host(opened))));
    // Sequence first: sorting member ids then means sorting by join order.
    const id = `${options.groupId}#${String(++memberSequence).padStart(8, '0')}`;
    const member = new GroupMember(id, group, this.host(opened), loaded, options);
    member.start();
    await group.join(member);
    return member;
  }

  async committedOffsets(groupId: string): Promise<CommittedOffset[]> {
    return (await this.ready()).offsets.get(groupId);
  }

  async resetOffsets(groupId: string, target: OffsetResetTarget): Promise<CommittedOffset[]> {
    const opened = await this.ready();
    const running = this.groups.get(groupId)?.members.length ?? 0;
    if (running > 0) {
      // No dedicated code exists yet for "group is active"; LOCKED is the
      // nearest (a conflict that clears once the members stop).
      throw new ContinuityError('CONT_ERR_LOG_GROUP_ACTIVE', `${this.name}: group ${JSON.stringify(groupId)} has ${running} running member(s); stop them before resetting its offsets`, {
        details: { groupId, members: running },
      });
    }
    const parts = opened.partitions;
    let changes: CommittedOffset[];
    switch (target.to) {
      case 'earliest':
        changes = parts.map((p, partition) => ({ partition, offset: p.startOffset, metadata: null }));
        break;
      case 'latest':
        changes = parts.map((p, partition) => ({ partition, offset: p.visibleEnd, metadata: null }));
        break;
      case 'timestamp': {
        if (!Number.isFinite(target.timestamp)) throw new TypeError(`resetOffsets: timestamp must be a number of milliseconds, got ${target.timestamp}`);
        const offsets = await Promise.all(parts.map((p) => p.offsetForTimestamp(target.timestamp)));
        changes = offsets.map((offset, partition) => ({ partition, offset, metadata: null }));
        break;
      }
      case 'offset': {
        const p = this.partition(opened, target.partition);
        if (!Number.isInteger(target.offset) || target.offset < p.startOffset || target.offset > p.visibleEnd) {
          throw new ContinuityError(
            'CONT_ERR_LOG_OFFSET_OUT_OF_RANGE',
            `${this.name}: offset ${target.offset} of partition ${target.partition} is outside ${p.startOffset}..${p.visibleEnd}`,
            { details: { partition: target.partition, offset: target.offset, start: p.startOffset, end: p.visibleEnd } },
          );
        }
        changes = [{ partition: target.partition, offset: target.offset, metadata: null }];
        break;
      }
      default:
        throw new TypeError(`resetOffsets: unknown target ${JSON.stringify(target)}`);
    }
    await opened.offsets.commit(groupId, changes);
    return opened.offsets.get(groupId);
  }

  async close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const opened = await this.opened.close();
    if (!opened) return;
    await Promise.all([...this.groups.values()].flatMap((g) => g.members.map((m) => m.stop())));
    await Promise.allSettled([...this.appendsInFlight]);
    await Promise.all(opened.partitions.map((p) => p.close()));
    await opened.offsets.idle();
    for (const resume of [...this.appendWaiters]) resume();
    await opened.lock.release();
  }
}

/** The embedded log for `options.topic` in `options.dir`; nothing touches the disk before `init()` or the first call. */
export function getEmbeddedEventLog(options: EmbeddedEventLogOptions): EventLog {
  return new EmbeddedEventLog(options);
}
