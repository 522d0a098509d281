import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFrame, FRAME_OK, newFrameInfo, prepareRecord, writeFrame } from './record-format.ts';
import { frameChecksumsMatch } from './frame-checksums.ts';

/** A run of frames with values of many lengths (some multi-byte, one empty). */
function run(count: number, valueBytes: (i: number) => number = (i) => (i * 37) % 700): Buffer {
  const parts = Array.from({ length: count }, (_, i) => {
    const value = i % 5 === 0 ? '停'.repeat(valueBytes(i) / 3) : 'v'.repeat(valueBytes(i));
    const prepared = prepareRecord(`key-${i % 3}`, value, i % 2 === 0 ? { 'continuity-validated': '1' } : undefined);
    const buf = Buffer.alloc(prepared.size);
    writeFrame(buf, 0, prepared, 1_000 + i, 1_700_000_000_000 + i);
    return buf;
  });
  return Buffer.concat(parts);
}

/** Start of each frame of a run. */
function frameStarts(buf: Buffer): number[] {
  const starts: number[] = [];
  for (let at = 0; at < buf.length; at += 8 + buf.readUInt32LE(at)) starts.push(at);
  return starts;
}

describe('checksums of a run of frames', () => {
  it('match for intact frames, for an empty run, and for any run of whole frames inside a larger buffer', () => {
    const buf = run(40);
    assert.equal(frameChecksumsMatch(buf, 0, buf.length), true);
    assert.equal(frameChecksumsMatch(buf, 0, 0), true);
    const starts = frameStarts(buf);
    assert.equal(frameChecksumsMatch(buf, starts[3], starts[17]), true);
    assert.equal(frameChecksumsMatch(buf, starts[39], buf.length), true);
  });

  it('fail when any one bit of any frame is flipped: in a length, a checksum or a body', () => {
    const intact = run(12);
    const starts = frameStarts(intact);
    let checked = 0;
    for (let at = 0; at < intact.length; at++) {
      const damaged = Buffer.from(intact);
      damaged[at] ^= 1 << at % 8;
      // A flipped length moves the frame boundaries; the run is then checked as far as it still tiles.
      const inLength = starts.some((s) => at >= s && at < s + 4);
      if (inLength) continue;
      assert.equal(frameChecksumsMatch(damaged, 0, damaged.length), false, `bit ${at % 8} of byte ${at}`);
      checked++;
    }
    assert.equal(checked, intact.length - 4 * starts.length);
  });

  it('agree with the frame-by-frame check on which runs are intact', () => {
    const intact = run(30);
    const starts = frameStarts(intact);
    const info = newFrameInfo();
    for (const s of starts) {
      const damaged = Buffer.from(intact);
      damaged[s + 40] ^= 0x10;
      const oneByOne = starts.every((f) => checkFrame(damaged, f, damaged.length, info) === FRAME_OK);
      assert.equal(oneByOne, false);
      assert.equal(frameChecksumsMatch(damaged, 0, damaged.length), oneByOne);
    }
  });

  it('fail when two frames are damaged', () => {
    const damaged = run(20);
    const starts = frameStarts(damaged);
    damaged[starts[4] + 30] ^= 0x01;
    damaged[starts[15] + 30] ^= 0x01;
    assert.equal(frameChecksumsMatch(damaged, 0, damaged.length), false);
  });

  it('check bodies of every length, past the lengths it keeps tables for', () => {
    // Thousands of distinct lengths, and bodies over 1 MiB, take the untabled path.
    const many = run(5_000, (i) => i);
    assert.equal(frameChecksumsMatch(many, 0, many.length), true);
    const large = run(2, () => (1 << 20) + 333);
    assert.equal(frameChecksumsMatch(large, 0, large.length), true);
    large[large.length - 1] ^= 0x80;
    assert.equal(frameChecksumsMatch(large, 0, large.length), false);
  });
});
