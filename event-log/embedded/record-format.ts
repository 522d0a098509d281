/**
 * Record framing of the embedded log's segment files.
 *
 *   frame = u32 bodyLength | u32 crc32(body) | body
 *   body  = u8 version (1) | u64 offset | u64 timestamp
 *         | u32 keyLength | key | u16 headerCount
 *         | headerCount × (u16 nameLength | name | u32 valueLength | value)
 *         | u32 valueLength | value
 *
 * Little-endian throughout. The offset lives inside the checksummed body so a
 * frame copied or replayed to the wrong place is detected, not served.
 */
import { crc32 } from 'node:zlib';
import type { LogRecord } from '../event-log.ts';

export const FRAME_HEADER_BYTES = 8;
export const RECORD_VERSION = 1;
/** version + offset + timestamp + key length + header count + value length */
export const BODY_FIXED_BYTES = 1 + 8 + 8 + 4 + 2 + 4;
/** A length beyond this is read as a corrupt frame rather than an allocation request. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

const TWO_32 = 2 ** 32;
// Offsets and timestamps are JS numbers: the high word stays within 2^53.
const MAX_HIGH_WORD = 0x1fffff;

/** A record measured once so it can be written without another pass over its strings. */
export interface PreparedRecord {
  /** `u32 keyLength | key`, encoded once per distinct key and shared. */
  keyPart: Buffer;
  /** `u16 headerCount | headers`, encoded once per frozen headers object and shared. */
  headerPart: Buffer;
  value: Buffer | string;
  valueBytes: number;
  /** Frame size on disk. */
  size: number;
}

// A log's records carry a few hundred distinct keys at most (org:region), so
// encoding each once saves a UTF-8 measure and write per record; the bound only
// matters for callers with unbounded keys.
const KEY_PARTS_KEPT = 4096;
const keyParts = new Map<string, Buffer>();

function keyPartOf(key: string): Buffer {
  let part = keyParts.get(key);
  if (part === undefined) {
    const bytes = Buffer.byteLength(key, 'utf8');
    part = Buffer.alloc(4 + bytes);
    part.writeUInt32LE(bytes, 0);
    part.write(key, 4, bytes, 'utf8');
    if (keyParts.size >= KEY_PARTS_KEPT) keyParts.clear();
    keyParts.set(key, part);
  }
  return part;
}

const NO_HEADER_PART = Buffer.alloc(2);
// Only a frozen object can be trusted to still hold what was encoded for it
// (ingest marks every record with one shared frozen object).
const frozenHeaderParts = new WeakMap<object, Buffer>();

function headerPartOf(headers: Record<string, string>): Buffer {
  const names = Object.keys(headers);
  if (names.length > 0xffff) throw new RangeError('event log record: more than 65535 headers');
  if (names.length === 0) return NO_HEADER_PART;
  let size = 2;
  for (const name of names) {
    const v = headers[name];
    if (typeof v !== 'string') throw new TypeError(`event log record: header ${JSON.stringify(name)} must be a string`);
    const nameBytes = Buffer.byteLength(name, 'utf8');
    if (nameBytes > 0xffff) throw new RangeError('event log record: a header name is longer than 65535 bytes');
    size += 2 + nameBytes + 4 + Buffer.byteLength(v, 'utf8');
  }
  const part = Buffer.alloc(size);
  let p = part.writeUInt16LE(names.length, 0);
  for (const name of names) {
    const at = p;
    p += 2;
    p += part.write(name, p, 'utf8');
    part.writeUInt16LE(p - at - 2, at);
    const vAt = p;
    p += 4;
    p += part.write(headers[name], p, 'utf8');
    part.writeUInt32LE(p - vAt - 4, vAt);
  }
  return part;
}

export function prepareRecord(key: string, value: Buffer | string, headers: Record<string, string> | undefined): PreparedRecord {
  if (typeof key !== 'string') throw new TypeError('event log record: key must be a string');
  let valueBytes: number;
  if (typeof value === 'string') valueBytes = Buffer.byteLength(value, 'utf8');
  else if (Buffer.isBuffer(value)) valueBytes = value.length;
  else throw new TypeError('event log record: value must be a Buffer or a string');
  const keyPart = keyPartOf(key);
  let headerPart: Buffer = NO_HEADER_PART;
  if (headers) {
    const cached = frozenHeaderParts.get(headers);
    if (cached !== undefined) headerPart = cached;
    else {
      headerPart = headerPartOf(headers);
      if (Object.isFrozen(headers)) frozenHeaderParts.set(headers, headerPart);
    }
  }
  // keyPart and headerPart hold the key length and header count fields of BODY_FIXED_BYTES.
  const size = FRAME_HEADER_BYTES + BODY_FIXED_BYTES - 6 + keyPart.length + headerPart.length + valueBytes;
  if (size - FRAME_HEADER_BYTES > MAX_BODY_BYTES) {
    throw new RangeError(`event log record: ${size} bytes is more than the ${MAX_BODY_BYTES} a record may take`);
  }
  return { keyPart, headerPart, value, valueBytes, size };
}

