/**
 * A file ingested as raw blocks (split, decoded and validated in workers) ends
 * up exactly as the same file ingested line by line: the same records in the
 * same partitions and order, the same rejections and dead letters.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { EventLog } from '../event-log/event-log.ts';
import { loadCatalog } from '../schemas/index.ts';
import { openEventLogs } from '../service/pipeline.ts';
import { fuzzCases, overlongLine } from '../test-support/fuzz.ts';
import { tempDir, testConfig } from '../test-support/temp.ts';
import { createIngestor, type Rejection } from './accept.ts';
import { parseDeadLetter } from './dead-letters.ts';
import { MAX_LINE_BYTES, readLineBlocks, readLines } from './lines.ts';
import { createValidationPool } from './validation/index.ts';

async function contents(log: EventLog) {
  const out: [number, string, string, Record<string, string>][] = [];
  for (let p = 0; p < (await log.partitionCount()); p++) {
    for (const r of await log.read(p, 0, 1_000_000)) out.push([p, r.key, r.value.toString('utf8'), { ...r.headers }]);
  }
  return out;
}

async function* chunks(body: Buffer, size: number) {
  for (let p = 0; p < body.length; p += size) yield body.subarray(p, p + size);
}

describe('ingestBlock', () => {
  const tmp = tempDir();
  const pool = createValidationPool({ size: 2 });
  const opened: { log: EventLog; deadLetters: EventLog }[] = [];
  after(async () => {
    await pool.close();
    for (const logs of opened) await Promise.all([logs.log.close(), logs.deadLetters.close()]);
    tmp.cleanup();
  });

  async function open(name: string) {
    const logs = await openEventLogs(testConfig(`${tmp.dir}/${name}`, { log: { fsync: false } }));
    opened.push(logs);
    return logs;
  }

  it('stores and rejects exactly what ingestLines does, blocks in flight at once', async () => {
    const parts = [
      ...fuzzCases(3000, 41).map((c) => c.bytes),
      Buffer.from('\uFEFF{"id":"x"}\r'),
      Buffer.from('x'.repeat(MAX_LINE_BYTES + 1)),
      overlongLine(6).bytes,
      Buffer.from(''),
    ];
    const body = Buffer.concat(parts.flatMap((b) => [b, Buffer.from('\n')]));
    const catalog = loadCatalog();

    const byLine = await open('lines');
    const lines = [];
    for await (const { bytes: _bytes, ...line } of readLines(chunks(body, body.length))) lines.push(line);
    const expected = await createIngestor({ ...byLine, catalog }).ingestLines(lines, 'file:x.ndjson');

    const byBlock = await open('blocks');
    const ingestor = createIngestor({ ...byBlock, catalog, validation: pool });
    const work = [];
    for await (const block of readLineBlocks(chunks(body, 64 * 1024), 256 * 1024)) {
      work.push(block.bytes ? ingestor.ingestBlock(block.bytes, block.firstLine, 'file:x.ndjson') : ingestor.ingestLines([block.line], 'file:x.ndjson'));
    }
    assert.ok(work.length >= 4, `${work.length} blocks`);
    const results = await Promise.all(work);

    const rejected = results.flatMap((r) => r.rejected);
    const strip = (r: Rejection) => ({ line: r.line, reason: r.reason, errors: r.errors });
    assert.equal(
      results.reduce((n, r) => n + r.accepted, 0),
      expected.accepted,
    );
    assert.deepEqual(rejected.map(strip), expected.rejected.map(strip));
    assert.equal(
      results.reduce((n, r) => n + ('lines' in r ? r.lines : 1), 0),
      lines.length,
    );
    assert.ok(expected.accepted > 1000 && expected.rejected.length > 500);
    assert.deepEqual(
      rejected.slice(-3).map((r) => [r.line, r.reason]),
      [
        [
          3001,
          'id: must be a UUID or a ULID (got "x"); type: required (expected an event type (known: suspension.waived, disconnection.deferred, late_fee.waived, online.transaction, repair.reported, repair.dispatched, repair.arrived, repair.completed)); schema_version: required (expected an integer ≥ 1); occurred_at: required (expected an ISO-8601 date-time with an offset, e.g. 2020-01-24T08:00:00+08:00); org: required (expected an org code (known: sgcc, sgcc-sh, csg, csg-gd, csg-sz, china-telecom, china-unicom, china-mobile, cr-gas)); region: required (expected a 6-digit GB/T 2260 code such as 310000, as a string); source: required (expected a non-empty string of at most 128 characters); data: required (expected an object)',
        ],
        [3002, `$: line of ${MAX_LINE_BYTES + 1} bytes is longer than ${MAX_LINE_BYTES} (an event is at most a few KiB); only its first 4096 bytes were kept`],
        [3003, `$: line of ${overlongLine(6).bytes.length} bytes is longer than ${MAX_LINE_BYTES} (an event is at most a few KiB); only its first 4096 bytes were kept`],
      ],
    );

    assert.deepEqual(await contents(byBlock.log), await contents(byLine.log));
    const letters = async (log: EventLog) => (await log.read(0, 0, 1_000_000)).map(parseDeadLetter).map((d) => [d.line, d.origin, d.reason, d.raw]);
    assert.deepEqual(await letters(byBlock.deadLetters), await letters(byLine.deadLetters));
  });
});
