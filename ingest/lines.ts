/**
 * Bytes to numbered lines, for the HTTP API and the file import alike. Input
 * must be UTF-8: a line that is not is rejected (and dead-lettered) rather
 * than read with replacement characters, which would change the data without
 * anyone noticing. A byte-order mark at the start of a line is dropped.
 * A line longer than MAX_LINE_BYTES is rejected without being parsed; its dead
 * letter keeps the first 4 KiB.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import type { FieldError } from '../schemas/index.ts';
import type { InputLine } from './accept.ts';

/** No event comes near this; the largest valid ones are a few KiB. */
export const MAX_LINE_BYTES = 1024 * 1024;
const KEPT_OF_LONG_LINE = 4096;

const lenient = new TextDecoder('utf-8');

/**
 * The text of a UTF-8 byte sequence, or null when it is not valid UTF-8; a
 * byte-order mark at the start is dropped. What a fatal TextDecoder gives, at
 * a fraction of its cost on large inputs.
 */
export function decodeUtf8(bytes: Uint8Array): string | null {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // ASCII, the usual case, is copied byte for byte; UTF-8 decoding costs several times more.
  if (isAscii(buffer)) return buffer.toString('latin1');
  if (!isUtf8(buffer)) return null;
  const text = buffer.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** One line's bytes (without its newline) as an InputLine. */
export function lineFromBytes(line: number, bytes: Uint8Array): InputLine {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  if (end > MAX_LINE_BYTES) {
    return {
      line,
      text: `${lenient.decode(bytes.subarray(0, KEPT_OF_LONG_LINE))}…`,
      invalid: { field: '$', reason: `line of ${end} bytes is longer than ${MAX_LINE_BYTES} (an event is at most a few KiB); only its first ${KEPT_OF_LONG_LINE} bytes were kept` },
    };
  }
  const view = bytes.subarray(0, end);
  const text = decodeUtf8(view);
  if (text === null) return { line, text: lenient.decode(view), invalid: { field: '$', reason: 'not valid UTF-8; send events encoded as UTF-8' } };
  return { line, text };
}

/** Splits an NDJSON body into numbered, non-blank lines. */
export function linesFromBytes(body: Uint8Array, firstLine = 1): InputLine[] {
  const out: InputLine[] = [];
  let start = 0;
  let n = firstLine;
  while (start <= body.length) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    if (end > start) {
      const line = lineFromBytes(n, body.subarray(start, end));
      if (line.invalid || line.text.trim() !== '') out.push(line);
    }
    n++;
    start = end + 1;
  }
  return out;
}

/** A line of `total` bytes of which `bytes` were kept (all, unless it is too long), as `readLines` gives it; null when blank. */
function lineFromKept(n: number, bytes: Buffer, total: number): (InputLine & { bytes: Buffer }) | null {
  if (total === 0) return null;
  if (total > MAX_LINE_BYTES) {
    const kept = lenient.decode(bytes.subarray(0, KEPT_OF_LONG_LINE));
    return {
      line: n,
      text: `${kept}…`,
      bytes,
      invalid: { field: '$', reason: `line of ${total} bytes is longer than ${MAX_LINE_BYTES} (an event is at most a few KiB); only its first ${KEPT_OF_LONG_LINE} bytes were kept` },
    };
  }
  const line = lineFromBytes(n, bytes);
  if (!line.invalid && line.text.trim() === '') return null;
  return { ...line, bytes: bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, bytes.length - 1) : bytes };
}

/**
 * Receives each non-blank line of a run; `invalid` as in InputLine. A valid
 * line's `text` is its bytes `[start, end)` of the run decoded (a CR before the
 * newline and a leading byte order mark left out); start is -1 for a line read
 * otherwise (too long, or in a run that is not UTF-8).
 */
export type LineSink = (line: number, text: string, invalid?: FieldError, start?: number, end?: number) => void;

/**
 * The lines of a run of complete lines (newline-separated, the last without its
 * newline), numbered from `firstLine`, as `readLines` gives them; returns how
 * many lines the run holds, blank ones included. In a run that is UTF-8 each
 * line is decoded by itself as Latin-1: a character per byte, so an ASCII line
 * comes out as it is, a compact one-byte string of its own (the validation
 * reads its characters two to three times faster than those of a piece split
 * from one string of the whole run); only a line with bytes over 0x7f is
 * decoded again as UTF-8 (a line of valid UTF-8 is valid on its own, as no
 * sequence holds a newline byte). Decoding a whole run as UTF-8 costs several
 * times more and makes every line of it a two-byte string. A line too long,
 * and every line of a run that is not UTF-8, is read exactly as `readLines`
 * reads it.
 */
export function linesOfRun(bytes: Buffer, firstLine: number, sink: LineSink): number {
  const ascii = isAscii(bytes);
  const utf8 = ascii || isUtf8(bytes);
  let n = firstLine;
  for (let at = 0; ; n++) {
    let end = bytes.indexOf(0x0a, at);
    if (end === -1) end = bytes.length;
    if (!utf8 || end - at > MAX_LINE_BYTES) {
      const line = lineFromKept(n, bytes.subarray(at, end), end - at);
      if (line) sink(n, line.text, line.invalid, -1, -1);
    } else {
      // A CR before the newline is not part of the line.
      const to = end > at && bytes[end - 1] === 0x0d ? end - 1 : end;
      let t: string;
      let from = at;
      if (ascii || isAscii(bytes.subarray(at, to))) t = bytes.toString('latin1', at, to);
      else {
        t = bytes.toString('utf8', at, to);
        if (t.charCodeAt(0) === 0xfeff) {
          t = t.slice(1);
          from += 3;
        }
      }
      if (t.trim() !== '') sink(n, t, undefined, from, to);
    }
    if (end === bytes.length) break;
    at = end + 1;
  }
  return n - firstLine + 1;
}