/** A u64 of a frame whose bounds were checked (see `u32`); -1 beyond 2^53. */
function readU64(buf: Buffer, pos: number): number {
  const high = u32(buf, pos + 4);
  return high > MAX_HIGH_WORD ? -1 : high * TWO_32 + u32(buf, pos);
}

/** Writes one frame at `pos` (the buffer has `record.size` bytes there); returns the end. */
export function writeFrame(buf: Buffer, pos: number, record: PreparedRecord, offset: number, timestamp: number): number {
  const bodyStart = pos + FRAME_HEADER_BYTES;
  let p = bodyStart;
  buf[p++] = RECORD_VERSION;
  p = putU64(buf, p, offset);
  p = putU64(buf, p, timestamp);
  const keyPart = record.keyPart;
  buf.set(keyPart, p);
  p += keyPart.length;
  const headerPart = record.headerPart;
  buf.set(headerPart, p);
  p += headerPart.length;
  const valueBytes = record.valueBytes;
  p = putU32(buf, p, valueBytes);
  const value = record.value;
  if (typeof value === 'string') p += buf.write(value, p, valueBytes, 'utf8');
  else {
    // TypedArray.set: for values of a few hundred bytes, cheaper than Buffer#copy's argument handling.
    buf.set(value, p);
    p += valueBytes;
  }
  putU32(buf, pos, p - bodyStart);
  putU32(buf, pos + 4, crc32(buf.subarray(bodyStart, p)));
  return p;
}

// Plain byte stores: Buffer#writeUInt32LE checks its arguments on every call.
function putU32(buf: Buffer, p: number, n: number): number {
  buf[p] = n;
  buf[p + 1] = n >>> 8;
  buf[p + 2] = n >>> 16;
  buf[p + 3] = n >>> 24;
  return p + 4;
}

function putU64(buf: Buffer, p: number, n: number): number {
  putU32(buf, p, n % TWO_32);
  return putU32(buf, p + 4, Math.floor(n / TWO_32));
}

export const FRAME_OK = 0;
/** The frame runs past the bytes available: a torn write at a file's end, or a chunk boundary. */
export const FRAME_INCOMPLETE = 1;
export const FRAME_CORRUPT = 2;
export type FrameStatus = typeof FRAME_OK | typeof FRAME_INCOMPLETE | typeof FRAME_CORRUPT;

/** Filled by `checkFrame`; reused across calls to keep the read loop allocation-free. */
export interface FrameInfo {
  /** Whole frame size (valid when OK or INCOMPLETE with a plausible length). */
  size: number;
  offset: number;
  timestamp: number;
  /** Why a frame is corrupt. */
  reason: string;
}

export function newFrameInfo(): FrameInfo {
  return { size: 0, offset: -1, timestamp: -1, reason: '' };
}

/**
 * Validates the frame at `pos` of `buf[..end]`: length, checksum and the
 * body's inner lengths. Without `checksum`, everything but the checksum: a
 * reader checks the checksums of a run of frames at once (`frameChecksumsMatch`).
 */
