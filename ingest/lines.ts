/**
 * Bytes to numbered lines, for the HTTP API and the file import alike. Input
 * must be UTF-8: a line that is not is rejected (and dead-lettered) rather
 * than read with replacement characters, which would change the data without
 * anyone noticing. A byte-order mark at the start of a line is dropped.
 * A line longer than MAX_LINE_BYTES is rejected without being parsed; its dead
 * letter keeps the first 4 KiB.
 */
import type { InputLine } from './accept.ts';

/** No event comes near this; the largest valid ones are a few KiB. */
export const MAX_LINE_BYTES = 1024 * 1024;
const KEPT_OF_LONG_LINE = 4096;

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** The text of a UTF-8 byte sequence, or null when it is not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strict.decode(bytes);
  } catch {
    return null;
  }
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
