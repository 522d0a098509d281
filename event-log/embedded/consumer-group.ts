/**
 * In-process consumer groups of the embedded log.
 *
 * Members of one group split the partitions round-robin by sorted member id.
 * Rebalances are incremental: only partitions that change owner are revoked,
 * the others keep flowing (no stop-the-world). A partition moves only after
 * the batch its old owner has in flight settled, and the new owner starts from
 * the group's latest commit, so no partition is ever delivered to two members
 * at once and nothing committed is delivered again.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ContinuityError } from '../../errors/registry.ts';
import type { CommittedOffset, RecordBatch, Subscription, SubscribeOptions } from '../event-log.ts';
import { inTurn } from '../in-turn.ts';
import type { GroupOffsetStore, LoadedGroup } from './group-offsets.ts';
import type { StoredFrames } from './stored-frames.ts';

/** What a member needs from the log. */
export interface GroupHost {
  readonly topic: string;
  readonly partitionCount: number;
  readonly pollIntervalMs: number;
  readonly offsets: GroupOffsetStore;
  startOffset(partition: number): number;
  endOffset(partition: number): number;
  read(partition: number, offset: number, maxRecords: number): Promise<StoredFrames>;
  /** When records were last appended to the log (ms since the epoch). */
  lastAppendAt(): number;
  /** Resolves on the next durable append to any partition, or after `ms`. */
  waitForAppend(ms: number, wake: (resume: () => void) => void): Promise<void>;
  warn(message: string): void;
}

export const DEFAULT_MAX_BATCH_RECORDS = 10_000;

/** The member whose eachBatch is running, so that stop() can tell it is called from inside. */
const insideBatch = new AsyncLocalStorage<GroupMember>();

export class ConsumerGroup {
  readonly members: GroupMember[] = [];

  constructor(
    readonly groupId: string,
    private readonly host: GroupHost,
  ) {}

  /** Rebalances run one at a time, in the order they were asked for. */
  private readonly serialize = inTurn();

  join(member: GroupMember): Promise<void> {
    this.members.push(member);
    this.members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return this.serialize(() => this.rebalance());
  }

  leave(member: GroupMember): Promise<void> {
    return this.serialize(async () => {
      try {
        await this.rebalance();
      } finally {
        this.members.splice(this.members.indexOf(member), 1);
      }
    });
  }

  private async rebalance(): Promise<void> {
    const live = this.members.filter((m) => m.running);
    const target = new Map<GroupMember, Set<number>>(this.members.map((m) => [m, new Set<number>()]));
    if (live.length > 0) for (let p = 0; p < this.host.partitionCount; p++) target.get(live[p % live.length])!.add(p);
    // Revoke everywhere first: a partition is handed over only once its old
    // owner let go of it.
    await Promise.all(this.members.map((m) => m.revoke(m.assignment().filter((p) => !target.get(m)!.has(p)))));
    await Promise.all(live.map((m) => m.assign([...target.get(m)!].filter((p) => !m.holds(p)))));
  }
}

type State = 'running' | 'stopping' | 'stopped';

export class GroupMember implements Subscription {
  readonly done: Promise<void>;
  private state: State = 'running';
  private readonly owned = new Set<number>();
  /** Owned partitions on their way out: no new batch starts for them. */
  private readonly revoking = new Set<number>();
  private readonly positions = new Map<number, number>();
  private inFlight: Promise<void> | null = null;
  private inFlightPartition = -1;
  /** Holds deliveries back while onPartitionsAssigned runs. */
  private gate: Promise<void> | null = null;
  private resume: (() => void) | null = null;
  private error: unknown = undefined;
  private leaving: Promise<void> | null = null;
  private loop: Promise<void> = Promise.resolve();
  private roundRobin = 0;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  private readonly maxBatchRecords: number;
  /** Since when this member has held back a batch smaller than minBatchRecords. */
  private holdingSince = -1;

