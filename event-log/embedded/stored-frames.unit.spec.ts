import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkFrame, FRAME_OK, newFrameInfo, prepareRecord, writeFrame } from './record-format.ts';
import { StoredFrames } from './stored-frames.ts';

/** Frames written one after another into one buffer, as a segment holds them. */
function chunk(records: { key: string; value: string; headers?: Record<string, string> }[], firstOffset: number): Buffer {
  const prepared = records.map((r) => prepareRecord(r.key, r.value, r.headers));
  const buf = Buffer.alloc(prepared.reduce((n, p) => n + p.size, 0));
  let at = 0;
  prepared.forEach((p, i) => (at = writeFrame(buf, at, p, firstOffset + i, 1_700_000_000_000 + i)));
  return buf;
}

function stored(chunks: Buffer[], recycle?: (chunk: Buffer) => void): StoredFrames {
  const frames = new StoredFrames(3, recycle);
  const info = newFrameInfo();
  for (const buf of chunks) {
    for (let at = 0; at < buf.length; at += info.size) {
      assert.equal(checkFrame(buf, at, buf.length, info), FRAME_OK);
      frames.add(buf, at, info);
    }
  }
  return frames;
}

describe('stored frames', () => {
  const validated = { 'continuity-validated': '1' };
  const frames = stored([
    chunk(
      [
        { key: 'a', value: '{"n":1}', headers: validated },
        { key: 'b', value: '{"n":2}', headers: validated },
        { key: '', value: 'plain' },
      ],
      10,
    ),
    chunk(
      [
        { key: '键', value: '{"名":"值"}', headers: { 来源: '网上国网', 'continuity-validated': '1' } },
        { key: 'c', value: '{"n":5}', headers: validated },
      ],
      13,
    ),
  ]);

  it('scan visits every value where it lies, with the same offsets, timestamps and headers as the decoded records', () => {
    const seen: unknown[] = [];
    frames.scan((buf, start, end, index, offset, timestamp, headers) => seen.push({ index, offset, timestamp, value: buf.toString('utf8', start, end), headers: { ...headers } }));
    const records = frames.records().map((r, index) => ({ index, offset: r.offset, timestamp: r.timestamp, value: r.value.toString('utf8'), headers: { ...r.headers } }));
    assert.deepEqual(seen, records);
    assert.deepEqual(
      records.map((r) => [r.offset, r.value, r.headers]),
      [
        [10, '{"n":1}', validated],
        [11, '{"n":2}', validated],
        [12, 'plain', {}],
        [13, '{"名":"值"}', { 来源: '网上国网', 'continuity-validated': '1' }],
        [14, '{"n":5}', validated],
      ],
    );
    assert.equal(frames.length, 5);
    assert.equal(frames.lastOffset, 14);
    assert.deepEqual(
      frames.records().map((r) => [r.partition, r.key]),
      [
        [3, 'a'],
        [3, 'b'],
        [3, ''],
        [3, '键'],
        [3, 'c'],
      ],
    );
  });

  it('scans a slice [from, to) of the batch, across chunks, and tells how many records it holds', () => {
    const slice = (from?: number, to?: number) => {
      const seen: string[] = [];
      const total = frames.scan((buf, start, end, index, offset) => seen.push(`${index}:${offset}:${buf.toString('utf8', start, end)}`), from, to);
      return { total, seen };
    };
    assert.deepEqual(slice(1, 4), { total: 5, seen: ['1:11:{"n":2}', '2:12:plain', '3:13:{"名":"值"}'] });
    assert.deepEqual(slice(4, 4096), { total: 5, seen: ['4:14:{"n":5}'] });
    assert.deepEqual(slice(5, 10), { total: 5, seen: [] });
    assert.equal(slice().seen.length, 5);
  });

  it('hands one frozen headers object to records whose header bytes are the same', () => {
    const records = frames.records();
    assert.equal(records[0].headers, records[1].headers);
    assert.ok(Object.isFrozen(records[0].headers));
    assert.notEqual(records[3].headers, records[4].headers);
    assert.deepEqual(records[4].headers, validated);
  });

  it('lets its buffers go when released, after which its records are not to be read', () => {
    const own = stored([chunk([{ key: 'a', value: '{"n":1}' }], 0)]);
    let copied = '';
    own.scan((buf, start, end) => (copied = buf.toString('utf8', start, end)));
    own.release();
    assert.equal(copied, '{"n":1}');
    assert.equal(own.lastOffset, 0);
    assert.throws(() => own.records(), /read after the batch was released/);
    assert.throws(() => own.scan(() => {}), /scan after the batch was released/);
  });

  it('gives its chunks back for later reads only when no record was made of them', () => {
    const chunks = [chunk([{ key: 'a', value: '{"n":1}' }], 0), chunk([{ key: 'b', value: '{"n":2}' }], 1)];
    const givenBack: Buffer[] = [];
    const scanned = stored(chunks, (c) => givenBack.push(c));
    scanned.scan(() => {});
    scanned.release();
    assert.deepEqual(givenBack, chunks);
    scanned.release();
    assert.equal(givenBack.length, 2, 'given back once');

    givenBack.length = 0;
    const decoded = stored(chunks, (c) => givenBack.push(c));
    const [record] = decoded.records();
    decoded.release();
    assert.equal(givenBack.length, 0, 'a record may still be held: its chunk is left to the collector');
    assert.equal(record.value.toString(), '{"n":1}');
  });

  it('is empty before anything is added', () => {
    const empty = new StoredFrames(0);
    assert.equal(empty.length, 0);
    assert.equal(empty.lastOffset, -1);
    assert.deepEqual(empty.records(), []);
  });
});
