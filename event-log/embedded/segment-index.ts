/**
 * Sparse offset → file position index of one segment, with the timestamp of
 * each indexed record (timestamps never decrease within a partition, so the
 * same entries answer "first record at or after time t").
 *
 * Index file (`<base>.index`, written once when the segment is closed):
 *
 *   'CIX1' | u32 entryCount | f64 baseOffset | f64 nextOffset | f64 segmentBytes
 *   | f64 firstTimestamp | f64 lastTimestamp | entryCount × (f64 offset, f64 position, f64 timestamp)
 *   | u32 crc32(everything before)
 *
 * Doubles hold every offset and millisecond timestamp exactly and keep the
 * layout one array.
 */
import { crc32 } from 'node:zlib';

const MAGIC = 0x31584943; // 'CIX1' little-endian
const HEADER_BYTES = 48;
const ENTRY_FIELDS = 3;

export class SparseIndex {
  count = 0;
  private data = new Float64Array(ENTRY_FIELDS * 64);

  add(offset: number, position: number, timestamp: number) {
    if ((this.count + 1) * ENTRY_FIELDS > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const i = this.count * ENTRY_FIELDS;
    this.data[i] = offset;
    this.data[i + 1] = position;
    this.data[i + 2] = timestamp;
    this.count++;
  }

  /** Drops entries added after a failed write. */
  truncate(count: number) {
    this.count = Math.min(this.count, count);
  }

  offset(i: number) {
    return this.data[i * ENTRY_FIELDS];
  }
  position(i: number) {
    return this.data[i * ENTRY_FIELDS + 1];
  }
  timestamp(i: number) {
    return this.data[i * ENTRY_FIELDS + 2];
  }

  /** The last entry whose offset is ≤ `offset`, or -1. */
  floorByOffset(offset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.offset(mid) <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The last entry whose timestamp is < `timestamp`, or -1. */
  lastBeforeTimestamp(timestamp: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.timestamp(mid) < timestamp) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}

/** What a closed segment's index file says about it. */
export interface SegmentSummary {
  baseOffset: number;
  nextOffset: number;
  segmentBytes: number;
  /** -1 for an empty segment. */
  firstTimestamp: number;
  lastTimestamp: number;
  index: SparseIndex;
}

export function serializeIndex(summary: SegmentSummary): Buffer {
  const { index } = summary;
  const buf = Buffer.alloc(HEADER_BYTES + index.count * ENTRY_FIELDS * 8 + 4);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(index.count, 4);
  buf.writeDoubleLE(summary.baseOffset, 8);
  buf.writeDoubleLE(summary.nextOffset, 16);
  buf.writeDoubleLE(summary.segmentBytes, 24);
  buf.writeDoubleLE(summary.firstTimestamp, 32);
  buf.writeDoubleLE(summary.lastTimestamp, 40);
  let p = HEADER_BYTES;
  for (let i = 0; i < index.count; i++) {
    buf.writeDoubleLE(index.offset(i), p);
    buf.writeDoubleLE(index.position(i), p + 8);
    buf.writeDoubleLE(index.timestamp(i), p + 16);
    p += 24;
  }
  buf.writeUInt32LE(crc32(buf.subarray(0, p)), p);
  return buf;
}

/** Parses an index file; null when it is damaged in any way (the caller rebuilds it). */
export function parseIndex(buf: Buffer): SegmentSummary | null {
  if (buf.length < HEADER_BYTES + 4 || buf.readUInt32LE(0) !== MAGIC) return null;
  const count = buf.readUInt32LE(4);
  const end = HEADER_BYTES + count * ENTRY_FIELDS * 8;
  if (buf.length !== end + 4) return null;
  if (crc32(buf.subarray(0, end)) !== buf.readUInt32LE(end)) return null;
  const index = new SparseIndex();
  for (let p = HEADER_BYTES; p < end; p += 24) index.add(buf.readDoubleLE(p), buf.readDoubleLE(p + 8), buf.readDoubleLE(p + 16));
  return {
    baseOffset: buf.readDoubleLE(8),
    nextOffset: buf.readDoubleLE(16),
    segmentBytes: buf.readDoubleLE(24),
    firstTimestamp: buf.readDoubleLE(32),
    lastTimestamp: buf.readDoubleLE(40),
    index,
  };
}
