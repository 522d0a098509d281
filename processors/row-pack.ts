/**
 * The rows of one batch, written into one buffer as they are made.
 *
 * A loader holds a batch from its read until the insert holding it returned;
 * keeping it as one JSONEachRow body (plus each row's start, id and time)
 * instead of an object per row is what keeps the garbage collector out of the
 * hot path: a few hundred thousand rows in flight are a few large buffers.
 * Ids are kept as bytes too, and a batch's repeated ids are found by a hash
 * table over those bytes: a string and a set entry per row would be most of
 * the loader's garbage, for the rare batch that needs its ids as strings.
 */
import type { LogRecord, RecordBatch } from '../event-log/event-log.ts';
import { timeWindows, type TimeWindow } from './time-windows.ts';


type Coordinates = Pick<LogRecord, 'partition' | 'offset' | 'timestamp'>;

/**
 * `,"ingested_at":…,"log_partition":…,"log_offset":` of the last record
 * written: a batch's records share partition and, appended together, timestamp.
 * `ingested_at` is written as epoch milliseconds, which a DateTime64(3) column
 * takes as its ticks: ClickHouse parses the number for about half what the
 * date-time text cost it, the most expensive field of the three.
 */
let headTimestamp = -1;
let headPartition = -1;
let head = Buffer.alloc(0);

function coordinatesHead(record: Coordinates): Buffer {
  if (record.timestamp !== headTimestamp || record.partition !== headPartition) {
    headTimestamp = record.timestamp;
    headPartition = record.partition;
    head = Buffer.from(`,"ingested_at":${record.timestamp},"log_partition":${record.partition},"log_offset":`, 'latin1');
  }
  return head;
}

/** Most bytes the coordinates add to a row: the head, 16 digits and `}`. */
const COORDINATES_MAX_BYTES = 96;
const EMPTY = Buffer.alloc(0);

