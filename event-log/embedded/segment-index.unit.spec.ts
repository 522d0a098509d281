import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIndex, serializeIndex, SparseIndex } from './segment-index.ts';

function sample(): SparseIndex {
  const index = new SparseIndex();
  // Entries every ~100 bytes; timestamps repeat as they do within one append.
  for (let i = 0; i < 200; i++) index.add(1000 + i * 3, i * 100 + 17, 5000 + Math.floor(i / 2));
  return index;
}

describe('sparse segment index', () => {
  it('finds the last entry at or before an offset', () => {
    const index = sample();
    assert.equal(index.floorByOffset(999), -1);
    assert.equal(index.floorByOffset(1000), 0);
    assert.equal(index.floorByOffset(1002), 0);
    assert.equal(index.floorByOffset(1003), 1);
    assert.equal(index.floorByOffset(1000 + 199 * 3), 199);
    assert.equal(index.floorByOffset(10 ** 9), 199);
    assert.equal(new SparseIndex().floorByOffset(5), -1);
  });

  it('finds the last entry strictly before a timestamp', () => {
    const index = sample();
    assert.equal(index.lastBeforeTimestamp(5000), -1);
    assert.equal(index.lastBeforeTimestamp(5001), 1);
    assert.equal(index.lastBeforeTimestamp(5050), 99);
    assert.equal(index.lastBeforeTimestamp(6000), 199);
  });

  it('drops entries after a truncation', () => {
    const index = sample();
    index.truncate(10);
    assert.equal(index.count, 10);
    assert.equal(index.floorByOffset(10 ** 9), 9);
    index.add(7, 8, 9);
    assert.deepEqual([index.offset(10), index.position(10), index.timestamp(10)], [7, 8, 9]);
  });

  it('round-trips through its file format', () => {
    const summary = { baseOffset: 1000, nextOffset: 1600, segmentBytes: 20_123, firstTimestamp: 5000, lastTimestamp: 5099, index: sample() };
    const parsed = parseIndex(serializeIndex(summary));
    assert.ok(parsed);
    assert.deepEqual({ ...parsed, index: undefined }, { ...summary, index: undefined });
    assert.equal(parsed.index.count, 200);
    for (let i = 0; i < 200; i++) {
      assert.deepEqual(
        [parsed.index.offset(i), parsed.index.position(i), parsed.index.timestamp(i)],
        [summary.index.offset(i), summary.index.position(i), summary.index.timestamp(i)],
      );
    }
  });

  it('rejects a damaged file so that it is rebuilt', () => {
    const bytes = serializeIndex({ baseOffset: 0, nextOffset: 600, segmentBytes: 20_000, firstTimestamp: 1, lastTimestamp: 2, index: sample() });
    for (const i of [0, 4, 9, 50, bytes.length - 5, bytes.length - 1]) {
      const damaged = Buffer.from(bytes);
      damaged[i] ^= 0x10;
      assert.equal(parseIndex(damaged), null, `byte ${i}`);
    }
    assert.equal(parseIndex(bytes.subarray(0, bytes.length - 1)), null);
    assert.equal(parseIndex(Buffer.alloc(0)), null);
  });
});
