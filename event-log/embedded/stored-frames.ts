/**
 * Checked frames of one read, left where they were read: the chunk buffers
 * and each frame's place in them. Records are decoded only when asked for;
 * `scan` hands out values in place, which is how a bulk consumer moves a
 * million records a second without an object per record.
 */
import type { LogRecord, ValueVisitor } from '../event-log.ts';
import { decodeFrame, FRAME_HEADER_BYTES, newFrameInfo, newHeaderCache, NO_HEADERS, readHeaders, u32, type FrameInfo, type HeaderCache } from './record-format.ts';

export class StoredFrames {
  private readonly chunks: Buffer[] = [];
  private readonly chunkOf: number[] = [];
  private readonly positions: number[] = [];
  private readonly offsets: number[] = [];
  private readonly timestamps: number[] = [];
  private decoded: LogRecord[] | null = null;
  private released = false;

  constructor(
    readonly partition: number,
    /** Takes a chunk back for later reads, once nothing can refer to it. */
    private readonly recycle?: (chunk: Buffer) => void,
  ) {}

  get length(): number {
    return this.positions.length;
  }

  /** Offset of the last frame; -1 when empty. */
  get lastOffset(): number {
    return this.offsets.length === 0 ? -1 : this.offsets[this.offsets.length - 1];
  }

  /** Keeps a frame `checkFrame` accepted. */
  add(buf: Buffer, at: number, info: FrameInfo) {
    if (this.chunks.length === 0 || this.chunks[this.chunks.length - 1] !== buf) this.chunks.push(buf);
    this.chunkOf.push(this.chunks.length - 1);
    this.positions.push(at);
    this.offsets.push(info.offset);
    this.timestamps.push(info.timestamp);
  }

  /** Every frame as a record (decoded once, then kept). */
  records(): LogRecord[] {
    if (this.decoded) return this.decoded;
    if (this.released) throw new Error(`records of partition ${this.partition} read after the batch was released`);
    const out: LogRecord[] = new Array(this.positions.length);
    const info = newFrameInfo();
    const cache = newHeaderCache();
    for (let i = 0; i < out.length; i++) {
      info.offset = this.offsets[i];
      info.timestamp = this.timestamps[i];
      out[i] = decodeFrame(this.chunks[this.chunkOf[i]], this.positions[i], this.partition, info, cache);
    }
    this.decoded = out;
    return out;
  }

  /** Lets the chunks go (see `RecordBatch.release`); read again, unless records made of them may still be held. */
  release() {
    if (!this.released && this.decoded === null && this.recycle) for (const chunk of this.chunks) this.recycle(chunk);
    this.released = true;
    this.decoded = null;
    this.chunks.length = 0;
  }

  /** Visits the frames `[from, to)` in place; returns how many the batch holds. */
  scan(visit: ValueVisitor, from = 0, to = Infinity): number {
    if (this.released) throw new Error(`partition ${this.partition}: scan after the batch was released`);
    const cache: HeaderCache = newHeaderCache();
    const end = Math.min(to, this.positions.length);
    for (let i = Math.max(0, from); i < end; i++) {
      const buf = this.chunks[this.chunkOf[i]];
      // Lengths read by hand: the frame was checked on read, and Buffer's
      // bounds-checked readers cost more than the rest of this loop.
      let p = this.positions[i] + FRAME_HEADER_BYTES + 17;
      p += 4 + u32(buf, p);
      const headerCount = buf[p] | (buf[p + 1] << 8);
      p += 2;
      let headers = NO_HEADERS;
      if (headerCount > 0) {
        p = readHeaders(buf, p, headerCount, cache);
        headers = cache.headers;
      }
      const valueLength = u32(buf, p);
      p += 4;
      visit(buf, p, p + valueLength, i, this.offsets[i], this.timestamps[i], headers);
    }
    return this.positions.length;
  }
}
