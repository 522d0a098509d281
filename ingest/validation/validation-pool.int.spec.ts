/** Worker-thread validation gives exactly what validation on the calling thread gives. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { realisticEvents } from '../simulator/index.ts';
import { defaultCatalog, serializeEvent } from '../../schemas/index.ts';
import { adaptiveValidation, canonicalAt, createValidationPool, inlineValidation, validateBlock } from './index.ts';

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

  it('validates blocks of raw lines in workers exactly as inline, taking the block memory over', async () => {
    const body = Buffer.concat([Buffer.from(`${texts.join('\n')}\n`), Buffer.from([0xff, 0x0a])]);
    const inline = validateBlock(Buffer.from(body), 41, defaultCatalog());
    const own = Buffer.from(new ArrayBuffer(body.length));
    own.set(body);
    const [whole, part] = await Promise.all([pool.validateBlock(own, 41), pool.validateBlock(body.subarray(0, texts[0].length + 1), 41)]);
    assert.equal(own.buffer.byteLength, 0, 'transferred, not copied');
    assert.equal(body.length > 0 && body[0], 0x7b, 'a view of shared memory is copied, not detached');
    assert.ok(Buffer.isBuffer(whole.canonical));
    assert.deepEqual({ ...whole, canonical: whole.canonical.toString() }, { ...inline, canonical: inline.canonical.toString() });
    assert.equal(whole.lines, 3001);
    assert.deepEqual(
      whole.rejected.map((r) => [r.line, r.errors[0].field]),
      [
        [51, 'id'],
        [2041, 'region'],
        [3040, '$'],
        [3041, '$'],
      ],
    );
    assert.equal(whole.rejected[3].errors[0].reason, 'not valid UTF-8; send events encoded as UTF-8');
    assert.equal(part.lines, 1);
    assert.equal(canonicalAt(part, 0).toString(), texts[0]);
  });

  it('keeps small chunks on the calling thread and sends large ones to workers', async () => {
    const adaptive = adaptiveValidation(defaultCatalog(), { threshold: 1000, size: 1 });
    const small = await adaptive.validate(texts.slice(0, 10), lines.slice(0, 10));
    const large = await adaptive.validate(texts, lines);
    assert.equal(small.ids.length, 10);
    assert.equal(large.ids.length, 2997);
    const body = Buffer.from(texts.join('\n'));
    const smallBlock = Buffer.from(body.subarray(0, 100_000));
    assert.equal((await adaptive.validateBlock(smallBlock, 1)).lines > 0, true);
    assert.equal(smallBlock.length, 100_000, 'validated here, not handed to a worker');
    const largeBlock = Buffer.from(new ArrayBuffer(body.length));
    largeBlock.set(body);
    assert.equal((await adaptive.validateBlock(largeBlock, 1)).lines, 3000);
    assert.equal(largeBlock.buffer.byteLength, 0, 'handed to a worker');
    assert.equal(adaptive.threads, 1);
    await adaptive.close();
  });

  it('asks for its size when the first large input arrives, and with 0 validates everything here', async () => {
    const body = Buffer.from(texts.join('\n'));
    const inline = await inlineValidation(defaultCatalog()).validateBlock(Buffer.from(body), 1);
    let asked = 0;
    const none = adaptiveValidation(defaultCatalog(), {
      size: () => {
        asked++;
        return 0;
      },
    });
    await none.validate(texts.slice(0, 10), lines.slice(0, 10));
    assert.equal(asked, 0, 'not for a small input');
    const block = Buffer.from(new ArrayBuffer(body.length));
    block.set(body);
    assert.deepEqual(await none.validateBlock(block, 1), inline);
    await none.validateBlock(Buffer.from(body), 1);
    assert.equal(block.length, body.length, 'validated here, not handed to a worker');
    assert.equal(asked, 1);
    assert.equal(none.threads, 0);
    await none.close();
  });
});