  constructor(
    readonly id: string,
    private readonly group: ConsumerGroup,
    private readonly host: GroupHost,
    private readonly offsets: LoadedGroup,
    private readonly options: SubscribeOptions,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Whoever never looks at `done` must not get an unhandled rejection; those
    // who do still see it.
    this.done.catch(() => {});
    const max = options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`subscribe: maxBatchRecords must be a positive integer, got ${max}`);
    this.maxBatchRecords = max;
  }

  get running() {
    return this.state === 'running';
  }

  holds(partition: number) {
    return this.owned.has(partition);
  }

  start() {
    this.loop = this.run();
  }

  assignment(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  async commit(partition: number, offset: number, metadata: string | null = null): Promise<void> {
    if (!this.owned.has(partition)) {
      throw new ContinuityError(
        'CONT_ERR_LOG_NOT_ASSIGNED',
        `group ${JSON.stringify(this.group.groupId)} member ${this.id}: partition ${partition} of ${this.host.topic} is not assigned to it (it holds ${this.assignment().join(', ') || 'none'})`,
        { details: { groupId: this.group.groupId, partition, assignment: this.assignment() } },
      );
    }
    const end = this.host.endOffset(partition);
    const start = this.host.startOffset(partition);
    if (!Number.isInteger(offset) || offset < start || offset > end) {
      throw new ContinuityError('CONT_ERR_LOG_OFFSET_OUT_OF_RANGE', `commit of offset ${offset} for partition ${partition}: outside ${start}..${end}`, {
        details: { partition, offset, start, end },
      });
    }
    if (metadata !== null && typeof metadata !== 'string') throw new TypeError('commit: metadata must be a string or null');
    // Applied before the first await, while the partition is known to be ours:
    // an owner taking it over later starts from this commit.
    await this.host.offsets.commitLoaded(this.offsets, [{ partition, offset, metadata }]);
  }

  stop(): Promise<void> {
    if (this.state === 'running') this.leave();
    // Leaving waits for the batch in flight; awaited from inside that batch it
    // would wait for itself. There it resolves at once and the member leaves
    // as soon as the batch settles.
    if (insideBatch.getStore() === this) return Promise.resolve();
    return this.leaving!.catch(() => {});
  }

  private leave(error?: unknown) {
    this.state = 'stopping';
    this.error = error;
    this.wake();
    this.leaving = this.group.leave(this).then(
      () => this.finish(),
      (e: unknown) => this.finish(this.error ?? e),
    );
  }

  private async finish(error: unknown = this.error) {
    await this.loop;
    this.state = 'stopped';
    if (error !== undefined) this.rejectDone(error);
    else this.resolveDone();
  }

  private fail(error: unknown) {
    if (this.state === 'running') this.leave(error);
    else if (this.error === undefined) this.error = error;
  }

  private wake() {
    const resume = this.resume;
    this.resume = null;
    resume?.();
  }

  async revoke(partitions: number[]): Promise<void> {
    if (partitions.length === 0) return;
    // No new batch of these partitions from here on, but the one in flight
    // still owns its partition until it settles: it may commit what it did.
    for (const p of partitions) this.revoking.add(p);
    if (this.inFlight && partitions.includes(this.inFlightPartition)) await this.inFlight;
    for (const p of partitions) {
      this.owned.delete(p);
      this.positions.delete(p);
      this.revoking.delete(p);
    }
    try {
      await this.options.onPartitionsRevoked?.(partitions);
    } catch (error) {
      this.fail(error);
    }
  }

  async assign(partitions: number[]): Promise<void> {
    if (partitions.length === 0 || !this.running) return;
    await this.host.offsets.settled(this.group.groupId);
    for (const p of partitions) {
      const committed = this.host.offsets.committedOf(this.offsets, p).offset;
      const start = this.host.startOffset(p);
      const end = this.host.endOffset(p);
      let position = committed;
      if (committed > end || committed < start) {
        position = committed > end ? end : start;
        this.host.warn(
          `group ${JSON.stringify(this.group.groupId)}: committed offset ${committed} of ${this.host.topic} partition ${p} is outside ${start}..${end}; consuming from ${position}`,
        );
      }
      this.owned.add(p);
      this.positions.set(p, position);
    }
    let open!: () => void;
    this.gate = new Promise<void>((resolve) => (open = resolve));
    try {
      await this.options.onPartitionsAssigned?.(partitions);
    } catch (error) {
      this.fail(error);
    } finally {
      this.gate = null;
      open();
      this.wake();
    }
  }

  /** The next owned partition with records to deliver, taking turns. */
  private pick(): number {
    const owned = this.assignment();
    for (let k = 0; k < owned.length; k++) {
      const p = owned[(this.roundRobin + k) % owned.length];
      if (!this.revoking.has(p) && this.positions.get(p)! < this.host.endOffset(p)) {
        this.roundRobin = (this.roundRobin + k + 1) % owned.length;
        return p;
      }
    }
    return -1;
  }

  /**
   * How long to wait for more records before delivering (fetch.min / max
   * wait): 0 once some owned partition holds minBatchRecords, the wait is
   * over, or nothing was appended for as long as the wait.
   */
  private holdBack(): number {
    const min = this.options.minBatchRecords ?? 1;
    const maxWait = this.options.maxBatchWaitMs ?? 0;
    if (min <= 1 || maxWait <= 0) return 0;
    let most = 0;
    for (const p of this.owned) if (!this.revoking.has(p)) most = Math.max(most, this.host.endOffset(p) - this.positions.get(p)!);
    const now = Date.now();
    // A log nobody is appending to has all it will have: waiting gains nothing (a catch-up's tail).
    if (most >= min || now - this.host.lastAppendAt() > maxWait) {
      this.holdingSince = -1;
      return 0;
    }
    if (this.holdingSince < 0) this.holdingSince = now;
    const left = this.holdingSince + maxWait - now;
    if (left <= 0) {
      this.holdingSince = -1;
      return 0;
    }
    return left;
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.gate) {
        await this.gate;
        continue;
      }
      const partition = this.pick();
      if (partition < 0) {
        await this.host.waitForAppend(this.host.pollIntervalMs, (resume) => (this.resume = resume));
        continue;
      }
      const wait = this.holdBack();
      if (wait > 0) {
        await this.host.waitForAppend(wait, (resume) => (this.resume = resume));
        continue;
      }
      // Marked in flight before the first await, so a rebalance that takes the
      // partition waits for this batch rather than racing it.
      let settle!: () => void;
      this.inFlight = new Promise<void>((resolve) => (settle = resolve));
      this.inFlightPartition = partition;
      try {
        const frames = await this.host.read(partition, this.positions.get(partition)!, this.maxBatchRecords);
        // Taken away while reading: the next owner reads these again.
        if (!this.running || this.revoking.has(partition) || !this.owned.has(partition) || frames.length === 0) continue;
        const committed: CommittedOffset = this.host.offsets.committedOf(this.offsets, partition);
        const batch: RecordBatch = {
          partition,
          // Decoded only for a consumer that looks at them.
          get records() {
            return frames.records();
          },
          committed,
          highWatermark: this.host.endOffset(partition),
          scan: (visit, from, to) => frames.scan(visit, from, to),
          release: () => frames.release(),
        };
        await insideBatch.run(this, () => this.options.eachBatch(batch, this));
        if (this.owned.has(partition)) this.positions.set(partition, frames.lastOffset + 1);
      } catch (error) {
        this.fail(error);
      } finally {
        this.inFlight = null;
        this.inFlightPartition = -1;
        settle();
      }
    }
  }
}
