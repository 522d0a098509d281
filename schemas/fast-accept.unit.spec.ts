/**
 * The fast path answers exactly as zod does, or not at all: every line it
 * accepts, zod accepts too, with the line itself as the canonical form and the
 * same id, org and region. Held over realistic streams, the seed scenario, the
 * fuzz corpus and field-by-field mutations of valid lines.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { realisticEvents, seedScenario } from '../ingest/simulator/index.ts';
import { decodeUtf8 } from '../ingest/lines.ts';
import { fuzzCases, overlongLine } from '../test-support/fuzz.ts';
import { tempDir } from '../test-support/temp.ts';
import { type Catalog, defaultCatalog, fastAcceptor, loadCatalog, parseEventLine, serializeEvent } from './index.ts';

const catalog = defaultCatalog();
const fast = fastAcceptor(catalog);

/** Asserts the fast path's answer is zod's; returns whether the fast path took the line. */
function agrees(line: string, cat: Catalog = catalog, accept = fast): boolean {
  const quick = accept(line);
  if (quick === null) return false;
  const zod = parseEventLine(line, cat);
  assert.ok(zod.ok, `fast path accepted a line zod rejects: ${line.slice(0, 300)} — ${zod.ok ? '' : JSON.stringify(zod.errors)}`);
  assert.equal(serializeEvent(zod.event), line, 'fast path accepted a line that is not canonical');
  assert.deepEqual(quick, { id: zod.event.id, org: zod.event.org, region: zod.event.region });
  return true;
}

/** The line with one top-level field's value replaced by raw JSON text (order kept). */
function withRaw(line: string, field: string, raw: string | undefined): string {
  const obj = JSON.parse(line) as Record<string, unknown>;
  if (raw === undefined) {
    delete obj[field];
    return JSON.stringify(obj);
  }
  obj[field] = '__RAW__';
  return JSON.stringify(obj).replace('"__RAW__"', raw);
}

/** The same for a key of `data`. */
function withRawData(line: string, key: string, raw: string | undefined): string {
  const obj = JSON.parse(line) as { data: Record<string, unknown> };
  if (raw === undefined) delete obj.data[key];
  else obj.data[key] = '__RAW__';
  return JSON.stringify(obj).replace('"__RAW__"', raw ?? '');
}

const realistic = [...realisticEvents(20_000, 11)].map(serializeEvent);
/** One valid line per type, as the base of mutations. */
const perType = [...new Map(realistic.map((l) => [JSON.parse(l).type as string, l])).values()];

