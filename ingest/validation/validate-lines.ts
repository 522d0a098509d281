/**
 * Validation of a chunk of input lines into what the log stores: the canonical
 * JSON of each valid event and every rejection with its line and reason. The
 * result is packed (one buffer of values, typed arrays, a table of the few
 * distinct keys) so that coming back from a worker costs a transfer, not a
 * copy of thousands of small strings.
 */
import { linesOfBlock } from '../lines.ts';
import { eventKey, fastAcceptor, parseEventLine, serializeEvent, type Catalog, type FieldError } from '../../schemas/index.ts';

export interface LineRejection {
  line: number;
  errors: FieldError[];
  raw: string;
}

export interface ValidatedLines {
  /** Canonical JSON of the valid events, back to back, UTF-8. */
  canonical: Buffer;
  /** Where valid event i's canonical JSON starts in `canonical`; one more entry, its end. */
  offsets: Uint32Array;
  /** The distinct partition keys of the valid events, and the org of each. */
  keys: string[];
  keyOrgs: string[];
  /** Valid event i's key, as an index into `keys`. */
  keyOf: Uint32Array;
  ids: string[];
  /** Index in the input of each valid event. */
  indexes: Uint32Array;
  rejected: LineRejection[];
}

/**
 * A block of raw lines validated: what `validateLines` gives, less the ids and
 * input indexes (a file import needs neither, and 10,000 ids are 10,000 strings
 * to copy back from a worker), with lines refused before parsing (not UTF-8,
 * too long) among the rejections.
 */
export interface ValidatedBlock extends Omit<ValidatedLines, 'ids' | 'indexes'> {
  /** Non-blank lines in the block, valid or not. */
  lines: number;
}

/** Valid event i's canonical JSON (a view, not a copy). */
export function canonicalAt(result: Pick<ValidatedLines, 'canonical' | 'offsets'>, i: number): Buffer {
  return result.canonical.subarray(result.offsets[i], result.offsets[i + 1]);
}

export function validateLines(texts: string[], lineNumbers: ArrayLike<number>, catalog: Catalog): ValidatedLines {
  const canonical: string[] = [];
  const ids: string[] = [];
  const keyIndex = new Map<string, number>();
  const keys: string[] = [];
  const keyOrgs: string[] = [];
  const keyOf: number[] = [];
  const indexes: number[] = [];
  const rejected: LineRejection[] = [];
  const fast = fastAcceptor(catalog);
  const valid = (text: string, id: string, org: string, region: string, i: number) => {
    const key = eventKey({ org, region });
    let k = keyIndex.get(key);
    if (k === undefined) {
      k = keys.length;
      keyIndex.set(key, k);
      keys.push(key);
      keyOrgs.push(org);
    }
    canonical.push(text);
    ids.push(id);
    keyOf.push(k);
    indexes.push(i);
  };
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i];
    // A line already in canonical form and valid is stored as it is.
    const accepted = fast(text);
    if (accepted !== null) {
      valid(text, accepted.id, accepted.org, accepted.region, i);
      continue;
    }
    if (text.trim() === '') continue;
    const result = parseEventLine(text, catalog);
    if (result.ok) valid(serializeEvent(result.event), result.event.id, result.event.org, result.event.region, i);
    else rejected.push({ line: lineNumbers[i], errors: result.errors, raw: text });
  }
  const joined = canonical.join('');
  const bytes = Buffer.from(joined, 'utf8');
  const offsets = new Uint32Array(canonical.length + 1);
  // All ASCII (the usual case): bytes are characters, no need to measure each value.
  const ascii = bytes.length === joined.length;
  let pos = 0;
  for (let i = 0; i < canonical.length; i++) {
    offsets[i] = pos;
    pos += ascii ? canonical[i].length : Buffer.byteLength(canonical[i], 'utf8');
  }
  offsets[canonical.length] = pos;
  return { canonical: bytes, offsets, keys, keyOrgs, keyOf: Uint32Array.from(keyOf), ids, indexes: Uint32Array.from(indexes), rejected };
}

/** Splits and decodes a block of lines (see `readLineBlocks`) exactly as `readLines` reads them, then validates it. */
export function validateBlock(bytes: Buffer, firstLine: number, catalog: Catalog): ValidatedBlock {
  const texts: string[] = [];
  const numbers: number[] = [];
  const refused: LineRejection[] = [];
  linesOfBlock(bytes, firstLine, (line, text, invalid) => {
    if (invalid) refused.push({ line, errors: [invalid], raw: text });
    else {
      texts.push(text);
      numbers.push(line);
    }
  });
  const { ids: _ids, indexes: _indexes, ...validated } = validateLines(texts, numbers, catalog);
  if (refused.length > 0) validated.rejected = [...validated.rejected, ...refused].sort((a, b) => a.line - b.line);
  return { ...validated, lines: texts.length + refused.length };
}
