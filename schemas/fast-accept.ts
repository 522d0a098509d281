/**
 * A shortcut in front of zod for the common case: a line that already is the
 * canonical form of a valid event (what `serializeEvent` writes: envelope
 * fields in catalog order, data keys sorted, no whitespace, no escapes). Such
 * a line is accepted as it is: nothing is parsed into objects, checked by zod
 * or serialised again, which is most of what ingest used to spend its CPU on.
 *
 * Anything else gets null ("not sure") and goes the zod way, which stays the
 * only source of rejection reasons: an invalid event, but also a valid one
 * written differently (other key order, spaces, escapes, an older schema
 * version, a missing default), whose canonical form is not the input.
 *
 * The checks are derived from the zod schemas (enum values, literals, length
 * and number bounds) and call the predicates the schemas call (ids, times,
 * customer refs). A check this file does not recognise is put to zod for that
 * one value, so a schema change can make the shortcut slower, never laxer.
 * `fast-accept.unit.spec.ts` holds it to zod's answer over every corpus.
 */
import type { z } from 'zod';
import { perCatalog, type Catalog } from './catalog.ts';
import { customerRefOkAt } from './customer-ref.ts';
import { ENVELOPE_FIELDS, EVENT_TYPES, isEventIdAt, latestSchemaVersion, schemasFor } from './events.ts';
import { checkDateTimeAt, isDigit } from './time.ts';

/** What ingest needs of an event accepted by the shortcut; its canonical form is the line itself. */
export interface FastAccepted {
  id: string;
  org: string;
  region: string;
}

export type FastAcceptor = (line: string) => FastAccepted | null;

/**
 * The checks look at the value where it lies in the line, `line[start, end)`:
 * cutting every value out as a string of its own, and hashing those strings
 * for set look-ups, was most of what the shortcut cost.
 */
interface Rule {
  optional: boolean;
  /** For a string value: `[start, end)` is the text between its quotes, which holds no escape. */
  string?: (line: string, start: number, end: number) => boolean;
  /** For any other value: its JSON text, which must also be the canonical rendering of the number. */
  number?: (line: string, start: number, end: number) => boolean;
}

interface TypeRules {
  /** Per envelope field, in ENVELOPE_FIELDS order; `data` is handled by `data`. */
  envelope: Rule[];
  /** Data key → rule. */
  data: RangeMap<Rule>;
  /** How many data keys are required. */
  required: number;
}

/**
 * The custom checks of envelope strings, as the schemas in events.ts run them.
 * Each stands for exactly one custom check on its field; a field with more is
 * put to zod.
 */
/**
 * Whether `line[start, end)` holds what canonical JSON text never holds as
 * it is: a control character or a backslash (an escape: JSON.stringify writes
 * some differently), or a surrogate (a lone one would be re-escaped). Checked
 * in the values whose rule would take them; every other part of a line the
 * fast path takes is matched exactly (keys, punctuation, enums) or by a check
 * of its own characters (ids, date-times, numbers).
 */