describe('fast acceptance path', () => {
  it('takes every realistic event and every seed-scenario event, as zod does', () => {
    for (const line of realistic) assert.ok(agrees(line), line);
    const seed = seedScenario().map(serializeEvent);
    for (const line of seed) assert.ok(agrees(line), line);
    assert.equal(perType.length, 8);
  });

  it('never takes a line zod rejects, over the fuzz corpus', () => {
    let taken = 0;
    let decoded = 0;
    for (const c of [...fuzzCases(4000, 5), ...fuzzCases(4000, 6), overlongLine(3)]) {
      const text = decodeUtf8(c.bytes);
      if (text === null) continue;
      decoded++;
      const line = text.endsWith('\r') ? text.slice(0, -1) : text;
      if (agrees(line)) {
        taken++;
        assert.equal(c.expect, 'accept', c.kind);
      }
    }
    // Most valid fuzz cases are canonical; the rest (spaces, 1.0, a duplicate key) are zod's.
    assert.ok(decoded > 7000 && taken > 2000, `decoded ${decoded}, taken ${taken}`);
  });

  it('leaves every invalid mutation of a valid line to zod', () => {
    const invalid: string[] = [];
    for (const line of perType) {
      const type = JSON.parse(line).type as string;
      for (const [field, raws] of Object.entries({
        id: ['null', '1', '""', '"not-a-uuid"', '"0192d5c4-8f3a-7c1e-9b2a-5d6e7f809a1"', '"ZZZZZZZZZZZZZZZZZZZZZZZZZZ"', '"81ZZZZZZZZZZZZZZZZZZZZZZZZ"', '"0192d5c4-8f3a-7c1e-9b2a-5d6e7f809a1g"'],
        type: ['"suspension.waved"', '"SUSPENSION.WAIVED"', '""', '1', 'null'],
        schema_version: ['0', '99', '"1"', '1.5', '-1', '3', 'null'],
        occurred_at: ['"2020-01-24T08:00:00"', '"2019-02-29T08:00:00+08:00"', '"1899-12-31T23:59:59+08:00"', '"2300-01-01T00:00:00Z"', '"2020-13-01T00:00:00Z"', '"2020-01-24T25:00:00+08:00"', '"2020-01-24T08:00:00+19:00"', '"2020-01-24 08:00:00+08:00"', '1579824000000'],
        org: ['"acme"', '"SGCC"', '"sgcc "', '""', '"constructor"', '"__proto__"', '1'],
        region: ['"999999"', '"4201"', '"420100 "', '"42O100"', '420100', '"toString"'],
        quantity: ['0', '-1', '1.5', '1000000000001', '9007199254740993', '"1"', 'null', 'true', '[]', '{}', '1e400', '-1e400', '1e-400', '1e13'],
        customer_ref: ['""', '"13812345678"', '"+86 139 1234 5678"', '"110101199003071234"', '"li.si@example.com"', '"6222021234567890123"', '"acct-0312345678"', `"${'a'.repeat(129)}"`, '"with space"', '"中文"', '1', 'null'],
        source: ['""', `"${'s'.repeat(129)}"`, '1', 'null', '[]'],
        data: ['null', '[]', '"x"', '{}', '1'],
        extra: ['1', '"x"', '{}'],
      })) {
        for (const raw of raws) invalid.push(withRaw(line, field, raw));
      }
      for (const field of ['id', 'type', 'schema_version', 'occurred_at', 'org', 'region', 'source', 'data']) invalid.push(withRaw(line, field, undefined));
      const data = JSON.parse(line).data as Record<string, unknown>;
      for (const key of Object.keys(data)) {
        for (const raw of ['null', '1', '-1', '""', '"nope"', '[]', '{}', 'true', `"${'o'.repeat(129)}"`, '"2020-02-30"', '"2020-1-1"', '-0.01', '1e400']) {
          const mutated = withRawData(line, key, raw);
          if (parseEventLine(mutated, catalog).ok) continue; // e.g. a free-text reason takes any string
          invalid.push(mutated);
        }
      }
      invalid.push(withRawData(line, 'unknown_key', '1'), line.replace('"data":{', '"data":{"__proto__":{},'), withRawData(line, 'a', '"x"'));
      // Required data keys missing.
      for (const key of Object.keys(data)) {
        const without = withRawData(line, key, undefined);
        if (!parseEventLine(without, catalog).ok) invalid.push(without);
      }
      assert.ok(type);
    }
    assert.ok(invalid.length > 800, `${invalid.length}`);
    for (const line of invalid) {
      assert.equal(parseEventLine(line, catalog).ok, false, `zod accepts ${line}`);
      assert.equal(fast(line), null, line);
    }
  });

  it('leaves valid lines that are not canonical to zod (it writes them differently)', () => {
    const base = perType[0];
    const obj = JSON.parse(base) as Record<string, unknown>;
    const { id, ...rest } = obj;
    const suspension = perType.find((l) => l.includes('"suspension.waived"'))!;
    const v1 = JSON.parse(suspension) as { data: Record<string, unknown>; schema_version: number };
    delete v1.data.beneficiary;
    v1.schema_version = 1;
    const cases = [
      JSON.stringify({ ...rest, id }), // key order
      JSON.stringify(obj, null, 1), // whitespace
      base.replace('{"id":', '{ "id":'),
      `${base} `,
      ` ${base}`,
      `\uFEFF${base}`,
      base.replace('"quantity":1,', '"quantity":1.0,'),
      base.replace('"quantity":1,', '"quantity":1e0,'),
      withRaw(base, 'quantity', undefined), // the default is written out
      base.replace('"source":"', '"source":"\\u0041'), // an escape JSON.stringify would not write
      base.replace('"source":"', '"source":"\\/'),
      withRaw(base, 'customer_ref', '"cust\\u0041-0001"'), // escapes in every kind of free text
      withRaw(base, 'customer_ref', '"cust\\\\0001"'),
      withRawData(suspension, 'reason', '"kept\\u0041"'),
      withRawData(suspension, 'reason', '"kept\\n"'),
      withRawData(suspension, 'reason', '"kept\\ud83d\\ude37"'),
      withRaw(base, 'source', '"sou\u0001rce"'), // a control character as it is: not JSON
      withRawData(suspension, 'reason', '"kept\u0007"'),
      JSON.stringify(v1), // upcast to v2
      base.replace(/}$/, ',"org":"sgcc"}').replace('"org":', '"org":"x","org":'), // duplicate key
      `{"org":"acme-power",${base.slice(1)}`, // duplicate, last valid
      withRawData(base, Object.keys(JSON.parse(base).data)[0], JSON.stringify(Object.values(JSON.parse(base).data)[0])).replace('"data":{', '"data":{"zz":1,').replace(',"zz":1', ''),
    ];
    // Data keys out of order.
    const data = JSON.parse(base).data as Record<string, unknown>;
    const reversed = Object.fromEntries(Object.entries(data).reverse());
    cases.push(JSON.stringify({ ...obj, data: reversed }));
    // -0 is written as 0.
    const withMoney = perType.find((l) => l.includes('"amount_cny":'))!;
    cases.push(withRawData(withMoney, 'amount_cny', '-0'), withRawData(withMoney, 'amount_cny', '1.50'), withRawData(withMoney, 'amount_cny', '1E2'));
    let zodTakes = 0;
    for (const line of cases) {
      if (parseEventLine(line, catalog).ok) zodTakes++;
      assert.equal(fast(line), null, line);
    }
    assert.ok(zodTakes >= 14, `${zodTakes}`);
  });

  it('takes valid canonical lines at the edges of each field', () => {
    const [base] = perType;
    const withMoney = perType.find((l) => l.includes('"amount_cny":'))!;
    const edges = [
      withRaw(base, 'quantity', '1000000000000'),
      withRaw(base, 'id', '"01ARZ3NDEKTSV4RRFFQ69G5FAV"'),
      withRaw(base, 'id', '"7A1C9E52-0000-4000-8000-000000000001"'),
      withRaw(base, 'source', `"${'s'.repeat(128)}"`),
      withRaw(base, 'source', '"营销系统 v2"'),
      withRaw(base, 'customer_ref', `"${'a'.repeat(128)}"`),
      withRaw(base, 'customer_ref', undefined),
      withRaw(base, 'occurred_at', '"2020-02-29T23:59:59.123456789Z"'),
      withRaw(base, 'occurred_at', '"1900-01-01T00:00:00-12:00"'),
      withRawData(withMoney, 'amount_cny', '0'),
      withRawData(withMoney, 'amount_cny', '1e+21'),
      withRawData(withMoney, 'amount_cny', '0.000001'),
    ];
    for (const line of edges) assert.ok(agrees(line), line);
    // Free text with characters JSON.stringify leaves as they are.
    const suspension = JSON.parse(perType.find((l) => l.includes('"suspension.waived"'))!);
    suspension.data = { ...suspension.data, reason: '疫情期间 "不停供" — ok' };
    const withReason = serializeEvent(suspension);
    assert.equal(fast(withReason), null, 'an escaped quote is left to zod');
    suspension.data.reason = '疫情期间不停供 — 保障民生 😷';
    assert.equal(fast(serializeEvent(suspension)), null, 'surrogates are left to zod');
    suspension.data.reason = '疫情期间不停供 — 保障民生';
    assert.ok(agrees(serializeEvent(suspension)));
  });

  it('follows the catalog it is built for: an operator org is known only there', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'orgs.json');
      writeFileSync(file, JSON.stringify([{ code: 'acme-power', name_zh: '某电力公司', name_en: 'Acme Power', sector: 'power' }]));
      const extended = loadCatalog({ extraOrgsFile: file });
      const line = withRaw(perType[0], 'org', '"acme-power"');
      assert.equal(fast(line), null);
      assert.ok(agrees(line, extended, fastAcceptor(extended)));
      assert.equal(fastAcceptor(extended), fastAcceptor(extended), 'built once per catalog');
    } finally {
      cleanup();
    }
  });
});
