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
  const into = collector(catalog, null, true);
  for (let i = 0; i < texts.length; i++) into.add(texts[i], lineNumbers[i], -1, -1);
  return into.finish();
}

/**
 * Validates lines one at a time as they come, keeping what the result needs
 * and nothing of a line taken as it is but where its bytes lie in `source`
 * (its text is garbage at once: a block's thousands of line strings never
 * outlive a young-generation collection, where holding them all until the
 * block was done had every one copied and promoted).
 */
function collector(catalog: Catalog, source: Buffer | null, keepIds: boolean) {
  /** Per valid event: its canonical text, or null when that is its input's own bytes, `source[from, to)`. */
  const canonical: (string | null)[] = [];
  const from: number[] = [];
  const to: number[] = [];
  const ids: string[] = [];
  const keyIndex = new Map<string, number>();
  const keys: string[] = [];
  const keyOrgs: string[] = [];
  const keyOf: number[] = [];
  const indexes: number[] = [];
  const rejected: LineRejection[] = [];
  const fast = fastAcceptor(catalog);
  let index = 0;
  const valid = (text: string | null, start: number, end: number, id: string, org: string, region: string, i: number) => {
    const key = eventKey({ org, region });
    let k = keyIndex.get(key);
    if (k === undefined) {
      k = keys.length;
      keyIndex.set(key, k);
      keys.push(key);
      keyOrgs.push(org);
    }
    canonical.push(text);
    from.push(start);
    to.push(end);
    if (keepIds) {
      ids.push(id);
      indexes.push(i);
    }
    keyOf.push(k);
  };
  return {
    /** The next input line; `start`/`end` where it lies in `source` (-1: it does not). */
    add(text: string, line: number, start: number, end: number) {
      const i = index++;
      // A line already in canonical form and valid is stored as it is.
      const accepted = fast(text);
      if (accepted !== null) {
        if (source !== null && start >= 0) valid(null, start, end, accepted.id, accepted.org, accepted.region, i);
        else valid(text, -1, -1, accepted.id, accepted.org, accepted.region, i);
        return;
      }
      if (text.trim() === '') return;
      const result = parseEventLine(text, catalog);
      if (result.ok) valid(serializeEvent(result.event), -1, -1, result.event.id, result.event.org, result.event.region, i);
      else rejected.push({ line, errors: result.errors, raw: text });
    },
    finish(): ValidatedLines {
      const offsets = new Uint32Array(canonical.length + 1);
      let size = 0;
      for (let v = 0; v < canonical.length; v++) {
        offsets[v] = size;
        const text = canonical[v];
        size += text === null ? to[v] - from[v] : Buffer.byteLength(text, 'utf8');
      }
      offsets[canonical.length] = size;
      // Memory of its own (never Node's shared pool): a worker transfers it.
      const bytes = Buffer.allocUnsafeSlow(size);
      for (let v = 0; v < canonical.length; v++) {
        const text = canonical[v];
        if (text === null) source!.copy(bytes, offsets[v], from[v], to[v]);
        else bytes.write(text, offsets[v], 'utf8');
      }
      return { canonical: bytes, offsets, keys, keyOrgs, keyOf: Uint32Array.from(keyOf), ids, indexes: Uint32Array.from(indexes), rejected };
    },
  };
}

/** Splits and decodes a block of lines (see `readLineBlocks`) exactly as `readLines` reads them, then validates it. */
export function validateBlock(bytes: Buffer, firstLine: number, catalog: Catalog): ValidatedBlock {
  const into = collector(catalog, bytes, false);
  const refused: LineRejection[] = [];
  let lines = 0;
  linesOfBlock(bytes, firstLine, (line, text, invalid, start = -1, end = -1) => {
    lines++;
    if (invalid) refused.push({ line, errors: [invalid], raw: text });
    else into.add(text, line, start, end);
  });
  const { ids: _ids, indexes: _indexes, ...validated } = into.finish();
  if (refused.length > 0) validated.rejected = [...validated.rejected, ...refused].sort((a, b) => a.line - b.line);
  return { ...validated, lines };
}
