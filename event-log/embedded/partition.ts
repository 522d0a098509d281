/**
 * One partition of the embedded log: a folder of segment files named by the
 * offset of their first record, the last of which takes appends.
 *
 * Readers only ever see records that are durable: `visibleEnd` moves after the
 * fdatasync, so a consumer never processes a record that a power cut could
 * still take back.
 */
import { mkdir, open, readdir, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ContinuityError } from '../../errors/registry.ts';
import type { LogRecord } from '../event-log.ts';
import { fsyncDir, isErrno, isTempFile, writeFileAtomic } from './files.ts';
import {
  checkFrame,
  FRAME_CORRUPT,
  FRAME_OK,
  newFrameInfo,
  writeFrame,
  type FrameInfo,
  type FrameStatus,
  type PreparedRecord,
} from './record-format.ts';
import { frameChecksumsMatch } from './frame-checksums.ts';
import { StoredFrames } from './stored-frames.ts';
import { parseIndex, serializeIndex, SparseIndex, type SegmentSummary } from './segment-index.ts';

const SEGMENT_FILE = /^(\d{20})\.log$/;
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Read chunks a consumer let go without decoding them (`StoredFrames.release`
 * after a scan), kept for the next reads. A bulk consumer reads its whole
 * log through a few dozen of them instead of a fresh megabyte per chunk,
 * whose allocation, first touch and collection cost more than the read.
 */
