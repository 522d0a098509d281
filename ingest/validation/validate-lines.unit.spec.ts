/** The packed result of a chunk: each valid event's canonical bytes, key, id and input index, rejections as zod words them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realisticEvents } from '../simulator/index.ts';
import { defaultCatalog, parseEventLine, serializeEvent } from '../../schemas/index.ts';
import { canonicalAt, validateLines } from './index.ts';

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
});
