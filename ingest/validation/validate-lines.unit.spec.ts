/** The packed result of a chunk: each valid event's canonical bytes, key, id and input index, rejections as zod words them. */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { describe, it } from 'node:test';
import { realisticEvents } from '../simulator/index.ts';
import { defaultCatalog, parseEventLine, serializeEvent } from '../../schemas/index.ts';
import { fuzzCases } from '../../test-support/fuzz.ts';
import { MAX_LINE_BYTES, readLines } from '../lines.ts';
import { canonicalAt, validateBlock, validateLines } from './index.ts';

async function* once(bytes: Buffer) {
  yield bytes;
}

describe('validateLines', () => {
  it('gives, per valid line, the bytes of serializeEvent, with non-ASCII text and lines zod rewrites', () => {
    const events = [...realisticEvents(400, 9)];
    const suspension = events.find((e) => e.type === 'suspension.waived')!;
    const texts = events.map(serializeEvent);
    texts[3] = serializeEvent({ ...suspension, data: { ...suspension.data, reason: '疫情期间不停供' } } as typeof suspension);
    texts[4] = JSON.stringify(JSON.parse(texts[4]), null, 2); // valid, not canonical
    texts[5] = '{"id":"x"}';
    texts[6] = '   ';
    texts[7] = serializeEvent({ ...suspension, data: { ...suspension.data, reason: '供 "quoted" 😷' } } as typeof suspension);
    const numbers = texts.map((_, i) => i + 10);
    const result = validateLines(texts, numbers, defaultCatalog());
    const expected = texts.map((t, i) => ({ i, r: parseEventLine(t) })).filter((x) => x.r.ok);
    assert.equal(result.ids.length, texts.length - 2);
    assert.deepEqual([...result.indexes], expected.map((x) => x.i));
    expected.forEach(({ r }, j) => {
      assert.ok(r.ok);
      assert.equal(canonicalAt(result, j).toString('utf8'), serializeEvent(r.event));
      assert.equal(result.ids[j], r.event.id);
      assert.equal(result.keys[result.keyOf[j]], `${r.event.org}:${r.event.region}`);
      assert.equal(result.keyOrgs[result.keyOf[j]], r.event.org);
    });
    assert.equal(result.offsets[result.ids.length], result.canonical.length);
    assert.equal(new Set(result.keys).size, result.keys.length, 'each key listed once');
    assert.deepEqual(result.rejected, [{ line: 15, errors: (parseEventLine(texts[5]) as { errors: unknown }).errors, raw: '{"id":"x"}' }]);
  });

  it('validates a block of raw lines as readLines and validateLines do, lines refused before parsing among the rejections', async () => {
    const catalog = defaultCatalog();
    const parts = [
      ...fuzzCases(400, 31).map((c) => c.bytes),
      Buffer.from([0x7b, 0xff, 0x7d]),
      Buffer.from('z'.repeat(MAX_LINE_BYTES + 1)),
      Buffer.from('   \r'),
    ];
    const body = Buffer.concat(parts.flatMap((b) => [b, Buffer.from('\r\n')]));
    const lines = [];
    for await (const { bytes: _bytes, ...line } of readLines(once(body))) lines.push(line);
    const valid = lines.filter((l) => !l.invalid);
    const expected = validateLines(
      valid.map((l) => l.text),
      valid.map((l) => l.line + 99),
      catalog,
    );
    const block = validateBlock(body, 100, catalog);
    assert.equal(block.lines, lines.length);
    assert.equal(block.lines, parts.length - 1);
    assert.deepEqual(block.canonical, expected.canonical);
    assert.deepEqual(block.offsets, expected.offsets);
    assert.deepEqual(block.keys, expected.keys);
    assert.deepEqual(block.keyOf, expected.keyOf);
    const refused = lines.filter((l) => l.invalid).map((l) => ({ line: l.line + 99, errors: [l.invalid], raw: l.text }));
    assert.deepEqual(
      block.rejected,
      [...expected.rejected, ...refused].sort((a, b) => a.line - b.line),
    );
    assert.deepEqual(
      refused.slice(-2).map((r) => [r.line, r.errors[0]!.reason]),
      [
        [100 + parts.length - 3, 'not valid UTF-8; send events encoded as UTF-8'],
        [100 + parts.length - 2, `line of ${MAX_LINE_BYTES + 2} bytes is longer than ${MAX_LINE_BYTES} (an event is at most a few KiB); only its first 4096 bytes were kept`],
      ],
    );
    assert.ok(expected.ids.length > 100 && expected.rejected.length > 50 && refused.length > 5);
  });

  it('copies the bytes of each line it takes as it is, in a block that is UTF-8: CRs, byte order marks and non-ASCII lines as readLines reads them', async () => {
    const catalog = defaultCatalog();
    const events = [...realisticEvents(300, 12)];
    const suspension = events.find((e) => e.type === 'suspension.waived')!;
    const canonical = events.map(serializeEvent);
    const chinese = serializeEvent({ ...suspension, data: { ...suspension.data, reason: '疫情期间不停供' } } as typeof suspension);
    const lines = [
      ...canonical.slice(0, 100),
      `\uFEFF${canonical[100]}`, // a byte order mark before a canonical line
      chinese,
      `\uFEFF${chinese}`,
      JSON.stringify(JSON.parse(canonical[101])).replace('{"id"', '{ "id"'), // valid, rewritten by zod
      '{"id":"x"}',
      ...fuzzCases(200, 5).map((c) => c.bytes.toString('utf8')),
      ...canonical.slice(102),
    ];
    const body = Buffer.from(lines.map((l, i) => l + (i % 3 === 0 ? '\r\n' : '\n')).join(''));
    assert.ok(isUtf8(body), 'a block that is UTF-8: lines are copied, not read one by one');
    const read = [];
    for await (const { bytes: _bytes, ...line } of readLines(once(body))) read.push(line);
    const valid = read.filter((l) => !l.invalid);
    const expected = validateLines(
      valid.map((l) => l.text),
      valid.map((l) => l.line),
      catalog,
    );
    const block = validateBlock(body, 1, catalog);
    assert.equal(block.lines, read.length);
    assert.deepEqual(block.offsets, expected.offsets);
    assert.ok(block.canonical.equals(expected.canonical));
    assert.deepEqual(block.keyOf, expected.keyOf);
    assert.deepEqual(block.rejected, [...expected.rejected, ...read.filter((l) => l.invalid).map((l) => ({ line: l.line, errors: [l.invalid], raw: l.text }))].sort((a, b) => a.line - b.line));
    // The canonical lines, the one after a byte order mark and the non-ASCII ones among them, come back byte for byte.
    const taken = [canonical[100], chinese, chinese];
    for (const text of taken) assert.ok(block.canonical.includes(Buffer.from(text)), text.slice(0, 60));
    assert.ok(expected.ids.length > 300, `${expected.ids.length}`);
  });

  it('gives nothing for an empty block and a blank line for a lone newline', () => {
    const empty = validateBlock(Buffer.alloc(0), 1, defaultCatalog());
    assert.deepEqual([empty.lines, empty.canonical.length, [...empty.offsets], empty.rejected], [0, 0, [0], []]);
    const blank = validateBlock(Buffer.from('\n'), 1, defaultCatalog());
    assert.deepEqual([blank.lines, blank.rejected], [0, []]);
  });
});
