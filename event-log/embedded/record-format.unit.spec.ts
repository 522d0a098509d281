import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BODY_FIXED_BYTES,
  checkFrame,
  decodeFrame,
  FRAME_CORRUPT,
  FRAME_HEADER_BYTES,
  FRAME_INCOMPLETE,
  FRAME_OK,
  MAX_BODY_BYTES,
  newFrameInfo,
  prepareRecord,
  writeFrame,
} from './record-format.ts';

function frame(key: string, value: Buffer | string, headers: Record<string, string> | undefined, offset: number, timestamp: number): Buffer {
  const prepared = prepareRecord(key, value, headers);
  const buf = Buffer.alloc(prepared.size);
  assert.equal(writeFrame(buf, 0, prepared, offset, timestamp), prepared.size);
  return buf;
}

describe('record framing', () => {
  it('round-trips offset, timestamp, key, headers and value', () => {
    const big = 2 ** 40 + 7;
    const buf = frame('sgcc-sh:310000', Buffer.from([0, 255, 10, 13]), { 'content-type': 'application/json', 来源: '网上国网' }, big, 1_700_000_000_123);
    const info = newFrameInfo();
    assert.equal(checkFrame(buf, 0, buf.length, info), FRAME_OK);
    assert.equal(info.size, buf.length);
    assert.deepEqual(decodeFrame(buf, 0, 3, info), {
      partition: 3,
      offset: big,
      timestamp: 1_700_000_000_123,
      key: 'sgcc-sh:310000',
      value: Buffer.from([0, 255, 10, 13]),
      headers: { 'content-type': 'application/json', 来源: '网上国网' },
    });
  });

  it('sizes a frame as header, fixed body part and the UTF-8 bytes of its fields', () => {
    assert.equal(prepareRecord('k', '欠费不停电', undefined).size, FRAME_HEADER_BYTES + BODY_FIXED_BYTES + 1 + 15);
    assert.equal(prepareRecord('', '', { a: 'bc' }).size, FRAME_HEADER_BYTES + BODY_FIXED_BYTES + 2 + 1 + 4 + 2);
  });

  it('decodes frames written back to back, and empty keys and values', () => {
    const parts = [frame('a', 'one', undefined, 5, 1), frame('', '', undefined, 6, 2), frame('c', 'three', { h: '' }, 7, 3)];
    const buf = Buffer.concat(parts);
    const info = newFrameInfo();
    const out = [];
    for (let at = 0; at < buf.length; at += info.size) {
      assert.equal(checkFrame(buf, at, buf.length, info), FRAME_OK);
      out.push(decodeFrame(buf, at, 0, info));
    }
    assert.deepEqual(
      out.map((r) => [r.offset, r.timestamp, r.key, r.value.toString(), r.headers]),
      [
        [5, 1, 'a', 'one', {}],
        [6, 2, '', '', {}],
        [7, 3, 'c', 'three', { h: '' }],
      ],
    );
  });

  it('reports every cut-short frame as incomplete, never as a record', () => {
    const buf = frame('key', 'a value of some length', { x: 'y' }, 42, 99);
    const info = newFrameInfo();
    for (let end = 0; end < buf.length; end++) {
      assert.equal(checkFrame(buf, 0, end, info), FRAME_INCOMPLETE, `cut at ${end}`);
      assert.equal(info.size, end < FRAME_HEADER_BYTES ? FRAME_HEADER_BYTES : buf.length);
    }
  });

  it('never accepts a frame with any single bit flipped', () => {
    const clean = frame('org:region', '{"id":"x","quantity":1}', { k: 'v' }, 1234, 5678);
    const info = newFrameInfo();
    for (let i = 0; i < clean.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const buf = Buffer.from(clean);
        buf[i] ^= 1 << bit;
        assert.notEqual(checkFrame(buf, 0, buf.length, info), FRAME_OK, `byte ${i} bit ${bit}`);
      }
    }
  });

  it('names what is wrong with a corrupt frame', () => {
    const info = newFrameInfo();
    assert.equal(checkFrame(Buffer.alloc(64), 0, 64, info), FRAME_CORRUPT);
    assert.equal(info.reason, 'bad record length 0');
    const huge = Buffer.alloc(64);
    huge.writeUInt32LE(MAX_BODY_BYTES + 1, 0);
    assert.equal(checkFrame(huge, 0, 64, info), FRAME_CORRUPT);
    assert.equal(info.reason, `bad record length ${MAX_BODY_BYTES + 1}`);
    const flipped = frame('k', 'value', undefined, 0, 0);
    flipped[flipped.length - 1] ^= 1;
    assert.equal(checkFrame(flipped, 0, flipped.length, info), FRAME_CORRUPT);
    assert.equal(info.reason, 'checksum mismatch');
  });

  it('refuses records the format cannot hold', () => {
    assert.throws(() => prepareRecord(undefined as unknown as string, 'v', undefined), TypeError);
    assert.throws(() => prepareRecord('k', 42 as unknown as string, undefined), TypeError);
    assert.throws(() => prepareRecord('k', 'v', { h: 1 as unknown as string }), TypeError);
    assert.throws(() => prepareRecord('k', Buffer.alloc(MAX_BODY_BYTES), undefined), RangeError);
  });
});