/**
 * The lines of a block `readLineBlocks` gives (complete lines, the last one's
 * newline missing only at the end of the input); returns how many lines it
 * holds, blank ones included.
 */
export function linesOfBlock(bytes: Buffer, firstLine: number, sink: LineSink): number {
  if (bytes.length === 0) return 0;
  return linesOfRun(bytes[bytes.length - 1] === 0x0a ? bytes.subarray(0, bytes.length - 1) : bytes, firstLine, sink);
}

/**
 * Complete lines of the input as they were read, numbered from `firstLine`, for
 * a worker to split and decode (`linesOfBlock`); or a line too long to be
 * carried whole, already read and rejected as `readLines` rejects it.
 */
export type LineBlock = { firstLine: number; bytes: Buffer; line?: undefined } | { firstLine: number; bytes?: undefined; line: InputLine };

/**
 * The input in blocks of whole lines of about `blockBytes` (at least, unless the
 * input ends), each in memory of its own so it can be transferred to a worker.
 * Only newlines are looked for here: no line is decoded on this thread, except
 * one longer than MAX_LINE_BYTES that runs past a chunk, of which no more than
 * MAX_LINE_BYTES + 1 bytes are ever held.
 */
export async function* readLineBlocks(input: AsyncIterable<Buffer | string>, blockBytes = 4 * 1024 * 1024): AsyncGenerator<LineBlock> {
  /** Number of the last line handed to a block (or rejected). */
  let n = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let pendingFirst = 1;
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = 0;
  const keep = (bytes: Buffer) => {
    if (size >= MAX_LINE_BYTES + 1) overflow += bytes.length;
    else {
      parts.push(bytes);
      size += bytes.length;
    }
  };
  const take = (bytes: Buffer, lines: number) => {
    if (pending.length === 0) pendingFirst = n + 1;
    pending.push(bytes);
    pendingBytes += bytes.length;
    n += lines;
  };
  const flush = (): LineBlock => {
    const bytes = Buffer.from(new ArrayBuffer(pendingBytes));
    let at = 0;
    for (const piece of pending) {
      bytes.set(piece, at);
      at += piece.length;
    }
    const block = { firstLine: pendingFirst, bytes };
    pending = [];
    pendingBytes = 0;
    return block;
  };
  /** Adds the carried line to what is pending; a line too long comes back rejected instead, to be yielded after what is pending. */
  const finishCarried = (newline: boolean): LineBlock | null => {
    const total = size + overflow;
    const kept = parts;
    parts = [];
    size = 0;
    overflow = 0;
    if (total > MAX_LINE_BYTES) {
      n++;
      const { line, text, invalid } = lineFromKept(n, kept.length === 1 ? kept[0] : Buffer.concat(kept), total)!;
      return { firstLine: n, line: { line, text, invalid } };
    }
    for (const part of kept) take(part, 0);
    if (newline) take(NEWLINE, 0);
    n++;
    return null;
  };
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    if (size + overflow > 0 || parts.length > 0) {
      const end = chunk.indexOf(0x0a);
      if (end === -1) {
        keep(chunk);
        continue;
      }
      keep(chunk.subarray(0, end));
      const tooLong = finishCarried(true);
      if (tooLong) {
        if (pending.length > 0) yield flush();
        yield tooLong;
      }
      start = end + 1;
    }
    const last = chunk.lastIndexOf(0x0a);
    if (last >= start) {
      let lines = 0;
      for (let at = chunk.indexOf(0x0a, start); at !== -1; at = chunk.indexOf(0x0a, at + 1)) lines++;
      take(chunk.subarray(start, last + 1), lines);
      start = last + 1;
    }
    if (start < chunk.length) keep(chunk.subarray(start));
    if (pendingBytes >= blockBytes) yield flush();
  }
  if (size + overflow > 0) {
    const tooLong = finishCarried(false);
    if (tooLong) {
      if (pending.length > 0) yield flush();
      yield tooLong;
    }
  }
  if (pending.length > 0) yield flush();
}

const NEWLINE = Buffer.from('\n');

/** Streams lines with their bytes, never holding more than MAX_LINE_BYTES of one line. */
export async function* readLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<InputLine & { bytes: Buffer }> {
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = 0;
  let n = 0;
  const finish = (): (InputLine & { bytes: Buffer }) | null => {
    n++;
    const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    const total = size + overflow;
    parts = [];
    size = 0;
    overflow = 0;
    return lineFromKept(n, bytes, total);
  };
  const push = (chunk: Buffer) => {
    if (size >= MAX_LINE_BYTES + 1) {
      overflow += chunk.length;
      return;
    }
    parts.push(chunk);
    size += chunk.length;
  };
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(0x0a, start);
      if (end === -1) {
        if (start < chunk.length) push(chunk.subarray(start));
        break;
      }
      push(chunk.subarray(start, end));
      const line = finish();
      if (line) yield line;
      start = end + 1;
    }
  }
  if (size + overflow > 0) {
    const line = finish();
    if (line) yield line;
  }
}
