import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RowPack } from './row-pack.ts';

const at = (offset: number) => ({ partition: 3, offset, timestamp: Date.parse('2026-01-02T03:04:05.678Z') });

/** A row `{"id":"<id>","n":<i>}` in a buffer with bytes before it, so positions are not zero-based. */
function rowOf(id: string, i: number) {
  const text = `xx{"id":"${id}","n":${i}}yy`;
  const buf = Buffer.from(text);
  const idStart = text.indexOf(id);
  return { buf, start: 2, end: buf.length - 2, idStart, idEnd: idStart + Buffer.byteLength(id) };
}

describe('row pack', () => {
  for (const [sized, expectedRows] of [['grown from empty', 0], ['sized for fewer rows than come', 5_000]] as const) {
    it(`keeps the first row of each id, found by its bytes, whichever way the row came (id table ${sized})`, () => {
      const pack = new RowPack(3, null, 64, expectedRows);
      const ids = Array.from({ length: 20_000 }, (_, i) => `e${(i * 7919).toString(36)}-${i % 13}`);
      ids.forEach((id, i) => {
        const r = rowOf(id, i);
        assert.equal(pack.addBytesUnique(i, at(i), r.idStart, r.idEnd, 1000 + i, r.buf, r.start, r.end, false), true, id);
      });
      // Every id again, as bytes and as a string: all refused, nothing added.
      ids.forEach((id, i) => {
        const r = rowOf(id, -i);
        assert.equal(pack.addBytesUnique(i, at(i), r.idStart, r.idEnd, 0, r.buf, r.start, r.end, false), false, id);
        assert.equal(pack.addUnique(i, at(i), id, 0, `{"id":"${id}"}`, false), false, id);
      });
      assert.equal(pack.length, ids.length);
      assert.deepEqual(pack.ids(), ids);
      assert.equal(pack.row(19_999).toString(), `{"id":"${ids[19_999]}","n":19999}\n`);
      assert.equal(pack.time(5), 1005);
      assert.equal(pack.offset(19_999), 19_999);
    });
  }

  it('tells apart ids that share a prefix, and non-ASCII ids', () => {
    const pack = new RowPack(0, null);
    for (const id of ['abc', 'abcd', 'ab', 'abc-', 'ä1', 'ä2']) assert.equal(pack.addUnique(0, at(1), id, 0, `{"id":"${id}"}`, false), true, id);
    assert.equal(pack.addUnique(0, at(1), 'ä1', 0, '{}', false), false);
    const r = rowOf('abcd', 9);
    assert.equal(pack.addBytesUnique(0, at(2), r.idStart, r.idEnd, 0, r.buf, r.start, r.end, false), false);
    assert.deepEqual(pack.ids(), ['abc', 'abcd', 'ab', 'abc-', 'ä1', 'ä2']);
  });

  it("drops the rows whose ids another pack holds, keeping the rest with their offsets (a partition's next batch)", () => {
    const fill = (ids: string[], first: number) => {
      const pack = new RowPack(3, null);
      ids.forEach((id, i) => {
        const r = rowOf(id, first + i);
        pack.addBytesUnique(i, at(first + i), r.idStart, r.idEnd, 0, r.buf, r.start, r.end, false);
      });
      return pack;
    };
    const earlier = fill(['a', 'ä', 'abc'], 10);
    const next = fill(['ab', 'ä', 'b', 'abc', 'abcd'], 20);
    const kept = next.withoutIdsOf(earlier);
    assert.deepEqual(kept.ids(), ['ab', 'b', 'abcd']);
    assert.deepEqual(kept.offsets, [20, 22, 24]);
    assert.equal(kept.bytes().toString(), [0, 2, 4].map((i) => next.row(i).toString()).join(''));
    // A pack made by dropping rows still knows its ids: the batch after it is checked against it too.
    const after = fill(['b', 'abcd', 'e'], 30);
    assert.deepEqual(after.withoutIdsOf(kept).ids(), ['e']);
    const apart = fill(['c', 'd'], 30);
    assert.equal(apart.withoutIdsOf(earlier), apart, 'nothing in common: the pack itself');
    assert.equal(earlier.hasId(Buffer.from('abc'), 0, 3), true);
    assert.equal(earlier.hasId(Buffer.from('ab'), 0, 2), false);
  });

  it("looks an id up in another pack only within that pack's span of instants; rows or packs without instants always", () => {
    const fill = (rows: [string, number | undefined][], first: number) => {
      const pack = new RowPack(3, null, 64, rows.length);
      rows.forEach(([id, time], i) => {
        const r = rowOf(id, first + i);
        pack.addBytesUnique(i, at(first + i), r.idStart, r.idEnd, time, r.buf, r.start, r.end, false);
      });
      return pack;
    };
    const earlier = fill([['a', 100], ['b', 200], ['c', 300]], 0);
    // 'c' at 400 lies past everything `earlier` holds: a re-sent event keeps its instant, so it is not one of its rows.
    const next = fill([['b', 200], ['c', 400], ['a', 150], ['d', 250], ['e', 50]], 10);
    assert.deepEqual(next.withoutIdsOf(earlier).ids(), ['c', 'd', 'e']);
    const untimed = fill([['a', undefined], ['z', undefined], ['c', undefined]], 20);
    assert.deepEqual(untimed.withoutIdsOf(earlier).ids(), ['z']);
    assert.deepEqual(next.withoutIdsOf(fill([['e', 1], ['a', undefined]], 30)).ids(), ['b', 'c', 'd'], 'a pack with a row without an instant has no span');
    const picked = earlier.pick([0, 1]);
    assert.deepEqual(next.withoutIdsOf(picked).ids(), ['c', 'd', 'e'], 'a picked pack keeps its span and ids');
    assert.deepEqual(fill([['c', 300]], 40).withoutIdsOf(picked).ids(), ['c'], 'its span is its own rows\' (100 to 200)');
  });

  it('adds the log coordinates in place of the closing brace, and picks rows with their ids', () => {
    const pack = new RowPack(3, null);
    for (const [i, id] of ['a', 'b', 'c'].entries()) {
      const r = rowOf(id, i);
      pack.addBytesUnique(i, at(40 + i), r.idStart, r.idEnd, i, r.buf, r.start, r.end, true);
    }
    assert.equal(pack.row(1).toString(), '{"id":"b","n":1,"ingested_at":1767323045678,"log_partition":3,"log_offset":41}\n');
    const picked = pack.pick([0, 2]);
    assert.deepEqual(picked.ids(), ['a', 'c']);
    assert.deepEqual(picked.offsets, [40, 42]);
    assert.equal(picked.bytes().toString(), pack.row(0).toString() + pack.row(2).toString());
  });

  it("gives its rows' instants as lookup windows, worked out again once rows were added, and none when a row has no instant", () => {
    const h = 3_600_000;
    const pack = new RowPack(3, null);
    const add = (id: string, i: number, time: number | undefined) => {
      const r = rowOf(id, i);
      pack.addBytesUnique(i, at(i), r.idStart, r.idEnd, time, r.buf, r.start, r.end, false);
    };
    add('a', 0, 5 * h);
    add('b', 1, 10);
    assert.deepEqual(pack.timeWindows(), [
      [10, 10],
      [5 * h, 5 * h],
    ]);
    assert.equal(pack.timeWindows(), pack.timeWindows(), 'kept');
    add('c', 2, 2 * h);
    assert.deepEqual(pack.timeWindows(), [
      [10, 10],
      [2 * h, 2 * h],
      [5 * h, 5 * h],
    ]);
    assert.deepEqual(pack.pick([1, 2]).timeWindows(), [
      [10, 10],
      [2 * h, 2 * h],
    ]);
    add('d', 3, undefined);
    assert.equal(pack.timeWindows(), null);
  });
});