function writeDigits(buf: Buffer, at: number, n: number): number {
  if (n < 10) {
    buf[at] = 0x30 + n;
    return at + 1;
  }
  let digits = 0;
  for (let m = n; m >= 1; m = Math.floor(m / 10)) digits++;
  for (let i = at + digits - 1; i >= at; i--) {
    buf[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + digits;
}

/**
 * MurmurHash3 (x86, 32-bit) of `buf[start, end)`: four bytes a step, where
 * a byte-wise hash spent most of a batch's id bookkeeping on its multiply chain.
 */
function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  if (i < end) {
    let k = 0;
    for (let shift = 0; i < end; i++, shift += 8) k |= buf[i] << shift;
    k = Math.imul(k, 0xcc9e2d51);
    h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  }
  h ^= end - start;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * What a pack keeps of each row, six numbers a row in one typed array: a
 * batch's rows then cost the garbage collector nothing, where five growing
 * arrays of numbers were copied as they grew and then promoted, being held
 * until the insert returns.
 */
const START = 0; // where the row starts in the body; it ends where the next starts (its newline included)
const ID_END = 1; // where the row's id ends in the id bytes; it starts where the previous one's ends
const TIME = 2; // the instant the row is filed under (ms), NaN when the table has none
const INDEX = 3; // the record's index in its batch
const OFFSET = 4; // the record's offset in its partition
const HASH = 5; // the hash of the row's id (`hashBytes`), kept for lookups in other packs
const FIELDS = 6;

export class RowPack {
  private body: Buffer;
  private size = 0;
  private meta: Float64Array;
  private rows = 0;
  /** Every row's id, one after another (see ID_END). */
  private idBytes: Buffer;
  private idSize = 0;
  /** Open addressing over the ids' bytes: row index + 1 per slot, 0 when free. Built by the first `addUnique*`. */
  private slots: Int32Array | null = null;
  private slotHashes: Int32Array | null = null;
  readonly partition: number;
  private batch: RecordBatch | null;
  /** Where the body went when it was staged (`release`), -1 while it is here. */
  private stagedAt = -1;
  private windows: TimeWindow[] | null = null;
  /** Rows the pack had when `windows` was worked out; -1 before. */
  private windowsOf = -1;
  /** The earliest and latest instant of the rows; NaN once a row has none. */
  private minTime = Infinity;
  private maxTime = -Infinity;

  constructor(partition: number, batch: RecordBatch | null, expectedBytes = 64 * 1024, expectedRows = 0) {
    this.batch = batch;
    this.partition = partition;
    this.body = Buffer.allocUnsafe(Math.max(1024, expectedBytes));
    this.idBytes = Buffer.allocUnsafe(Math.max(256, expectedBytes >> 3));
    this.meta = new Float64Array(FIELDS * Math.max(64, expectedRows));
    // Sized for the rows expected, the id table is never rebuilt while the pack fills.
    if (expectedRows > 0) this.allocateSlots(Math.max(1024, 2 ** Math.ceil(Math.log2(expectedRows * 2))));
  }

  private allocateSlots(capacity: number) {
    this.slots = new Int32Array(capacity);
    this.slotHashes = new Int32Array(capacity);
  }

  private idStart(i: number): number {
    return i === 0 ? 0 : this.meta[(i - 1) * FIELDS + ID_END];
  }

  private idEnd(i: number): number {
    return this.meta[i * FIELDS + ID_END];
  }

  /** Row i's id. */
  id(i: number): string {
    return this.idBytes.toString('utf8', this.idStart(i), this.idEnd(i));
  }

  /** The instant row i is filed under (ms), NaN when the table has none. */
  time(i: number): number {
    return this.meta[i * FIELDS + TIME];
  }

  /** The offset of row i's record in the partition. */
  offset(i: number): number {
    return this.meta[i * FIELDS + OFFSET];
  }

  /**
   * The rows' instants as lookup windows (`timeWindows`), or null when a row
   * has none. Kept once worked out: a loader asks while the previous insert
   * runs, so the next one starts without sorting a batch's instants.
   */
  timeWindows(): TimeWindow[] | null {
    if (this.windowsOf === this.rows) return this.windows;
    // The span turns NaN once a row has no instant (`spanTime`).
    if (Number.isNaN(this.minTime)) this.windows = null;
    else {
      const times = new Float64Array(this.rows);
      for (let i = 0; i < this.rows; i++) times[i] = this.meta[i * FIELDS + TIME];
      this.windows = timeWindows(times);
    }
    this.windowsOf = this.rows;
    return this.windows;
  }

  /** Every row's offset, in row order. */
  get offsets(): number[] {
    return Array.from({ length: this.rows }, (_, i) => this.offset(i));
  }

  /** Every row's id, in row order (made on demand: only batches with duplicates need them). */
  ids(): string[] {
    return Array.from({ length: this.length }, (_, i) => this.id(i));
  }

  /** The slot holding the id `buf[start, end)`, or ~(the free slot where it would go). Only for packs filled with `addUnique*`. */
  private findId(buf: Uint8Array, start: number, end: number, hash: number): number {
    const slots = this.slots!;
    const hashes = this.slotHashes!;
    const mask = slots.length - 1;
    const length = end - start;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const row = slots[at];
      if (row === 0) return ~at;
      if (hashes[at] !== hash) continue;
      const to = this.idEnd(row - 1);
      const from = this.idStart(row - 1);
      if (to - from === length && this.idBytes.compare(buf, start, end, from, to) === 0) return at;
    }
  }

  /** Makes room in the id table for one more row, growing it to stay at most half full. */
  private reserveSlot() {
    if (this.slots && (this.length + 1) * 2 <= this.slots.length) return;
    const oldSlots = this.slots;
    const oldHashes = this.slotHashes;
    this.allocateSlots(oldSlots ? oldSlots.length * 2 : 1024);
    if (!oldSlots || !oldHashes) return;
    const slots = this.slots!;
    const hashes = this.slotHashes!;
    const mask = slots.length - 1;
    // Each id's hash was kept with its slot: moved, not computed again.
    for (let s = 0; s < oldSlots.length; s++) {
      const row = oldSlots[s];
      if (row === 0) continue;
      let at = oldHashes[s] & mask;
      while (slots[at] !== 0) at = (at + 1) & mask;
      slots[at] = row;
      hashes[at] = oldHashes[s];
    }
  }

  /** Records the id of the row about to be added, or returns false when a row of the pack has it already. */
  private claimId(buf: Uint8Array, start: number, end: number, hash = hashBytes(buf, start, end)): boolean {
    this.reserveSlot();
    const at = this.findId(buf, start, end, hash);
    if (at >= 0) return false;
    this.slots![~at] = this.length + 1;
    this.slotHashes![~at] = hash;
    this.pushId(buf, start, end);
    this.meta[this.rows * FIELDS + HASH] = hash;
    return true;
  }

  private pushId(buf: Uint8Array, start: number, end: number) {
    const length = end - start;
    if (this.idSize + length > this.idBytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.idSize + length, this.idBytes.length * 2));
      this.idBytes.copy(grown, 0, 0, this.idSize);
      this.idBytes = grown;
    }
    // Byte by byte: an id is a few dozen bytes, where a view and `set` cost more.
    const idBytes = this.idBytes;
    for (let i = 0, at = this.idSize; i < length; i++) idBytes[at + i] = buf[start + i];
    this.idSize += length;
    this.reserveRow();
    this.meta[this.rows * FIELDS + ID_END] = this.idSize;
  }

  /** Room in `meta` for the row about to be added. */
  private reserveRow() {
    if ((this.rows + 1) * FIELDS <= this.meta.length) return;
    const grown = new Float64Array(this.meta.length * 2);
    grown.set(this.meta);
    this.meta = grown;
  }

  /** The log record of row `i` while the batch is held (decoded on demand: only failures need it); null once released. */
  record(i: number): LogRecord | null {
    return this.batch ? this.batch.records[this.meta[i * FIELDS + INDEX]] : null;
  }

  /** The body was written at `at` of a staging file: its memory, and the batch's, can go. */
  release(at: number) {
    this.stagedAt = at;
    this.body = EMPTY;
    this.batch = null;
  }

  /** Byte range of the released body in its staging file. */
  get staged(): { from: number; to: number } | null {
    return this.stagedAt < 0 ? null : { from: this.stagedAt, to: this.stagedAt + this.size };
  }

  /** The body back from where it was staged. */
  restore(body: Buffer) {
    if (body.length !== this.size) throw new Error(`row pack of partition ${this.partition}: ${body.length} bytes restored where ${this.size} were staged`);
    this.body = body;
    this.stagedAt = -1;
  }

  private assertHeld() {
    if (this.stagedAt >= 0) throw new Error(`row pack of partition ${this.partition}: the body was staged, restore it first`);
  }

  get length(): number {
    return this.rows;
  }

  get byteLength(): number {
    return this.size;
  }

  private reserve(bytes: number) {
    if (this.size + bytes <= this.body.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.size + bytes, Math.ceil(this.body.length * 1.5)));
    this.body.copy(grown, 0, 0, this.size);
    this.body = grown;
  }

  /**
   * Adds one row unless a row of the pack has its id (then returns false):
   * `row` as it is, or, with `coordinates`, `row` being a JSON object whose
   * closing brace is replaced by the record's log coordinates.
   */
  addUnique(index: number, record: Coordinates, id: string, time: number | undefined, row: string | Buffer, coordinates: boolean): boolean {
    const idBuf = Buffer.from(id, 'utf8');
    if (!this.claimId(idBuf, 0, idBuf.length)) return false;
    if (typeof row === 'string') {
      this.begin(index, record.offset, time, Buffer.byteLength(row), coordinates);
      this.size += this.body.write(row, this.size);
    } else {
      this.begin(index, record.offset, time, row.length, coordinates);
      this.size += row.copy(this.body, this.size);
    }
    this.end(record, coordinates);
    return true;
  }

  /** Adds `buffer[start, end)` as a row, as `addUnique` does, its id being `buffer[idStart, idEnd)`. */
  addBytesUnique(index: number, record: Coordinates, idStart: number, idEnd: number, time: number | undefined, buffer: Buffer, start: number, end: number, coordinates: boolean): boolean {
    if (!this.claimId(buffer, idStart, idEnd)) return false;
    this.begin(index, record.offset, time, end - start, coordinates);
    this.size += buffer.copy(this.body, this.size, start, end);
    this.end(record, coordinates);
    return true;
  }

  private begin(index: number, offset: number, time: number | undefined, bytes: number, coordinates: boolean) {
    // The row's id was recorded first (`pushId`), which made room for it.
    const m = this.rows * FIELDS;
    this.meta[m + START] = this.size;
    this.meta[m + TIME] = time ?? NaN;
    this.meta[m + INDEX] = index;
    this.meta[m + OFFSET] = offset;
    this.rows++;
    this.spanTime(time ?? NaN);
    this.reserve(bytes + 1 + (coordinates ? COORDINATES_MAX_BYTES : 0));
  }

  private end(record: Coordinates, coordinates: boolean) {
    if (coordinates) {
      // The object's closing brace gives way to the coordinates, which close it again.
      this.size--;
      const h = coordinatesHead(record);
      // `set`, not `copy`: a few dozen bytes, where copy's argument handling costs more than the bytes.
      this.body.set(h, this.size);
      this.size += h.length;
      this.size = writeDigits(this.body, this.size, record.offset);
      this.body[this.size++] = 0x7d;
    }
    this.body[this.size++] = 0x0a;
  }

  private spanTime(time: number) {
    // Math.min/max keep a NaN: a row without an instant leaves the span unknown.
    this.minTime = Math.min(this.minTime, time);
    this.maxTime = Math.max(this.maxTime, time);
  }

  /** The JSONEachRow body of every row. */
  bytes(): Buffer {
    this.assertHeld();
    return this.body.subarray(0, this.size);
  }

  row(i: number): Buffer {
    this.assertHeld();
    return this.body.subarray(this.meta[i * FIELDS + START], i + 1 < this.rows ? this.meta[(i + 1) * FIELDS + START] : this.size);
  }

  /** Whether a row of this pack has the id `buf[start, end)`. Only for packs filled with `addUnique*`. */
  hasId(buf: Uint8Array, start: number, end: number): boolean {
    return this.slots !== null && this.findId(buf, start, end, hashBytes(buf, start, end)) >= 0;
  }

  /**
   * The rows whose ids `other` has not (this pack itself when there are none).
   * A re-sent event is filed under its original's instant, so a row outside
   * `other`'s span of instants is not looked up: consecutive batches of a
   * partition mostly follow each other in time, and then none is.
   */
  withoutIdsOf(other: RowPack): RowPack {
    if (other.length === 0 || other.slots === null) return this;
    const { minTime: from, maxTime: to } = other;
    let dropped: number[] | null = null;
    for (let i = 0; i < this.length; i++) {
      const m = i * FIELDS;
      const time = this.meta[m + TIME];
      // Comparisons with NaN are false: a row or pack without instants is looked up.
      if (time < from || time > to) continue;
      const hash = this.slots ? this.meta[m + HASH] : hashBytes(this.idBytes, this.idStart(i), this.idEnd(i));
      if (other.findId(this.idBytes, this.idStart(i), this.idEnd(i), hash) >= 0) (dropped ??= []).push(i);
    }
    if (dropped === null) return this;
    const kept: number[] = [];
    for (let i = 0, d = 0; i < this.length; i++) {
      if (d < dropped.length && dropped[d] === i) d++;
      else kept.push(i);
    }
    return this.pick(kept);
  }

  /** A pack of some of these rows (indexes ascending), copied. */
  pick(indexes: readonly number[]): RowPack {
    let bytes = 0;
    for (const i of indexes) bytes += this.row(i).length;
    const out = new RowPack(this.partition, this.batch, bytes, this.slots ? indexes.length : 0);
    for (const i of indexes) {
      const row = this.row(i);
      // The ids are this pack's, distinct: with an id table they go into the new pack's, so it can still tell them (`hasId`).
      if (this.slots) out.claimId(this.idBytes, this.idStart(i), this.idEnd(i), this.meta[i * FIELDS + HASH]);
      else out.pushId(this.idBytes, this.idStart(i), this.idEnd(i));
      const m = out.rows * FIELDS;
      out.meta[m + START] = out.size;
      out.meta[m + TIME] = this.time(i);
      out.meta[m + INDEX] = this.meta[i * FIELDS + INDEX];
      out.meta[m + OFFSET] = this.offset(i);
      out.rows++;
      out.spanTime(this.time(i));
      out.size += row.copy(out.body, out.size);
    }
    return out;
  }
}
