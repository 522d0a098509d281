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
  return validateTexts(texts, lineNumbers, catalog, null);
}

/**
 * Where the texts came from: text i is `bytes[starts[i], ends[i])` decoded
 * (start -1: it is not). A line taken as it is goes into the result as those
 * bytes, copied: not joined with the others and encoded again.
 */
interface TextSource {
  bytes: Buffer;
  starts: number[];
  ends: number[];
}

function validateTexts(texts: string[], lineNumbers: ArrayLike<number>, catalog: Catalog, source: TextSource | null): ValidatedLines {
  /** Per valid event: its canonical text, or null when that is its input's own bytes (`source`). */
  const canonical: (string | null)[] = [];
  const ids: string[] = [];
  const keyIndex = new Map<string, number>();
  const keys: string[] = [];
  const keyOrgs: string[] = [];
  const keyOf: number[] = [];
  const indexes: number[] = [];
  const rejected: LineRejection[] = [];
  const fast = fastAcceptor(catalog);
  const valid = (text: string | null, id: string, org: string, region: string, i: number) => {
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
      valid(source !== null && source.starts[i] >= 0 ? null : text, accepted.id, accepted.org, accepted.region, i);
      continue;
    }
    if (text.trim() === '') continue;
    const result = parseEventLine(text, catalog);
    if (result.ok) valid(serializeEvent(result.event), result.event.id, result.event.org, result.event.region, i);
    else rejected.push({ line: lineNumbers[i], errors: result.errors, raw: text });
  }
  const offsets = new Uint32Array(canonical.length + 1);
  let size = 0;
  for (let v = 0; v < canonical.length; v++) {
    offsets[v] = size;
    const text = canonical[v];
    size += text === null ? source!.ends[indexes[v]] - source!.starts[indexes[v]] : Buffer.byteLength(text, 'utf8');
  }
  offsets[canonical.length] = size;
  // Memory of its own (never Node's shared pool): a worker transfers it.
  const bytes = Buffer.allocUnsafeSlow(size);
  for (let v = 0; v < canonical.length; v++) {
    const text = canonical[v];
    if (text === null) source!.bytes.copy(bytes, offsets[v], source!.starts[indexes[v]], source!.ends[indexes[v]]);
    else bytes.write(text, offsets[v], 'utf8');
  }
  return { canonical: bytes, offsets, keys, keyOrgs, keyOf: Uint32Array.from(keyOf), ids, indexes: Uint32Array.from(indexes), rejected };
}

/** Splits and decodes a block of lines (see `readLineBlocks`) exactly as `readLines` reads them, then validates it. */
export function validateBlock(bytes: Buffer, firstLine: number, catalog: Catalog): ValidatedBlock {
  const texts: string[] = [];
  const numbers: number[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  const refused: LineRejection[] = [];
  linesOfBlock(bytes, firstLine, (line, text, invalid, start = -1, end = -1) => {
    if (invalid) refused.push({ line, errors: [invalid], raw: text });
    else {
      texts.push(text);
      numbers.push(line);
      starts.push(start);
      ends.push(end);
    }
  });
  const { ids: _ids, indexes: _indexes, ...validated } = validateTexts(texts, numbers, catalog, { bytes, starts, ends });
  if (refused.length > 0) validated.rejected = [...validated.rejected, ...refused].sort((a, b) => a.line - b.line);
  return { ...validated, lines: texts.length + refused.length };
}
