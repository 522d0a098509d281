import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
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

  it('writes the documented bytes, with key and headers encoded once and shared', () => {
    const headers = Object.freeze({ 'continuity-validated': '1' });
    const value = Buffer.from('{"id":"e"}');
    const a = frame('sgcc-sh:310000', value, headers, 7, 0x0102030405);
    // version | u64 offset | u64 timestamp | u32 key length | key | u16 header count | u16 name length | name | u32 value length | value | u32 value length | value
    const body = Buffer.concat([
      Buffer.from([1, 7, 0, 0, 0, 0, 0, 0, 0, 0x05, 0x04, 0x03, 0x02, 0x01, 0, 0, 0, 14, 0, 0, 0]),
      Buffer.from('sgcc-sh:310000'),
      Buffer.from([1, 0, 20, 0]),
      Buffer.from('continuity-validated'),
      Buffer.from([1, 0, 0, 0]),
      Buffer.from('1'),
      Buffer.from([10, 0, 0, 0]),
      value,
    ]);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(body.length, 0);
    head.writeUInt32LE(crc32(body), 4);
    assert.deepEqual(a, Buffer.concat([head, body]));
    assert.equal(body.length, 78);
    // The second record of the key and headers gets the very same parts, not a copy.
    const first = prepareRecord('sgcc-sh:310000', value, headers);
    const second = prepareRecord('sgcc-sh:310000', 'x', headers);
    assert.equal(second.keyPart, first.keyPart);
    assert.equal(second.headerPart, first.headerPart);
    assert.equal(second.size, a.length - 9);
  });

  it('encodes a headers object that is not frozen anew each time, so changing it between records is seen', () => {
    const headers: Record<string, string> = { h: 'one' };
    const one = frame('k', 'v', headers, 1, 1);
    headers.h = 'three';
    const three = frame('k', 'v', headers, 1, 1);
    const info = newFrameInfo();
    assert.equal(checkFrame(three, 0, three.length, info), FRAME_OK);
    assert.deepEqual(decodeFrame(one, 0, 0, info).headers, { h: 'one' });
    assert.deepEqual(decodeFrame(three, 0, 0, info).headers, { h: 'three' });
    assert.equal(three.length, one.length + 2);
  });

  it('writes any number of distinct keys correctly, past the count it keeps encoded', () => {
    const info = newFrameInfo();
    for (let i = 0; i < 10_000; i += 1) {
      const key = i % 3 === 0 ? `org-${i}:区域` : `org-${i}:${i % 7}`;
      const buf = frame(key, String(i), undefined, i, i);
      assert.equal(checkFrame(buf, 0, buf.length, info), FRAME_OK);
      const r = decodeFrame(buf, 0, 0, info);
      assert.equal(r.key, key);
      assert.equal(r.value.toString(), String(i));
    }
  });

  it('refuses records the format cannot hold', () => {
    assert.throws(() => prepareRecord(undefined as unknown as string, 'v', undefined), TypeError);
    assert.throws(() => prepareRecord('k', 42 as unknown as string, undefined), TypeError);
    assert.throws(() => prepareRecord('k', 'v', { h: 1 as unknown as string }), TypeError);
    assert.throws(() => prepareRecord('k', Buffer.alloc(MAX_BODY_BYTES), undefined), RangeError);
  });
});
