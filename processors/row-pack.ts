/**
 * The rows of one batch, written into one buffer as they are made.
 *
 * A loader holds a batch from its read until the insert holding it returned;
 * keeping it as one JSONEachRow body (plus each row's start, id and time)
 * instead of an object per row is what keeps the garbage collector out of the
 * hot path: a few hundred thousand rows in flight are a few large buffers.
 */
import type { LogRecord, RecordBatch } from '../event-log/event-log.ts';
import { toClickHouseDateTime } from '../warehouse/warehouse.ts';


type Coordinates = Pick<LogRecord, 'partition' | 'offset' | 'timestamp'>;

/**
 * `,"ingested_at":"…","log_partition":…,"log_offset":` of the last record
 * written: a batch's records share partition and, appended together, timestamp.
 */
let headTimestamp = -1;
let headPartition = -1;
let head = Buffer.alloc(0);

function coordinatesHead(record: Coordinates): Buffer {
  if (record.timestamp !== headTimestamp || record.partition !== headPartition) {
    headTimestamp = record.timestamp;
    headPartition = record.partition;
    head = Buffer.from(`,"ingested_at":"${toClickHouseDateTime(record.timestamp)}","log_partition":${record.partition},"log_offset":`, 'latin1');
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

export class RowPack {
  private body: Buffer;
  private size = 0;
  /** Where each row starts in the body; a row ends where the next starts (its newline included). */
  private readonly starts: number[] = [];
  readonly ids: string[] = [];
  /** The instant each row is filed under (ms), NaN when the table has none. */
  readonly times: number[] = [];
  /** Each row's record: its index in the batch, and its offset in the partition. */
  private readonly indexes: number[] = [];
  readonly offsets: number[] = [];
  readonly partition: number;
  private batch: RecordBatch | null;
  /** Where the body went when it was staged (`release`), -1 while it is here. */
  private stagedAt = -1;

  constructor(partition: number, batch: RecordBatch | null, expectedBytes = 64 * 1024) {
    this.batch = batch;
    this.partition = partition;
    this.body = Buffer.allocUnsafe(Math.max(1024, expectedBytes));
  }

  /** The log record of row `i` while the batch is held (decoded on demand: only failures need it); null once released. */
  record(i: number): LogRecord | null {
    return this.batch ? this.batch.records[this.indexes[i]] : null;
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
    return this.starts.length;
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
   * Adds one row: `row` as it is, or, with `coordinates`, `row` being a JSON
   * object whose closing brace is replaced by the record's log coordinates.
   */
  add(index: number, record: Coordinates, id: string, time: number | undefined, row: string | Buffer, coordinates: boolean) {
    if (typeof row === 'string') {
      this.begin(index, record.offset, id, time, Buffer.byteLength(row), coordinates);
      this.size += this.body.write(row, this.size);
    } else {
      this.begin(index, record.offset, id, time, row.length, coordinates);
      this.size += row.copy(this.body, this.size);
    }
    this.end(record, coordinates);
  }

  /** Adds `buffer[start, end)` as a row, as `add` does. */
  addBytes(index: number, record: Coordinates, id: string, time: number | undefined, buffer: Buffer, start: number, end: number, coordinates: boolean) {
    this.begin(index, record.offset, id, time, end - start, coordinates);
    this.size += buffer.copy(this.body, this.size, start, end);
    this.end(record, coordinates);
  }

  private begin(index: number, offset: number, id: string, time: number | undefined, bytes: number, coordinates: boolean) {
    this.starts.push(this.size);
    this.offsets.push(offset);
    this.ids.push(id);
    this.times.push(time ?? NaN);
    this.indexes.push(index);
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

  /** The JSONEachRow body of every row. */
  bytes(): Buffer {
    this.assertHeld();
    return this.body.subarray(0, this.size);
  }

  row(i: number): Buffer {
    this.assertHeld();
    return this.body.subarray(this.starts[i], i + 1 < this.starts.length ? this.starts[i + 1] : this.size);
  }

  /** A pack of some of these rows (indexes ascending), copied. */
  pick(indexes: readonly number[]): RowPack {
    let bytes = 0;
    for (const i of indexes) bytes += this.row(i).length;
    const out = new RowPack(this.partition, this.batch, bytes);
    for (const i of indexes) {
      const row = this.row(i);
      out.starts.push(out.size);
      out.size += row.copy(out.body, out.size);
      out.ids.push(this.ids[i]);
      out.times.push(this.times[i]);
      out.indexes.push(this.indexes[i]);
      out.offsets.push(this.offsets[i]);
    }
    return out;
  }
}