function unsafeAt(line: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c < 0x20 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

const NATIVE: Record<string, (line: string, start: number, end: number) => boolean> = {
  id: isEventIdAt,
  occurred_at: (line, start, end) => checkDateTimeAt(line, start, end) === 'ok',
  // Any printable character is a customer ref's, the backslash included.
  customer_ref: (line, start, end) => !unsafeAt(line, start, end) && customerRefOkAt(line, start, end),
};

type Def = {
  type: string;
  checks?: { _zod: { def: Record<string, unknown> & { check: string } } }[];
  innerType?: z.ZodType;
  values?: unknown[];
  entries?: Record<string, unknown>;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
};

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** A JSON number text that JSON.stringify would write back unchanged, as a number; else NaN. */
function canonicalNumber(text: string): number {
  const n = Number(text);
  return Number.isFinite(n) && String(n) === text ? n : NaN;
}

/**
 * `canonicalNumber` of `line[start, end)`. Integers of up to 15 digits, and
 * decimals of up to 15 significant digits not below 1e-6 with no trailing
 * zero, are canonical by their shape: 15 digits always survive the trip
 * through a double, and JSON.stringify writes such a number without an
 * exponent. Only other shapes are converted and written back to compare.
 */
export function canonicalNumberAt(line: string, start: number, end: number): number {
  let p = start;
  const negative = line.charCodeAt(p) === 0x2d;
  if (negative) p++;
  const first = p < end ? line.charCodeAt(p) : -1;
  if (first === 0x30) p++;
  else if (first > 0x30 && first <= 0x39) {
    while (p < end && isDigit(line.charCodeAt(p))) p++;
  } else return canonicalNumber(line.slice(start, end));
  const intDigits = p - start - (negative ? 1 : 0);
  if (p === end) {
    // -0 is written as 0.
    if (intDigits > 15 || (negative && first === 0x30)) return canonicalNumber(line.slice(start, end));
    let value = 0;
    for (let i = end - intDigits; i < end; i++) value = value * 10 + line.charCodeAt(i) - 0x30;
    return negative ? -value : value;
  }
  if (line.charCodeAt(p) !== 0x2e || intDigits > 15) return canonicalNumber(line.slice(start, end));
  const fraction = ++p;
  while (p < end && isDigit(line.charCodeAt(p))) p++;
  if (p !== end || p === fraction || line.charCodeAt(end - 1) === 0x30) return canonicalNumber(line.slice(start, end));
  let significant = intDigits + (end - fraction);
  if (first === 0x30) {
    let zeros = fraction;
    while (line.charCodeAt(zeros) === 0x30) zeros++;
    // Below 1e-6 a number is written with an exponent.
    if (zeros - fraction > 5) return canonicalNumber(line.slice(start, end));
    significant = end - zeros;
  }
  if (significant > 15) return canonicalNumber(line.slice(start, end));
  return Number(line.slice(start, end));
}

/** FNV-1a over the character codes of `s[start, end)`. */
function hashRange(s: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/**
 * A map with fixed string keys, looked up by a range of a line without cutting
 * it out: open addressing over the keys' hashes, at most a quarter full, keys
 * compared character by character.
 */
class RangeMap<T> {
  private readonly keys: string[] = [];
  private readonly values: T[] = [];
  /** Per slot: index + 1 of the key there, 0 when free. */
  private readonly slots: Int32Array;
  private readonly hashes: Int32Array;

  constructor(entries: Iterable<readonly [string, T]>) {
    for (const [key, value] of entries) {
      this.keys.push(key);
      this.values.push(value);
    }
    let size = 8;
    while (size < this.keys.length * 4) size *= 2;
    this.slots = new Int32Array(size);
    this.hashes = new Int32Array(size);
    this.keys.forEach((key, i) => {
      const hash = hashRange(key, 0, key.length);
      let at = hash & (size - 1);
      while (this.slots[at] !== 0) at = (at + 1) & (size - 1);
      this.slots[at] = i + 1;
      this.hashes[at] = hash;
    });
  }

  /** Index of the key that is `line[start, end)`, or -1. */
  find(line: string, start: number, end: number): number {
    const hash = hashRange(line, start, end);
    const mask = this.slots.length - 1;
    for (let at = hash & mask; ; at = (at + 1) & mask) {
      const slot = this.slots[at];
      if (slot === 0) return -1;
      if (this.hashes[at] !== hash) continue;
      const key = this.keys[slot - 1];
      if (key.length !== end - start) continue;
      let i = 0;
      while (i < key.length && key.charCodeAt(i) === line.charCodeAt(start + i)) i++;
      if (i === key.length) return slot - 1;
    }
  }

  key(index: number): string {
    return this.keys[index];
  }

  value(index: number): T {
    return this.values[index];
  }
}

/** The value alone, put to zod; accepted only when zod returns it unchanged. */
function byZod(schema: z.ZodType, optional: boolean): Rule {
  return {
    optional,
    string: (line, start, end) => {
      if (unsafeAt(line, start, end)) return false;
      const value = line.slice(start, end);
      const r = schema.safeParse(value);
      return r.success && r.data === value;
    },
    number: (line, start, end) => {
      const n = canonicalNumberAt(line, start, end);
      if (Number.isNaN(n)) return false;
      const r = schema.safeParse(n);
      return r.success && r.data === n;
    },
  };
}

/**
 * Whether the definition holds nothing but what is named: a format, a
 * coercion, a transform and the like live on the definition itself, and any
 * of them puts the field to zod.
 */
function plain(def: Def, ...keys: string[]): boolean {
  return Object.keys(def).every((k) => k === 'type' || k === 'checks' || k === 'error' || keys.includes(k));
}

function ruleFor(name: string, field: z.ZodType): Rule {
  let schema = field;
  let def = defOf(schema);
  let optional = false;
  // An absent optional field stays absent in the canonical form; an absent
  // defaulted one does not, so only its present form is canonical.
  if ((def.type === 'optional' || def.type === 'default') && plain(def, 'innerType', 'defaultValue') && (def.checks ?? []).length === 0 && def.innerType !== undefined) {
    optional = def.type === 'optional';
    schema = def.innerType;
    def = defOf(schema);
  }
  const checks = (def.checks ?? []).map((c) => c._zod.def);
  if (def.type === 'enum' && plain(def, 'entries') && checks.length === 0 && def.entries !== undefined) {
    const values = Object.values(def.entries);
    if (values.every((v) => typeof v === 'string')) {
      const set = new RangeMap((values as string[]).map((v) => [v, true] as const));
      return { optional, string: (line, start, end) => set.find(line, start, end) >= 0 };
    }
  }
  if (def.type === 'literal' && plain(def, 'values') && checks.length === 0 && def.values?.length === 1) {
    const [literal] = def.values;
    if (typeof literal === 'string') return { optional, string: (line, start, end) => end - start === literal.length && line.startsWith(literal, start) };
    if (typeof literal === 'number' && Number.isFinite(literal)) {
      const text = String(literal);
      return { optional, number: (line, start, end) => end - start === text.length && line.startsWith(text, start) };
    }
  }
  if (def.type === 'string' && plain(def)) {
    let min = 0;
    let max = Infinity;
    let custom = 0;
    let known = true;
    for (const c of checks) {
      if (c.check === 'min_length') min = Math.max(min, c.minimum as number);
      else if (c.check === 'max_length') max = Math.min(max, c.maximum as number);
      else if (c.check === 'custom') custom++;
      else known = false;
    }
    const native = NATIVE[name];
    if (known && (custom === 0 || (custom === 1 && native !== undefined))) {
      if (custom === 0) return { optional, string: (line, start, end) => end - start >= min && end - start <= max && !unsafeAt(line, start, end) };
      return { optional, string: (line, start, end) => end - start >= min && end - start <= max && native(line, start, end) };
    }
  }
  // z.int() is a number whose definition carries the format.
  const int = (def as Def & { check?: unknown; format?: unknown }).check === 'number_format' && (def as Def & { format?: unknown }).format === 'safeint';
  if (def.type === 'number' && (int ? plain(def, 'check', 'format', 'abort') : plain(def))) {
    let min = -Infinity;
    let max = Infinity;
    let known = true;
    for (const c of checks) {
      // Exclusive bounds are rare enough to leave to zod.
      if (c.check === 'greater_than' && c.inclusive === true) min = Math.max(min, c.value as number);
      else if (c.check === 'less_than' && c.inclusive === true) max = Math.min(max, c.value as number);
      else known = false;
    }
    if (known) {
      return {
        optional,
        number: (line, start, end) => {
          const n = canonicalNumberAt(line, start, end);
          return n >= min && n <= max && (!int || Number.isSafeInteger(n));
        },
      };
    }
  }
  return byZod(schema, optional);
}

/** The rules of one type's latest version, or null when its schema is not of a shape this file knows. */
function rulesFor(schema: z.ZodType): TypeRules | null {
  const def = defOf(schema);
  if (def.type !== 'object' || !plain(def, 'shape', 'catchall') || (def.checks ?? []).length > 0 || def.shape === undefined) return null;
  const shape = def.shape;
  const names = Object.keys(shape);
  if (names.length !== ENVELOPE_FIELDS.length || !ENVELOPE_FIELDS.every((f) => f in shape)) return null;
  const dataDef = defOf(shape.data);
  if (dataDef.type !== 'object' || !plain(dataDef, 'shape', 'catchall') || (dataDef.checks ?? []).length > 0 || dataDef.shape === undefined) return null;
  // Only a strict object refuses unknown keys; anything laxer is zod's to judge.
  if (dataDef.catchall === undefined || defOf(dataDef.catchall).type !== 'never') return null;
  const data: [string, Rule][] = [];
  let required = 0;
  for (const [key, field] of Object.entries(dataDef.shape)) {
    const rule = ruleFor(key, field);
    data.push([key, rule]);
    if (!rule.optional) required++;
  }
  return { envelope: ENVELOPE_FIELDS.map((f) => (f === 'data' ? { optional: false } : ruleFor(f, shape[f]))), data: new RangeMap(data), required };
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;

/** The shortcut for one catalog (built once per catalog). */
export const fastAcceptor: (catalog: Catalog) => FastAcceptor = perCatalog(buildFastAcceptor);

function buildFastAcceptor(catalog: Catalog): FastAcceptor {
  const schemas = schemasFor(catalog);
  const typeRules: [string, TypeRules][] = [];
  for (const type of EVENT_TYPES) {
    const rules = rulesFor(schemas.byType[type][latestSchemaVersion(type) - 1]);
    if (rules !== null) typeRules.push([type, rules]);
  }
  const byType = new RangeMap(typeRules);
  const fields = ENVELOPE_FIELDS.length;
  const DATA = ENVELOPE_FIELDS.indexOf('data');
  const TYPE = ENVELOPE_FIELDS.indexOf('type');
  const ID = ENVELOPE_FIELDS.indexOf('id');
  const ORG = ENVELOPE_FIELDS.indexOf('org');
  const REGION = ENVELOPE_FIELDS.indexOf('region');
  // The scan below takes `data` to be the last field.
  if (DATA !== fields - 1) return () => null;
  // `"id":` …: what each envelope field starts with.
  const heads = ENVELOPE_FIELDS.map((f) => `"${f}":`);
  // Value spans per envelope field: [start, end) of the text between quotes for
  // strings, of the JSON text otherwise; start -1 when absent.
  const starts = new Int32Array(fields);
  const ends = new Int32Array(fields);
  const quoted = new Uint8Array(fields);

  /** End of an unquoted value starting at `p`: the next comma or closing brace. */
  function bareEnd(line: string, p: number): number {
    const n = line.length;
    while (p < n) {
      const c = line.charCodeAt(p);
      if (c === COMMA || c === CLOSE) return p;
      p++;
    }
    return -1;
  }

  /** Checks the data object whose `{` is at `p`; returns the position after its `}`, or -1. */
  function checkData(line: string, p: number, rules: TypeRules): number {
    p++;
    if (line.charCodeAt(p) === CLOSE) return rules.required === 0 ? p + 1 : -1;
    let previous = '';
    let required = 0;
    for (;;) {
      if (line.charCodeAt(p) !== QUOTE) return -1;
      const keyEnd = line.indexOf('"', p + 1);
      if (keyEnd === -1 || line.charCodeAt(keyEnd + 1) !== COLON) return -1;
      const found = rules.data.find(line, p + 1, keyEnd);
      if (found < 0) return -1;
      const key = rules.data.key(found);
      const rule = rules.data.value(found);
      // Sorted as serializeEvent sorts (by UTF-16 code unit), and no key twice.
      if (previous !== '' && !(previous < key)) return -1;
      previous = key;
      if (!rule.optional) required++;
      const v = keyEnd + 2;
      if (line.charCodeAt(v) === QUOTE) {
        const end = line.indexOf('"', v + 1);
        if (end === -1 || rule.string === undefined || !rule.string(line, v + 1, end)) return -1;
        p = end + 1;
      } else {
        const end = bareEnd(line, v);
        if (end === -1 || rule.number === undefined || !rule.number(line, v, end)) return -1;
        p = end;
      }
      const c = line.charCodeAt(p);
      if (c === CLOSE) return required === rules.required ? p + 1 : -1;
      if (c !== COMMA) return -1;
      p++;
    }
  }

  return function fastAccept(line) {
    if (line.charCodeAt(0) !== OPEN) return null;
    starts.fill(-1);
    let p = 1;
    let f = 0;
    let dataAt = -1;
    for (;;) {
      // The next field in catalog order that the line has; those skipped are absent.
      while (f < fields && !line.startsWith(heads[f], p)) f++;
      if (f === fields) return null;
      const v = p + heads[f].length;
      if (f === DATA) {
        if (line.charCodeAt(v) !== OPEN) return null;
        dataAt = v;
        break;
      }
      if (line.charCodeAt(v) === QUOTE) {
        const end = line.indexOf('"', v + 1);
        if (end === -1) return null;
        starts[f] = v + 1;
        ends[f] = end;
        quoted[f] = 1;
        p = end + 1;
      } else {
        const end = bareEnd(line, v);
        if (end === -1) return null;
        starts[f] = v;
        ends[f] = end;
        quoted[f] = 0;
        p = end;
      }
      if (line.charCodeAt(p) !== COMMA) return null;
      p++;
      f++;
    }
    if (starts[TYPE] === -1 || quoted[TYPE] === 0) return null;
    const type = byType.find(line, starts[TYPE], ends[TYPE]);
    if (type < 0) return null;
    const rules = byType.value(type);
    for (let i = 0; i < fields; i++) {
      if (i === DATA) continue;
      const rule = rules.envelope[i];
      if (starts[i] === -1) {
        if (!rule.optional) return null;
        continue;
      }
      if (quoted[i] === 1 ? rule.string === undefined || !rule.string(line, starts[i], ends[i]) : rule.number === undefined || !rule.number(line, starts[i], ends[i])) return null;
    }
    const end = checkData(line, dataAt, rules);
    if (end === -1 || end !== line.length - 1 || line.charCodeAt(end) !== CLOSE) return null;
    if (quoted[ID] === 0 || quoted[ORG] === 0 || quoted[REGION] === 0) return null;
    return { id: line.slice(starts[ID], ends[ID]), org: line.slice(starts[ORG], ends[ORG]), region: line.slice(starts[REGION], ends[REGION]) };
  };
}
