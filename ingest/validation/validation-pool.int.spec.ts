/** Worker-thread validation gives exactly what validation on the calling thread gives. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { realisticEvents } from '../simulator/index.ts';
import { defaultCatalog, serializeEvent } from '../../schemas/index.ts';
import { adaptiveValidation, canonicalAt, createValidationPool, inlineValidation } from './index.ts';

describe('validation pool', () => {
  const texts = [...realisticEvents(3000, 3)].map(serializeEvent);
  texts[10] = '{"id": 1}';
  texts[2000] = JSON.stringify({ ...JSON.parse(texts[2000]), region: '000000' });
  texts[2999] = 'not json';
  const lines = texts.map((_, i) => i + 1);
  const pool = createValidationPool({ size: 2 });
  after(() => pool.close());

  it('validates in workers exactly as inline, in input order', async () => {
    const [a, b] = await Promise.all([pool.validate(texts.slice(0, 1500), lines.slice(0, 1500)), pool.validate(texts.slice(1500), lines.slice(1500))]);
    const inline = await inlineValidation(defaultCatalog()).validate(texts, lines);
    assert.equal(a.ids.length + b.ids.length, 2997);
    assert.deepEqual([...a.ids, ...b.ids], inline.ids);
    assert.ok(Buffer.isBuffer(a.canonical));
    assert.equal(`${a.canonical}${b.canonical}`, inline.canonical.toString());
    const valid = texts.filter((_, i) => ![10, 2000, 2999].includes(i));
    assert.deepEqual(
      [...a.ids, ...b.ids].map((_, i) => canonicalAt(i < a.ids.length ? a : b, i < a.ids.length ? i : i - a.ids.length).toString()),
      valid,
    );
    assert.deepEqual(
      [...a.keyOf].map((k) => a.keys[k]),
      valid.slice(0, a.ids.length).map((t) => `${JSON.parse(t).org}:${JSON.parse(t).region}`),
    );
    assert.deepEqual(
      [...a.rejected, ...b.rejected].map((r) => [r.line, r.errors[0].field]),
      [
        [11, 'id'],
        [2001, 'region'],
        [3000, '$'],
      ],
    );
  });

  it('keeps small chunks on the calling thread and sends large ones to workers', async () => {
    const adaptive = adaptiveValidation(defaultCatalog(), { threshold: 1000, size: 1 });
    const small = await adaptive.validate(texts.slice(0, 10), lines.slice(0, 10));
    const large = await adaptive.validate(texts, lines);
    assert.equal(small.ids.length, 10);
    assert.equal(large.ids.length, 2997);
    await adaptive.close();
  });
});