const readChunks = (() => {
  const free: ArrayBuffer[] = [];
  const MAX_FREE = 32;
  return {
    /** A buffer of `length` ≤ READ_CHUNK_BYTES bytes. */
    take(length: number): Buffer {
      const memory = free.pop() ?? new ArrayBuffer(READ_CHUNK_BYTES);
      return Buffer.from(memory, 0, length);
    },
    /** Gives back a chunk nothing refers to any longer; others are left to the collector. */
    give(chunk: Buffer) {
      if (chunk.buffer.byteLength === READ_CHUNK_BYTES && chunk.byteOffset === 0 && free.length < MAX_FREE && chunk.buffer instanceof ArrayBuffer) free.push(chunk.buffer);
    },
  };
})();
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.log`;
}

class Segment {
  closed = false;
  /** Bytes readers may look at. */
  size = 0;
  /** Offset after the segment's last record (closed segments). */
  nextOffset: number;
  /** -1 while the segment holds no record. */
  firstTimestamp = -1;
  lastTimestamp = -1;
  /** Always set for the active segment; loaded on first use for closed ones. */
  index: SparseIndex | null = null;
  loading: Promise<void> | null = null;

  constructor(
    readonly baseOffset: number,
    readonly path: string,
  ) {
    this.nextOffset = baseOffset;
  }

  get indexPath() {
    return `${this.path.slice(0, -'.log'.length)}.index`;
  }
}

export interface PartitionSettings {
  topic: string;
  topicDir: string;
  partition: number;
  segmentBytes: number;
  indexIntervalBytes: number;
  fsync: boolean;
  warn(message: string): void;
  /** Called after records became durable and visible. */
  onAppended(partition: number): void;
}

interface PendingAppend {
  records: PreparedRecord[];
  resolve(firstOffset: number): void;
  reject(error: unknown): void;
}

/** Visits frames in order; true goes on, false stops, a string marks the frame corrupt. */
type FrameVisitor = (buf: Buffer, at: number, info: FrameInfo, position: number) => boolean | string;

interface WalkResult {
  /** Start of the first frame not consumed. */
  position: number;
  problem: string | null;
}

async function readFully(handle: FileHandle, buf: Buffer, length: number, position: number): Promise<number> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** The most write memory a partition keeps between batches; larger batches get memory of their own. */
const SCRATCH_MAX_BYTES = 8 * 1024 * 1024;

async function writeAll(handle: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await handle.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

/** Reads `[from, limit)` in large chunks and hands every whole, checksummed frame to `visit`. */
async function walkFrames(handle: FileHandle, from: number, limit: number, chunkBytes: number, visit: FrameVisitor): Promise<WalkResult> {
  const info = newFrameInfo();
  // The whole frames of the chunk in hand, checked but for their checksums.
  const sizes: number[] = [];
  const offsets: number[] = [];
  const timestamps: number[] = [];
  let position = from;
  let want = chunkBytes;
  while (position < limit) {
    const length = Math.min(want, limit - position);
    // A buffer per chunk, not one reused: decoded records keep views into it.
    const buf = length <= READ_CHUNK_BYTES ? readChunks.take(length) : Buffer.allocUnsafe(length);
    const got = await readFully(handle, buf, length, position);
    let count = 0;
    let end = 0;
    let status: FrameStatus = FRAME_OK;
    while (end < got) {
      status = checkFrame(buf, end, got, info, false);
      if (status !== FRAME_OK) break;
      sizes[count] = info.size;
      offsets[count] = info.offset;
      timestamps[count] = info.timestamp;
      count++;
      end += info.size;
    }
    let checksumsMatch = frameChecksumsMatch(buf, 0, end);
    if (!checksumsMatch) {
      // A body does not match its checksum: the good frames end at the first such.
      let at = 0;
      let i = 0;
      while (i < count && checkFrame(buf, at, got, info) === FRAME_OK) at += sizes[i++];
      if (i < count) {
        count = i;
        end = at;
        status = FRAME_CORRUPT;
      } else checksumsMatch = true;
    }
    if (checksumsMatch && status !== FRAME_OK) {
      // The frame that stopped the walk gets the verdict it gets on its own (its checksum comes first).
      status = checkFrame(buf, end, got, info);
    }
    const stopSize = info.size;
    const reason = info.reason;
    let at = 0;
    for (let i = 0; i < count; i++) {
      info.size = sizes[i];
      info.offset = offsets[i];
      info.timestamp = timestamps[i];
      const verdict = visit(buf, at, info, position + at);
      if (verdict === false) return { position: position + at, problem: null };
      if (verdict !== true) return { position: position + at, problem: verdict };
      at += sizes[i];
    }
    if (status === FRAME_CORRUPT) return { position: position + at, problem: reason };
    if (at === got && got === length) {
      position += at;
      continue;
    }
    const stop = position + at;
    if (got < length) return { position: stop, problem: `the file ends ${limit - position - got} bytes early` };
    if (stop + stopSize > limit) return { position: stop, problem: `short record: ${limit - stop} bytes left where a record needs ${stopSize}` };
    // The frame continues past this chunk: read again from its start, big enough to hold it.
    if (at === 0) want = Math.max(want, stopSize);
    position += at;
  }
  return { position, problem: null };
}

interface ScanResult {
  validSize: number;
  problem: string | null;
  nextOffset: number;
  firstTimestamp: number;
  lastTimestamp: number;
  index: SparseIndex;
  lastIndexedPosition: number;
}

/** Checks every record of a segment file and rebuilds its sparse index. */
async function scanSegment(path: string, baseOffset: number, size: number, indexIntervalBytes: number): Promise<ScanResult> {
  const handle = await open(path, 'r');
  try {
    const index = new SparseIndex();
    let expected = baseOffset;
    let lastIndexedPosition = 0;
    let firstTimestamp = -1;
    let lastTimestamp = -1;
    const walk = await walkFrames(handle, 0, size, SCAN_CHUNK_BYTES, (_buf, _at, info, position) => {
      if (info.offset !== expected) return `record says offset ${info.offset} where ${expected} belongs`;
      if (position - lastIndexedPosition >= indexIntervalBytes) {
        index.add(expected, position, info.timestamp);
        lastIndexedPosition = position;
      }
      if (firstTimestamp < 0) firstTimestamp = info.timestamp;
      lastTimestamp = info.timestamp;
      expected++;
      return true;
    });
    return { validSize: walk.position, problem: walk.problem, nextOffset: expected, firstTimestamp, lastTimestamp, index, lastIndexedPosition };
  } finally {
    await handle.close();
  }
}

export class Partition {
  readonly dir: string;
  /** Offset after the last durable record: what readers and consumers see. */
  visibleEnd = 0;
  private segments: Segment[] = [];
  private active!: Segment;
  private handle: FileHandle | null = null;
  /** Bytes written to the active segment, durable or not yet. */
  private writeSize = 0;
  private writeNext = 0;
  private lastIndexedPosition = 0;
  private lastTimestamp = 0;
  private queue: PendingAppend[] = [];
  private draining: Promise<void> | null = null;
  /**
   * Frames are written into memory reused from one batch to the next (batches
   * of a partition are written one at a time): a fresh multi-megabyte buffer
   * per batch costs page faults on every page it is filled with.
   */
  private scratch: Buffer | null = null;
  /** Set when the file's state is unknown after an I/O error; appends fail until reopened. */
  private failure: Error | null = null;

  constructor(private readonly s: PartitionSettings) {
    this.dir = join(s.topicDir, `p-${s.partition}`);
  }

  get startOffset(): number {
    return this.segments[0].baseOffset;
  }

  private get name() {
    return `event log ${this.s.topic} partition ${this.s.partition}`;
  }

  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const bases: number[] = [];
    for (const name of await readdir(this.dir)) {
      if (isTempFile(name)) await rm(join(this.dir, name), { force: true });
      const match = SEGMENT_FILE.exec(name);
      if (match) bases.push(Number(match[1]));
    }
    bases.sort((a, b) => a - b);
    if (bases.length === 0) {
      await (await open(join(this.dir, segmentFileName(0)), 'wx')).close();
      if (this.s.fsync) await fsyncDir(this.dir);
      bases.push(0);
    }
    this.segments = bases.map((base) => new Segment(base, join(this.dir, segmentFileName(base))));
    for (let i = 0; i < this.segments.length - 1; i++) this.segments[i].closed = true;
    this.active = this.segments[this.segments.length - 1];
    await this.recoverActive();
    // The segment before the active one tells where timestamps stand when the
    // active one is empty, and loading it rebuilds its index if a crash came
    // between the roll and the index write.
    const previous = this.segments[this.segments.length - 2];
    if (previous) {
      await this.ensureLoaded(previous);
      if (this.active.lastTimestamp < 0) this.lastTimestamp = Math.max(this.lastTimestamp, previous.lastTimestamp);
    }
  }

  /** Scans the active segment and cuts a torn or corrupt tail, so it is never served. */
  private async recoverActive(): Promise<void> {
    const seg = this.active;
    const fileSize = (await stat(seg.path)).size;
    const scan = await scanSegment(seg.path, seg.baseOffset, fileSize, this.s.indexIntervalBytes);
    this.handle = await open(seg.path, 'r+');
    if (scan.problem !== null) {
      await this.handle.truncate(scan.validSize);
      if (this.s.fsync) await this.handle.datasync();
      this.s.warn(
        `${this.name}: cut a torn or corrupt tail at offset ${scan.nextOffset}: ${fileSize - scan.validSize} bytes ` +
          `from position ${scan.validSize} of ${seg.path} (${scan.problem})`,
      );
    }
    seg.index = scan.index;
    seg.size = scan.validSize;
    seg.nextOffset = scan.nextOffset;
    seg.firstTimestamp = scan.firstTimestamp;
    seg.lastTimestamp = scan.lastTimestamp;
    this.writeSize = scan.validSize;
    this.writeNext = scan.nextOffset;
    this.visibleEnd = scan.nextOffset;
    this.lastIndexedPosition = scan.lastIndexedPosition;
    this.lastTimestamp = Math.max(0, scan.lastTimestamp);
  }

  private ensureLoaded(seg: Segment): Promise<void> {
    if (seg.index) return Promise.resolve();
    if (!seg.loading) {
      seg.loading = this.loadClosed(seg);
      seg.loading.catch(() => (seg.loading = null));
    }
    return seg.loading;
  }

  /** Loads a closed segment's index file, rebuilding it when missing or not matching the segment. */
  private async loadClosed(seg: Segment): Promise<void> {
    const next = this.segments[this.segments.indexOf(seg) + 1];
    const size = (await stat(seg.path)).size;
    let summary: SegmentSummary | null = null;
    try {
      summary = parseIndex(await readFile(seg.indexPath));
      if (summary === null) this.s.warn(`${this.name}: index ${seg.indexPath} is damaged; rebuilding it`);
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
    if (summary && (summary.baseOffset !== seg.baseOffset || summary.nextOffset !== next.baseOffset || summary.segmentBytes !== size)) {
      this.s.warn(`${this.name}: index ${seg.indexPath} does not describe its segment; rebuilding it`);
      summary = null;
    }
    if (summary === null) {
      const scan = await scanSegment(seg.path, seg.baseOffset, size, this.s.indexIntervalBytes);
      if (scan.problem !== null || scan.nextOffset !== next.baseOffset) {
        throw new ContinuityError(
          'CONT_ERR_LOG_CORRUPT',
          `${this.name}: closed segment ${seg.path} is damaged at position ${scan.validSize} (offset ${scan.nextOffset}): ` +
            (scan.problem ?? `it ends at offset ${scan.nextOffset} but the next segment starts at ${next.baseOffset}`),
          { details: { partition: this.s.partition, offset: scan.nextOffset, file: seg.path } },
        );
      }
      summary = {
        baseOffset: seg.baseOffset,
        nextOffset: scan.nextOffset,
        segmentBytes: size,
        firstTimestamp: scan.firstTimestamp,
        lastTimestamp: scan.lastTimestamp,
        index: scan.index,
      };
      await writeFileAtomic(seg.indexPath, serializeIndex(summary), this.s.fsync);
    }
    seg.size = size;
    seg.nextOffset = summary.nextOffset;
    seg.firstTimestamp = summary.firstTimestamp;
    seg.lastTimestamp = summary.lastTimestamp;
    seg.index = summary.index;
  }

  /** Queues records; resolves with the first one's offset once all are durable. */
  append(records: PreparedRecord[]): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /**
   * Group commit: whatever queued up while the previous write and sync ran goes
   * out as the next single write and sync.
   */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.queue.length);
        let first: number;
        try {
          first = await this.writeBatch(batch.length === 1 ? batch[0].records : batch.flatMap((b) => b.records));
        } catch (error) {
          for (const pending of batch) pending.reject(error);
          continue;
        }
        for (const pending of batch) {
          pending.resolve(first);
          first += pending.records.length;
        }
        this.s.onAppended(this.s.partition);
      }
    } finally {
      this.draining = null;
    }
  }

  private writeBuffer(bytes: number): Buffer {
    if (bytes > SCRATCH_MAX_BYTES) return Buffer.allocUnsafeSlow(bytes);
    if (this.scratch === null || this.scratch.length < bytes) this.scratch = Buffer.allocUnsafeSlow(Math.min(SCRATCH_MAX_BYTES, Math.max(bytes, 2 * (this.scratch?.length ?? 0))));
    return this.scratch.subarray(0, bytes);
  }

  private async writeBatch(records: PreparedRecord[]): Promise<number> {
    if (this.failure) throw this.failure;
    // Timestamps never go back within a partition, even if the clock does:
    // finding the first record at or after a time relies on it.
    const timestamp = Math.max(Date.now(), this.lastTimestamp);
    const firstOffset = this.writeNext;
    const before = {
      size: this.writeSize,
      next: this.writeNext,
      indexCount: this.active.index!.count,
      lastIndexedPosition: this.lastIndexedPosition,
      firstTimestamp: this.active.firstTimestamp,
      lastTimestamp: this.active.lastTimestamp,
    };
    let rolled = false;
    let step: 'write' | 'sync' | 'roll' = 'write';
    try {
      let i = 0;
      while (i < records.length) {
        let bytes = 0;
        let j = i;
        while (j < records.length) {
          const size = records[j].size;
          if (this.writeSize + bytes > 0 && this.writeSize + bytes + size > this.s.segmentBytes) break;
          bytes += size;
          j++;
        }
        if (j === i) {
          step = 'sync';
          await this.syncActive();
          step = 'roll';
          await this.roll();
          rolled = true;
          step = 'write';
          continue;
        }
        const buf = this.writeBuffer(bytes);
        const seg = this.active;
        const index = seg.index!;
        let at = 0;
        for (let k = i; k < j; k++) {
          const position = this.writeSize + at;
          const offset = this.writeNext + (k - i);
          if (position - this.lastIndexedPosition >= this.s.indexIntervalBytes) {
            index.add(offset, position, timestamp);
            this.lastIndexedPosition = position;
          }
          at = writeFrame(buf, at, records[k], offset, timestamp);
        }
        if (seg.firstTimestamp < 0) seg.firstTimestamp = timestamp;
        seg.lastTimestamp = timestamp;
        await writeAll(this.handle!, buf, this.writeSize);
        this.writeSize += bytes;
        this.writeNext += j - i;
        i = j;
      }
      step = 'sync';
      await this.syncActive();
    } catch (error) {
      const message = `${this.name}: append failed during ${step}: ${(error as Error).message}`;
      // A failed write of the active segment can be undone. After a failed
      // fsync the kernel may have dropped the dirty pages (and cleared the
      // error), and after a roll the older segment is already closed: the
      // file's state is then unknown, so stop appending until reopened, where
      // recovery checks every record of the tail.
      if (step === 'write' && !rolled && (await this.undoWrite(before))) {
        throw new ContinuityError('CONT_ERR_INGEST_LOG_UNAVAILABLE', message, { cause: error });
      }
      this.failure = new ContinuityError('CONT_ERR_INGEST_LOG_UNAVAILABLE', `${message}; reopen the log to recover`, { cause: error });
      throw this.failure;
    }
    this.lastTimestamp = timestamp;
    this.active.size = this.writeSize;
    this.active.nextOffset = this.writeNext;
    this.visibleEnd = this.writeNext;
    return firstOffset;
  }

  private async undoWrite(before: {
    size: number;
    next: number;
    indexCount: number;
    lastIndexedPosition: number;
    firstTimestamp: number;
    lastTimestamp: number;
  }): Promise<boolean> {
    try {
      await this.handle!.truncate(before.size);
    } catch {
      return false;
    }
    this.writeSize = before.size;
    this.writeNext = before.next;
    this.active.index!.truncate(before.indexCount);
    this.lastIndexedPosition = before.lastIndexedPosition;
    this.active.firstTimestamp = before.firstTimestamp;
    this.active.lastTimestamp = before.lastTimestamp;
    return true;
  }

  private async syncActive() {
    if (this.s.fsync) await this.handle!.datasync();
  }

  /** Closes the full active segment (its index goes to disk) and starts the next one. */
  private async roll(): Promise<void> {
    const old = this.active;
    await this.handle!.close();
    this.handle = null;
    old.closed = true;
    old.size = this.writeSize;
    old.nextOffset = this.writeNext;
    await writeFileAtomic(
      old.indexPath,
      serializeIndex({
        baseOffset: old.baseOffset,
        nextOffset: old.nextOffset,
        segmentBytes: old.size,
        firstTimestamp: old.firstTimestamp,
        lastTimestamp: old.lastTimestamp,
        index: old.index!,
      }),
      this.s.fsync,
    );
    const seg = new Segment(this.writeNext, join(this.dir, segmentFileName(this.writeNext)));
    seg.index = new SparseIndex();
    this.handle = await open(seg.path, 'wx');
    if (this.s.fsync) await fsyncDir(this.dir);
    this.segments.push(seg);
    this.active = seg;
    this.writeSize = 0;
    this.lastIndexedPosition = 0;
  }

  /** The last segment whose base offset is ≤ `offset`. */
  private segmentIndexOf(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private corrupt(seg: Segment, position: number, offset: number, problem: string): ContinuityError {
    return new ContinuityError('CONT_ERR_LOG_CORRUPT', `${this.name}: record at position ${position} of ${seg.path} (near offset ${offset}) is damaged: ${problem}`, {
      details: { partition: this.s.partition, offset, file: seg.path, position },
    });
  }

  /** Where to start reading a segment for `offset`: the nearest indexed record at or before it. */
  private seek(seg: Segment, offset: number): { position: number; offset: number } {
    const index = seg.index!;
    const i = index.floorByOffset(offset);
    return i < 0 ? { position: 0, offset: seg.baseOffset } : { position: index.position(i), offset: index.offset(i) };
  }

  async read(offset: number, maxRecords: number): Promise<LogRecord[]> {
    return (await this.readFrames(offset, maxRecords)).records();
  }

  /** Up to `maxRecords` checked frames from `offset`, not yet decoded. */
  async readFrames(offset: number, maxRecords: number): Promise<StoredFrames> {
    const end = this.visibleEnd;
    const start = this.startOffset;
    if (!Number.isInteger(offset) || offset < start || offset > end) {
      throw new ContinuityError('CONT_ERR_LOG_OFFSET_OUT_OF_RANGE', `${this.name}: offset ${offset} is outside the stored range ${start}..${end}`, {
        details: { partition: this.s.partition, offset, start, end },
      });
    }
    const out = new StoredFrames(this.s.partition, readChunks.give);
    if (offset === end || !(maxRecords >= 1)) return out;
    const chunkBytes = Math.min(READ_CHUNK_BYTES, Math.max(64 * 1024, maxRecords * 512));
    let next = offset;
    for (let s = this.segmentIndexOf(offset); out.length < maxRecords && next < end; s++) {
      const seg = this.segments[s];
      await this.ensureLoaded(seg);
      const from = this.seek(seg, next);
      let expected = from.offset;
      const target = next;
      const handle = await open(seg.path, 'r');
      let walk: WalkResult;
      try {
        walk = await walkFrames(handle, from.position, seg.size, chunkBytes, (buf, at, info) => {
          if (info.offset !== expected) return `record says offset ${info.offset} where ${expected} belongs`;
          if (info.offset >= end) return false;
          expected++;
          if (info.offset < target) return true;
          out.add(buf, at, info);
          return out.length < maxRecords;
        });
      } finally {
        await handle.close();
      }
      if (walk.problem !== null) throw this.corrupt(seg, walk.position, expected, walk.problem);
      next = expected;
      if (out.length < maxRecords && next < end && s + 1 < this.segments.length && this.segments[s + 1].baseOffset !== next) {
        throw this.corrupt(seg, walk.position, next, `segment ends at offset ${next} but the next one starts at ${this.segments[s + 1].baseOffset}`);
      }
    }
    return out;
  }

  /** The first offset whose record has a timestamp ≥ `timestamp`; the end offset when none has. */
  async offsetForTimestamp(timestamp: number): Promise<number> {
    const end = this.visibleEnd;
    let hi = this.segments.length - 1;
    if (this.segments[hi].lastTimestamp < 0 && this.segments[hi] === this.active) hi--;
    let lo = 0;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      await this.ensureLoaded(this.segments[mid]);
      if (this.segments[mid].lastTimestamp >= timestamp) {
        found = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    if (found < 0) return end;
    const seg = this.segments[found];
    const index = seg.index!;
    const i = index.lastBeforeTimestamp(timestamp);
    const from = i < 0 ? { position: 0, offset: seg.baseOffset } : { position: index.position(i), offset: index.offset(i) };
    let expected = from.offset;
    let result = -1;
    const handle = await open(seg.path, 'r');
    let walk: WalkResult;
    try {
      walk = await walkFrames(handle, from.position, seg.size, READ_CHUNK_BYTES, (_buf, _at, info) => {
        if (info.offset !== expected) return `record says offset ${info.offset} where ${expected} belongs`;
        if (info.timestamp >= timestamp) {
          result = info.offset;
          return false;
        }
        expected++;
        return expected < end;
      });
    } finally {
      await handle.close();
    }
    if (walk.problem !== null) throw this.corrupt(seg, walk.position, expected, walk.problem);
    return result < 0 ? Math.min(expected, end) : Math.min(result, end);
  }

  /** Waits for queued appends, then releases the segment file. */
  async close(): Promise<void> {
    while (this.draining) await this.draining.catch(() => {});
    await this.handle?.close();
    this.handle = null;
  }
}
