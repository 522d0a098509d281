/**
 * Dead letters re-driven after a fix, against the real chDB engine and the
 * embedded log: valid ones counted once however often they are re-driven,
 * invalid ones kept with their new reason.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { abandonReplay, startReplay, tableChecksum } from '../../processors/replay/index.ts';
import { loadCatalog } from '../../schemas/index.ts';
import { openPipeline, type Pipeline, type Processors } from '../../service/pipeline.ts';
import { tempDir, testConfig } from '../../test-support/temp.ts';
import { countDeadLetters, listDeadLetters, REDRIVE_HEADER, redriveDeadLetters, showDeadLetter } from './index.ts';

const BEIJING = { code: 'sgcc-bj', name_zh: '国网北京市电力公司', name_en: 'State Grid Beijing Electric Power Company', sector: 'power', parent: 'sgcc' };

function event(n: number, extra: Record<string, unknown> = {}) {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type: 'suspension.waived',
    schema_version: 2,
    occurred_at: `2020-02-0${(n % 9) + 1}T20:00:00+08:00`,
    org: 'sgcc-bj',
    region: '110000',
    quantity: 100 * n,
    source: 'sgcc-bj-marketing',
    data: { service: 'power', beneficiary: 'resident' },
    ...extra,
  };
}

describe('dead letters: re-drive after a fix', () => {
  const tmp = tempDir();
  let pipeline: Pipeline;
  let processors: Processors;
  const orgsFile = `${tmp.dir}/orgs.json`;

  async function totals() {
    await processors.untilIdle();
    const [row] = await pipeline.warehouse.rows<{ rows: string; quantity: string }>(
      "SELECT toString(count()) AS rows, toString(sum(quantity)) AS quantity FROM events WHERE org = 'sgcc-bj'",
    );
    return { rows: Number(row.rows), quantity: Number(row.quantity) };
  }

  before(async () => {
    writeFileSync(orgsFile, JSON.stringify([BEIJING]));
    pipeline = await openPipeline(testConfig(`${tmp.dir}/data`, { log: { fsync: false } }), { purpose: 'test' });
    processors = await pipeline.startProcessors();
    // A batch of bad lines: four from an org the catalog does not know yet, one
    // that also has a region that does not exist, and a line that is not JSON.
    const lines = [1, 2, 3, 4].map((n) => JSON.stringify(event(n)));
    lines.push(JSON.stringify(event(5, { region: '999999' })), '{"id": broken');
    const result = await pipeline.ingestor.ingestLines(
      lines.map((text, i) => ({ line: i + 1, text })),
      'file:bad.ndjson',
    );
    assert.equal(result.accepted, 0);
    assert.equal(result.rejected.length, 6);
    await processors.untilIdle();
  });

  after(async () => {
    await pipeline?.close();
    tmp.cleanup();
  });

  it('lists the batch as open letters with their reasons', async () => {
    const letters = await listDeadLetters(pipeline.warehouse);
    assert.equal(letters.length, 6);
    assert.ok(letters.every((l) => l.status === 'open' && l.origin === 'file:bad.ndjson' && l.redrives === 0));
    assert.deepEqual(
      letters.map((l) => l.line).sort(),
      [1, 2, 3, 4, 5, 6],
    );
    assert.match(letters.find((l) => l.line === 5)!.reason, /^org: unknown org "sgcc-bj".*; region: unknown region code "999999"/);
    assert.deepEqual(await countDeadLetters(pipeline.warehouse), { open: 6, failing: 0, redriven: 0, resolved: 0 });
  });

  it('a re-drive before the fix changes nothing but marks the letters failing', async () => {
    const report = await redriveDeadLetters({ log: pipeline.log, warehouse: pipeline.warehouse, catalog: pipeline.catalog });
    assert.deepEqual([report.selected, report.appended, report.duplicates, report.failing.length], [6, 0, 0, 6]);
    assert.deepEqual(await totals(), { rows: 0, quantity: 0 });
    assert.deepEqual(await countDeadLetters(pipeline.warehouse), { open: 0, failing: 6, redriven: 0, resolved: 0 });
  });

  it('after the fix (the org added to the catalog), valid letters are loaded once; the others stay with their new reason', async () => {
    // The fix is deployed: the pipeline restarts with the extended catalog, so
    // the processors accept what the re-drive accepts.
    await pipeline.close();
    pipeline = await openPipeline(testConfig(`${tmp.dir}/data`, { log: { fsync: false }, orgCatalogFile: orgsFile }), { purpose: 'test' });
    processors = await pipeline.startProcessors();
    const fixed = pipeline.catalog;
    assert.ok(fixed.orgCodes.includes('sgcc-bj'));
    const dry = await redriveDeadLetters({ log: pipeline.log, warehouse: pipeline.warehouse, catalog: fixed }, { dryRun: true });
    assert.deepEqual([dry.appended, dry.failing.length], [4, 2]);
    assert.deepEqual(await countDeadLetters(pipeline.warehouse), { open: 0, failing: 6, redriven: 0, resolved: 0 }, 'a dry run records nothing');

    const endBefore = (await pipeline.log.endOffsets()).reduce((a, b) => a + b, 0);
    const report = await redriveDeadLetters({ log: pipeline.log, warehouse: pipeline.warehouse, catalog: fixed });
    assert.deepEqual([report.selected, report.appended, report.duplicates, report.failing.length], [6, 4, 0, 2]);
    assert.equal((await pipeline.log.endOffsets()).reduce((a, b) => a + b, 0), endBefore + 4);

    assert.deepEqual(await totals(), { rows: 4, quantity: 100 + 200 + 300 + 400 });
    assert.deepEqual(await countDeadLetters(pipeline.warehouse), { open: 0, failing: 2, redriven: 0, resolved: 4 });
    // Letters of one request share their time; their order is by id, so sort by line here.
    const failing = (await listDeadLetters(pipeline.warehouse, { status: ['failing'] })).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    assert.deepEqual(
      failing.map((l) => [l.line, l.reason]),
      [
        [5, 'region: unknown region code "999999" (expected a 6-digit GB/T 2260 code such as 310000)'],
        [6, failing[1].original_reason],
      ],
    );
    assert.match(failing[1].reason, /^\$: not valid JSON/);

    // Traceable both ways: the letter names its event and where it went, the log record names its letter.
    const resolved = (await listDeadLetters(pipeline.warehouse, { status: ['resolved'] })).find((l) => l.line === 1)!;
    const shown = await showDeadLetter(pipeline.warehouse, resolved.id);
    assert.equal(shown.event_id, event(1).id);
    assert.deepEqual(
      shown.history.map((h) => h.outcome),
      ['failing', 'appended'],
    );
    const { log_partition, log_offset } = shown.history[1];
    const [record] = await pipeline.log.read(log_partition!, log_offset!, 1);
    assert.equal(record.headers[REDRIVE_HEADER], resolved.id);
    assert.equal(JSON.parse(record.value.toString()).id, event(1).id);
  });

  it('re-driving again, forced, counts the events once', async () => {
    const fixed = loadCatalog({ extraOrgsFile: orgsFile });
    assert.deepEqual(fixed.orgCodes, pipeline.catalog.orgCodes);
    const again = await redriveDeadLetters({ log: pipeline.log, warehouse: pipeline.warehouse, catalog: fixed });
    assert.deepEqual([again.selected, again.appended, again.failing.length], [2, 0, 2], 'only the failing letters are eligible');

    const ids = (await listDeadLetters(pipeline.warehouse, { status: ['resolved'] })).map((l) => l.id);
    const skipped = await redriveDeadLetters({ log: pipeline.log, warehouse: pipeline.warehouse, catalog: fixed }, { ids });
    assert.deepEqual([skipped.selected, skipped.skipped.length], [0, 4]);
    const forced = await redriveDeadLetters({ log: pipeline.log, warehouse: pipeline.warehouse, catalog: fixed }, { ids: [...ids, 'no-such-letter'], force: true });
    assert.deepEqual([forced.selected, forced.appended, forced.duplicates, forced.missing], [4, 0, 4, ['no-such-letter']]);
    assert.deepEqual(await totals(), { rows: 4, quantity: 1000 });
    assert.deepEqual(await countDeadLetters(pipeline.warehouse), { open: 0, failing: 2, redriven: 0, resolved: 4 });
  });

  it('a replay with a catalog that lacks the fix stops before the swap: rows would vanish; its rejections are dead letters, kept once', async () => {
    await processors.stop();
    const live = await tableChecksum(pipeline.warehouse, 'events');
    const letters = async () => (await listDeadLetters(pipeline.warehouse, { origin: `processor:${pipeline.log.topic}`, limit: 1000 })).length;
    const unfixed = { log: pipeline.log, deadLetters: pipeline.deadLetters, warehouse: pipeline.warehouse, catalog: loadCatalog() };
    for (let round = 1; round <= 2; round++) {
      const stopped = await startReplay(unfixed, { tables: ['events', 'dead_letters'] });
      assert.equal(stopped.status, 'building');
      assert.match(stopped.message, /^not swapped: events would go from 4 to 0 rows/);
      assert.deepEqual(await tableChecksum(pipeline.warehouse, 'events'), live);
      await abandonReplay(unfixed, stopped.id);
      processors = await pipeline.startProcessors();
      await processors.untilIdle();
      await processors.stop();
      // The four sgcc-bj records the replay rejected: one letter each, however often replayed.
      assert.equal(await letters(), 4, `round ${round}`);
    }
    const swapped = await startReplay({ ...unfixed, catalog: pipeline.catalog });
    assert.equal(swapped.status, 'swapped');
    assert.deepEqual(await tableChecksum(pipeline.warehouse, 'events'), live);
    processors = await pipeline.startProcessors();
  });
});