export function checkFrame(buf: Buffer, pos: number, end: number, info: FrameInfo, checksum = true): FrameStatus {
  // Lengths are read by hand, without Buffer's bounds-checked readers (a third
  // of this function's time): every read below is first checked against `end`.
  if (end > buf.length) end = buf.length;
  if (end - pos < FRAME_HEADER_BYTES) {
    info.size = FRAME_HEADER_BYTES;
    return FRAME_INCOMPLETE;
  }
  const bodyLength = u32(buf, pos);
  if (bodyLength < BODY_FIXED_BYTES || bodyLength > MAX_BODY_BYTES) {
    info.reason = `bad record length ${bodyLength}`;
    return FRAME_CORRUPT;
  }
  info.size = FRAME_HEADER_BYTES + bodyLength;
  if (end - pos < info.size) return FRAME_INCOMPLETE;
  const bodyStart = pos + FRAME_HEADER_BYTES;
  const bodyEnd = bodyStart + bodyLength;
  if (checksum && crc32(buf.subarray(bodyStart, bodyEnd)) !== u32(buf, pos + 4)) {
    info.reason = 'checksum mismatch';
    return FRAME_CORRUPT;
  }
  if (buf[bodyStart] !== RECORD_VERSION) {
    info.reason = `unknown record version ${buf[bodyStart]}`;
    return FRAME_CORRUPT;
  }
  info.offset = readU64(buf, bodyStart + 1);
  info.timestamp = readU64(buf, bodyStart + 9);
  if (info.offset < 0 || info.timestamp < 0) {
    info.reason = 'offset or timestamp out of range';
    return FRAME_CORRUPT;
  }
  // Inner lengths must tile the body exactly; a checksum collision aside, only a
  // writer bug gets here, and it must not turn into an out-of-bounds read.
  let p = bodyStart + 17;
  const keyLength = u32(buf, p);
  p += 4 + keyLength;
  if (p + 2 > bodyEnd) return innerMismatch(info);
  const headerCount = buf[p] | (buf[p + 1] << 8);
  p += 2;
  for (let h = 0; h < headerCount; h++) {
    if (p + 2 > bodyEnd) return innerMismatch(info);
    p += 2 + (buf[p] | (buf[p + 1] << 8));
    if (p + 4 > bodyEnd) return innerMismatch(info);
    p += 4 + u32(buf, p);
  }
  if (p + 4 > bodyEnd) return innerMismatch(info);
  const valueLength = u32(buf, p);
  if (p + 4 + valueLength !== bodyEnd) return innerMismatch(info);
  return FRAME_OK;
}

function innerMismatch(info: FrameInfo): FrameStatus {
  info.reason = 'inner lengths do not match the record length';
  return FRAME_CORRUPT;
}

/**
 * The headers of consecutive frames are usually byte for byte the same (our
 * ingest marks every record alike): one frozen object then serves them all,
 * instead of an object and two strings per record.
 */
export interface HeaderCache {
  bytes: Buffer | null;
  headers: Readonly<Record<string, string>>;
}

export function newHeaderCache(): HeaderCache {
  return { bytes: null, headers: Object.freeze({}) };
}

export const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** A u32 (little-endian) of a checked frame, read without Buffer's bounds checks. */
export function u32(buf: Buffer, p: number): number {
  return (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16)) + buf[p + 3] * 0x1000000;
}

function sameBytes(a: Buffer, b: Buffer, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[start + i]) return false;
  return true;
}

/**
 * Reads the `count` headers of a checked frame at `start` into `cache.headers`
 * (the cached object when the bytes are the previous frame's); returns where
 * they end. Lengths are read by hand: the frame was checked, and Buffer's
 * bounds-checked readers cost more than the rest of a read loop.
 */
export function readHeaders(buf: Buffer, start: number, count: number, cache: HeaderCache): number {
  let p = start;
  for (let h = 0; h < count; h++) {
    p += 2 + (buf[p] | (buf[p + 1] << 8));
    p += 4 + u32(buf, p);
  }
  if (cache.bytes === null || !sameBytes(cache.bytes, buf, start, p)) {
    cache.headers = Object.freeze(decodeHeaders(buf, start, count));
    cache.bytes = Buffer.from(buf.subarray(start, p));
  }
  return p;
}

/**
 * Decodes a frame `checkFrame` accepted. The value is a view into `buf`, not a
 * copy: reads allocate one buffer per chunk and hand out slices of it, which is
 * what makes a million records a second possible; the chunk lives as long as
 * any of its records.
 */
export function decodeFrame(buf: Buffer, pos: number, partition: number, info: FrameInfo, cache: HeaderCache = newHeaderCache()): LogRecord {
  let p = pos + FRAME_HEADER_BYTES + 17;
  const keyLength = buf.readUInt32LE(p);
  p += 4;
  const key = keyLength === 0 ? '' : buf.toString('utf8', p, p + keyLength);
  p += keyLength;
  const headerCount = buf.readUInt16LE(p);
  p += 2;
  let headers = NO_HEADERS;
  if (headerCount > 0) {
    p = readHeaders(buf, p, headerCount, cache);
    headers = cache.headers;
  }
  const valueLength = buf.readUInt32LE(p);
  p += 4;
  return { partition, offset: info.offset, timestamp: info.timestamp, key, value: buf.subarray(p, p + valueLength), headers: headers as Record<string, string> };
}

function decodeHeaders(buf: Buffer, pos: number, count: number): Record<string, string> {
  const headers: Record<string, string> = {};
  let p = pos;
  for (let h = 0; h < count; h++) {
    const nameLength = buf.readUInt16LE(p);
    p += 2;
    const name = buf.toString('utf8', p, p + nameLength);
    p += nameLength;
    const valueLength = buf.readUInt32LE(p);
    p += 4;
    headers[name] = buf.toString('utf8', p, p + valueLength);
    p += valueLength;
  }
  return headers;
}
