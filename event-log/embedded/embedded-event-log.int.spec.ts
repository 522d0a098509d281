import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isContinuityError, type ErrorCode } from '../../errors/registry.ts';
import { eventually } from '../../test-support/safety.ts';
import { testEventLogContract } from '../event-log.contract.ts';
import type { EventLog, LogRecord } from '../event-log.ts';
import { partitionForKey } from '../partitioner.ts';
import type { EmbeddedEventLogOptions } from './config.ts';
import { recordKey, recordValue } from './fixtures/append-until-killed.ts';
import { getEmbeddedEventLog } from './index.ts';
import { prepareRecord } from './record-format.ts';

const root = mkdtempSync(join(tmpdir(), 'continuity-embedded-log-'));
after(() => rmSync(root, { recursive: true, force: true }));

testEventLogContract('embedded', async (topic, o) => getEmbeddedEventLog({ dir: join(root, 'contract'), topic, partitions: o?.partitions, pollIntervalMs: 20 }), {
  memberProcess: () => ({ adapter: 'embedded', options: { dir: join(root, 'contract'), pollIntervalMs: 20, partitions: 4 } }),
});

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/append-until-killed.ts', import.meta.url));
let dirCount = 0;
const freshDir = () => join(root, `case-${++dirCount}`);

function rejectsWith(code: ErrorCode, message?: RegExp) {
  return (error: unknown) => {
    assert.ok(isContinuityError(error, code), `expected ${code}, got ${String(error)}`);
    if (message) assert.match(error.message, message);
    return true;
  };
}

/** Opens a log and collects its warnings. */
async function openLog(options: EmbeddedEventLogOptions): Promise<{ log: EventLog; warnings: string[] }> {
  const warnings: string[] = [];
  const log = getEmbeddedEventLog({ pollIntervalMs: 20, ...options, onWarning: (m) => warnings.push(m) });
  await log.init();
  return { log, warnings };
}

async function readPartition(log: EventLog, partition: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (;;) {
    const records = await log.read(partition, out.length, 1000);
    if (records.length === 0) return out;
    out.push(...records);
  }
}

const segmentPath = (dir: string, topic: string, partition: number, base = 0) => join(dir, topic, `p-${partition}`, `${String(base).padStart(20, '0')}.log`);

function frameSize(key: string, value: string) {
  return prepareRecord(key, value, undefined).size;
}

describe('embedded event log', () => {
  it('keeps every acknowledged record, once and intact, when the writer is killed with SIGKILL mid-stream', { timeout: 30_000 }, async () => {
    const dir = freshDir();
    const topic = 'kill9';
    const partitions = 4;
    const writers = 3;
    const batchSize = 150;
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, topic, String(partitions), String(writers), String(batchSize)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let acks = 0;
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      acks = stdout.split('\n').length - 1;
      if (acks >= 60 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, 'SIGKILL', `the writer should be killed, it exited with ${code}: ${stderr}`);
    const lines = stdout.split('\n');
    lines.pop(); // a line cut by the kill is not an acknowledgement
    const acked = lines.map((l) => JSON.parse(l) as { w: number; b: number; p: Record<string, [number, number]> });
    assert.ok(acked.length >= 60);

    const { log, warnings } = await openLog({ dir, topic, partitions });
    try {
      assert.ok(
        warnings.some((w) => w.includes('took over the lock of process')),
        `the dead writer's lock is taken over: ${warnings.join('; ')}`,
      );
      const stored = await Promise.all(Array.from({ length: partitions }, (_, p) => readPartition(log, p)));
      const byValue = new Map<string, LogRecord>();
      for (const r of stored.flat()) {
        assert.equal(byValue.has(r.value.toString()), false, `value ${r.value.toString().slice(0, 20)} stored twice`);
        byValue.set(r.value.toString(), r);
      }
      let ackedRecords = 0;
      const lastAcked = new Array<number>(writers).fill(-1);
      for (const { w, b, p } of acked) {
        lastAcked[w] = Math.max(lastAcked[w], b);
        const nextInPartition = new Map<number, number>();
        for (let i = 0; i < batchSize; i++) {
          const key = recordKey(w, b, i);
          const partition = partitionForKey(key, partitions);
          const offset = p[partition][0] + (nextInPartition.get(partition) ?? 0);
          nextInPartition.set(partition, offset - p[partition][0] + 1);
          const record = stored[partition][offset];
          assert.ok(record, `acknowledged record ${partition}:${offset} (writer ${w}, batch ${b}) is missing`);
          assert.equal(record.offset, offset);
          assert.equal(record.key, key);
          assert.equal(record.value.toString(), recordValue(w, b, i));
          ackedRecords++;
        }
        for (const [partition, [first, last]] of Object.entries(p)) assert.equal(nextInPartition.get(Number(partition)), last - first + 1);
      }
      // Anything beyond the acknowledged records can only come from the one
      // batch each writer had in flight when it was killed.
      const total = stored.reduce((n, s) => n + s.length, 0);
      assert.equal(acked.length * batchSize, ackedRecords);
      for (const r of stored.flat()) {
        const [, w, b] = /^w(\d+)-b(\d+)-/.exec(r.value.toString())!.map(Number);
        assert.ok(b <= lastAcked[w] + 1, `record of writer ${w} batch ${b} was never in flight`);
      }
      assert.ok(total >= ackedRecords && total <= ackedRecords + writers * batchSize, `${total} records stored, ${ackedRecords} acknowledged`);
      const ends = await log.endOffsets();
      const next = await log.append(Array.from({ length: partitions }, (_, partition) => ({ key: 'after', value: 'after-restart', partition })));
      assert.deepEqual(
        next.map((n) => n.offset),
        ends,
      );
    } finally {
      await log.close();
    }
  });

  describe('recovery of the last segment', () => {
    const cases: { name: string; damage: (path: string, lastStart: number, size: number) => void; reason: RegExp }[] = [
      { name: 'a record torn mid-value', damage: (path, _s, size) => truncateSync(path, size - 5), reason: /short record/ },
      { name: 'a record torn inside its header', damage: (path, lastStart) => truncateSync(path, lastStart + 3), reason: /short record/ },
      {
        name: 'a flipped byte in the last record',
        damage: (path, _s, size) => {
          const bytes = readFileSync(path);
          bytes[size - 10] ^= 0x40;
          writeFileSync(path, bytes);
        },
        reason: /checksum mismatch/,
      },
      {
        name: 'a garbage length in the last record',
        damage: (path, lastStart) => {
          const bytes = readFileSync(path);
          bytes.writeUInt32LE(0xfffffff0, lastStart);
          writeFileSync(path, bytes);
        },
        reason: /bad record length/,
      },
      {
        name: 'zeros after the last record (a file extended but never written)',
        damage: (path) => writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.alloc(4096)])),
        reason: /bad record length 0/,
      },
    ];
    for (const c of cases) {
      it(`cuts ${c.name}, never serves it, and appends on from the right offset`, async () => {
        const dir = freshDir();
        const topic = 'tail';
        const values = Array.from({ length: 10 }, (_, i) => `value-${i}-${'v'.repeat(i * 3)}`);
        let { log } = await openLog({ dir, topic, partitions: 1 });
        for (const value of values) await log.append([{ key: 'k', value }]);
        await log.close();
        const path = segmentPath(dir, topic, 0);
        const size = statSync(path).size;
        const lastStart = values.slice(0, 9).reduce((n, v) => n + frameSize('k', v), 0);
        assert.equal(size, lastStart + frameSize('k', values[9]));
        c.damage(path, lastStart, size);
        const damagedSize = statSync(path).size;
        const intact = c.name.startsWith('zeros') ? 10 : 9;
        const cutAt = c.name.startsWith('zeros') ? size : lastStart;

        const reopened = await openLog({ dir, topic, partitions: 1 });
        log = reopened.log;
        try {
          assert.equal(reopened.warnings.length, 1, reopened.warnings.join('\n'));
          const [warning] = reopened.warnings;
          assert.match(warning, /partition 0/);
          assert.match(warning, new RegExp(`at offset ${intact}:`));
          assert.match(warning, new RegExp(` ${damagedSize - cutAt} bytes from position ${cutAt} `));
          assert.match(warning, c.reason);
          assert.equal(statSync(path).size, cutAt, 'the bad bytes are gone from the file');
          assert.deepEqual(
            (await log.read(0, 0, 100)).map((r) => r.value.toString()),
            values.slice(0, intact),
          );
          assert.deepEqual(await log.endOffsets(), [intact]);
          assert.deepEqual(await log.append([{ key: 'k', value: 'after' }]), [{ partition: 0, offset: intact }]);
        } finally {
          await log.close();
        }
        const again = await openLog({ dir, topic, partitions: 1 });
        try {
          assert.deepEqual(again.warnings, []);
          assert.deepEqual(
            (await readPartition(again.log, 0)).map((r) => r.value.toString()),
            [...values.slice(0, intact), 'after'],
          );
        } finally {
          await again.log.close();
        }
      });
    }

    it('refuses to serve a damaged record of a closed segment', async () => {
      const dir = freshDir();
      const topic = 'closed';
      const { log } = await openLog({ dir, topic, partitions: 1, segmentBytes: 1024 });
      for (let i = 0; i < 30; i++) await log.append([{ key: 'k', value: `value-${i}-${'x'.repeat(60)}` }]);
      await log.close();
      const first = segmentPath(dir, topic, 0);
      const bytes = readFileSync(first);
      bytes[bytes.length - 20] ^= 0x01;
      writeFileSync(first, bytes);
      const reopened = await openLog({ dir, topic, partitions: 1, segmentBytes: 1024 });
      try {
        await assert.rejects(reopened.log.read(0, 0, 100), rejectsWith('CONT_ERR_LOG_CORRUPT', /checksum mismatch/));
        // Records of later segments are still served.
        const later = readdirSync(join(dir, topic, 'p-0')).filter((n) => n.endsWith('.log')).sort()[1];
        const base = Number(later.slice(0, 20));
        assert.equal((await reopened.log.read(0, base, 1))[0].value.toString(), `value-${base}-${'x'.repeat(60)}`);
      } finally {
        await reopened.log.close();
      }
    });
  });

  it('names the damaged record in the middle of a closed segment, and serves the records before it', async () => {
    const dir = freshDir();
    const topic = 'middle';
    const values = Array.from({ length: 40 }, (_, i) => `value-${i}-${'m'.repeat(i * 5)}`);
    // A closed segment: the last one is recovered (cut) on open, never served damaged.
    const { log } = await openLog({ dir, topic, partitions: 1, segmentBytes: 4096 });
    await log.append(values.map((value) => ({ key: 'k', value })));
    await log.close();
    const path = segmentPath(dir, topic, 0);
    const bytes = readFileSync(path);
    assert.ok(bytes.length < values.reduce((n, v) => n + frameSize('k', v), 0), 'the records span more than one segment');
    const damagedStart = values.slice(0, 23).reduce((n, v) => n + frameSize('k', v), 0);
    bytes[damagedStart + frameSize('k', values[23]) - 3] ^= 0x04;
    writeFileSync(path, bytes);
    const reopened = await openLog({ dir, topic, partitions: 1, segmentBytes: 4096 });
    try {
      assert.deepEqual(reopened.warnings, []);
      await assert.rejects(
        reopened.log.read(0, 0, 100),
        rejectsWith('CONT_ERR_LOG_CORRUPT', new RegExp(`record at position ${damagedStart} of .* \\(near offset 23\\) is damaged: checksum mismatch`)),
      );
      assert.deepEqual(
        (await reopened.log.read(0, 0, 23)).map((r) => r.value.toString()),
        values.slice(0, 23),
      );
    } finally {
      await reopened.log.close();
    }
  });

  describe('writer lock', () => {
    it('takes over the lock of a process that no longer runs', async () => {
      const dir = freshDir();
      const topic = 'stale';
      const dead = spawn(process.execPath, ['-e', '']);
      await once(dead, 'exit');
      mkdirSync(join(dir, topic), { recursive: true });
      const lockFile = join(dir, topic, 'writer.lock');
      writeFileSync(lockFile, `${dead.pid}\n`);
      const { log, warnings } = await openLog({ dir, topic, partitions: 2 });
      try {
        assert.deepEqual(warnings, [`event log ${topic} (${join(dir, topic)}): took over the lock of process ${dead.pid}, which is no longer running`]);
        assert.equal(readFileSync(lockFile, 'utf8'), `${process.pid}\n`);
        await log.append([{ key: 'k', value: 'v' }]);
      } finally {
        await log.close();
      }
      assert.equal(existsSync(lockFile), false, 'close releases the lock');
    });

    it('refuses a log another live process holds, naming its pid', async () => {
      const dir = freshDir();
      const topic = 'live';
      const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
      try {
        mkdirSync(join(dir, topic), { recursive: true });
        writeFileSync(join(dir, topic, 'writer.lock'), `${holder.pid}\n`);
        const log = getEmbeddedEventLog({ dir, topic });
        await assert.rejects(log.init(), rejectsWith('CONT_ERR_LOG_LOCKED', new RegExp(`held by process ${holder.pid}\\b`)));
        await assert.rejects(log.append([{ key: 'k', value: 'v' }]), rejectsWith('CONT_ERR_LOG_LOCKED'));
        assert.equal(readFileSync(join(dir, topic, 'writer.lock'), 'utf8'), `${holder.pid}\n`, 'the holder keeps its lock');
      } finally {
        holder.kill('SIGKILL');
        await once(holder, 'exit');
      }
    });

    it('refuses a second open in the same process until the first is closed', async () => {
      const dir = freshDir();
      const { log } = await openLog({ dir, topic: 'twice', partitions: 2 });
      const second = getEmbeddedEventLog({ dir, topic: 'twice', partitions: 2 });
      await assert.rejects(second.init(), rejectsWith('CONT_ERR_LOG_LOCKED', new RegExp(`held by process ${process.pid}\\b`)));
      await log.append([{ key: 'k', value: 'v', partition: 1 }]);
      await log.close();
      await second.init();
      try {
        assert.deepEqual(await second.endOffsets(), [0, 1]);
      } finally {
        await second.close();
      }
    });
  });

  it('rolls segments, indexes them, and reads across them after a reopen', async () => {
    const dir = freshDir();
    const topic = 'segments';
    const options = { dir, topic, partitions: 2, segmentBytes: 2048, indexIntervalBytes: 200 };
    const value = (i: number) => `value-${i}-${'x'.repeat(i % 40)}`;
    let { log } = await openLog(options);
    const batchStarts: number[] = [];
    let n = 0;
    for (const size of [1, 7, 50, 3, 80, 1, 1, 40, 17, 60, 40]) {
      // Distinct timestamps per batch, for the timestamp lookup below.
      const previous = Date.now();
      while (Date.now() === previous) await new Promise((r) => setTimeout(r, 1));
      batchStarts.push(n);
      const placed = await log.append(Array.from({ length: size }, () => ({ key: 'k', value: value(n++), partition: 0 })));
      assert.deepEqual(
        placed.map((p) => p.offset),
        Array.from({ length: size }, (_, i) => batchStarts.at(-1)! + i),
      );
    }
    assert.equal(n, 300);
    await log.close();

    const files = readdirSync(join(dir, topic, 'p-0')).sort();
    const segments = files.filter((f) => f.endsWith('.log'));
    const indexes = files.filter((f) => f.endsWith('.index'));
    assert.ok(segments.length >= 8, `${segments.length} segments`);
    assert.deepEqual(
      indexes,
      segments.slice(0, -1).map((s) => s.replace('.log', '.index')),
      'every closed segment has an index',
    );
    for (const s of segments) assert.ok(statSync(join(dir, topic, 'p-0', s)).size <= 2048, `${s} stays within segmentBytes`);

    async function checkReads(l: EventLog) {
      assert.deepEqual(await l.endOffsets(), [300, 0]);
      assert.deepEqual(
        (await l.read(0, 0, 1000)).map((r) => r.value.toString()),
        Array.from({ length: 300 }, (_, i) => value(i)),
      );
      for (let offset = 0; offset < 300; offset++) {
        const records = await l.read(0, offset, 7);
        assert.deepEqual(
          records.map((r) => [r.offset, r.value.toString()]),
          Array.from({ length: Math.min(7, 300 - offset) }, (_, i) => [offset + i, value(offset + i)]),
        );
      }
    }

    ({ log } = await openLog(options));
    try {
      await checkReads(log);
      const timestamps = await Promise.all(batchStarts.map(async (start) => (await log.read(0, start, 1))[0].timestamp));
      for (let b = 0; b < batchStarts.length; b++) {
        const offsets = await log.resetOffsets('by-time', { to: 'timestamp', timestamp: timestamps[b] });
        assert.equal(offsets[0].offset, batchStarts[b], `batch ${b}`);
        assert.equal(offsets[1].offset, 0);
      }
    } finally {
      await log.close();
    }

    // A lost index and a damaged one are rebuilt from their segments.
    rmSync(join(dir, topic, 'p-0', indexes[1]));
    const damaged = join(dir, topic, 'p-0', indexes[3]);
    const bytes = readFileSync(damaged);
    bytes[bytes.length - 9] ^= 0xff;
    writeFileSync(damaged, bytes);
    let warnings: string[];
    ({ log, warnings } = await openLog(options));
    try {
      await checkReads(log);
      assert.deepEqual(warnings, [`event log ${topic} partition 0: index ${damaged} is damaged; rebuilding it`]);
      assert.ok(existsSync(join(dir, topic, 'p-0', indexes[1])));
      assert.deepEqual(await log.append([{ key: 'k', value: 'next', partition: 0 }]), [{ partition: 0, offset: 300 }]);
    } finally {
      await log.close();
    }
  });

  it('gives concurrent appends to one partition distinct, contiguous offsets', async () => {
    const { log } = await openLog({ dir: freshDir(), topic: 'concurrent', partitions: 2 });
    try {
      const calls = await Promise.all(
        Array.from({ length: 50 }, (_, c) => log.append([0, 1, 2].map((i) => ({ key: 'k', value: `${c}.${i}`, partition: 1 })))),
      );
      const firsts = calls.map((placed) => {
        assert.deepEqual(
          placed.map((p) => p.offset - placed[0].offset),
          [0, 1, 2],
        );
        return placed[0].offset;
      });
      assert.deepEqual(
        [...firsts].sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, c) => c * 3),
      );
      const stored = await log.read(1, 0, 1000);
      calls.forEach((placed, c) => placed.forEach((p, i) => assert.equal(stored[p.offset].value.toString(), `${c}.${i}`)));
      assert.deepEqual(await log.endOffsets(), [0, 150]);
    } finally {
      await log.close();
    }
  });

  it('stores every batch intact when batches of a partition, large and small, follow each other (write memory is reused)', async () => {
    const dir = freshDir();
    const { log } = await openLog({ dir, topic: 'sizes', partitions: 1 });
    const value = (batch: number, i: number, size: number) => `${batch}.${i}.`.padEnd(size, String.fromCharCode(97 + ((batch + i) % 26)));
    // Above, below and above again the memory a partition keeps (8 MiB), then small batches over the start of the large ones.
    const batches = [
      [3, 3 * 1024 * 1024],
      [40, 100_000],
      [2, 5 * 1024 * 1024],
      [5, 10],
      [1, 1],
    ] as const;
    const expected: string[] = [];
    try {
      for (const [b, [count, size]] of batches.entries()) {
        const values = Array.from({ length: count }, (_, i) => value(b, i, size));
        await log.append(values.map((v) => ({ key: 'k', value: v, headers: Object.freeze({ b: String(b) }) })));
        expected.push(...values);
      }
    } finally {
      await log.close();
    }
    const { log: reopened } = await openLog({ dir, topic: 'sizes', partitions: 1 });
    try {
      const stored = await readPartition(reopened, 0);
      assert.equal(stored.length, 51);
      assert.deepEqual(
        stored.map((r) => r.value.toString()),
        expected,
      );
      assert.deepEqual(
        stored.map((r) => r.headers.b),
        batches.flatMap(([count], b) => Array.from({ length: count }, () => String(b))),
      );
    } finally {
      await reopened.close();
    }
  });

  it('shares one write and one fdatasync among appends queued while a sync runs (group commit)', async () => {
    const handle = await open(join(root, 'probe'), 'w');
    const proto = Object.getPrototypeOf(handle) as { datasync(): Promise<void>; write(...args: unknown[]): Promise<unknown> };
    await handle.close();
    const { datasync, write } = proto;
    let syncs = 0;
    let writes = 0;
    proto.datasync = function (this: unknown) {
      syncs++;
      return datasync.call(this);
    };
    proto.write = function (this: unknown, ...args: unknown[]) {
      writes++;
      return write.apply(this, args);
    };
    const { log } = await openLog({ dir: freshDir(), topic: 'group-commit', partitions: 4 });
    try {
      syncs = writes = 0;
      // The first append goes out alone; the other 199 queue behind its sync and share the next.
      const placed = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append([{ key: 'k', value: `v${i}`, partition: 2 }])));
      assert.deepEqual([writes, syncs], [2, 2]);
      assert.deepEqual(
        placed.map(([p]) => p.offset),
        Array.from({ length: 200 }, (_, i) => i),
      );
      syncs = writes = 0;
      // One call spread over every partition: one write and one sync per partition.
      await log.append(Array.from({ length: 1000 }, (_, i) => ({ key: `key-${i}`, value: `v${i}` })));
      assert.deepEqual([writes, syncs], [4, 4]);
    } finally {
      proto.datasync = datasync;
      proto.write = write;
      await log.close();
    }
  });

  describe('I/O failures while appending', () => {
    /** Makes the next `n` calls of a FileHandle method fail as a full disk would. */
    async function failing(method: 'write' | 'datasync') {
      const probe = await open(join(root, 'probe'), 'w');
      const proto = Object.getPrototypeOf(probe) as Record<string, (...args: unknown[]) => Promise<unknown>>;
      await probe.close();
      const original = proto[method];
      let left = 0;
      proto[method] = function (this: unknown, ...args: unknown[]) {
        if (left === 0) return original.apply(this, args);
        left--;
        return Promise.reject(Object.assign(new Error(`${method}: no space left on device`), { code: 'ENOSPC' }));
      };
      return {
        next: (n: number) => void (left = n),
        restore: () => void (proto[method] = original),
      };
    }

    it('undoes a failed write and appends on from the same offset', async () => {
      const writes = await failing('write');
      const { log } = await openLog({ dir: freshDir(), topic: 'enospc-write', partitions: 1 });
      try {
        await log.append([{ key: 'k', value: 'before' }]);
        writes.next(1);
        await assert.rejects(log.append([{ key: 'k', value: 'lost' }]), rejectsWith('CONT_ERR_INGEST_LOG_UNAVAILABLE', /append failed during write: write: no space left/));
        assert.deepEqual(await log.endOffsets(), [1]);
        assert.deepEqual(await log.append([{ key: 'k', value: 'after' }]), [{ partition: 0, offset: 1 }]);
        assert.deepEqual(
          (await log.read(0, 0, 10)).map((r) => r.value.toString()),
          ['before', 'after'],
        );
      } finally {
        writes.restore();
        await log.close();
      }
    });

    it('fences a partition whose fdatasync failed until the log is reopened', async () => {
      const dir = freshDir();
      const syncs = await failing('datasync');
      let { log } = await openLog({ dir, topic: 'enospc-sync', partitions: 2 });
      try {
        await log.append([{ key: 'k', value: 'before', partition: 0 }]);
        syncs.next(1);
        await assert.rejects(log.append([{ key: 'k', value: 'unsure', partition: 0 }]), rejectsWith('CONT_ERR_INGEST_LOG_UNAVAILABLE', /during sync.*reopen the log/));
        await assert.rejects(log.append([{ key: 'k', value: 'refused', partition: 0 }]), rejectsWith('CONT_ERR_INGEST_LOG_UNAVAILABLE', /reopen the log/));
        assert.deepEqual(await log.append([{ key: 'k', value: 'other partition', partition: 1 }]), [{ partition: 1, offset: 0 }]);
        assert.deepEqual(await log.endOffsets(), [1, 1], 'nothing unsure is served');
      } finally {
        syncs.restore();
        await log.close();
      }
      ({ log } = await openLog({ dir, topic: 'enospc-sync', partitions: 2 }));
      try {
        // The write itself went through, so recovery finds a whole record: a
        // rejected append may still be stored, as with any log (consumers dedupe by event id).
        assert.deepEqual(
          (await log.read(0, 0, 10)).map((r) => r.value.toString()),
          ['before', 'unsure'],
        );
        assert.deepEqual(await log.append([{ key: 'k', value: 'again', partition: 0 }]), [{ partition: 0, offset: 2 }]);
      } finally {
        await log.close();
      }
    });
  });

  it('lets eachBatch stop its own member without waiting for itself', async () => {
    const { log } = await openLog({ dir: freshDir(), topic: 'self-stop', partitions: 1 });
    try {
      await log.append([0, 1, 2, 3, 4].map((i) => ({ key: 'k', value: `v${i}` })));
      const batches: number[][] = [];
      const subscribing = log.subscribe({
        groupId: 'g',
        maxBatchRecords: 2,
        eachBatch: async (batch, consumer) => {
          batches.push(batch.records.map((r) => r.offset));
          await consumer.commit(batch.partition, batch.records[batch.records.length - 1].offset + 1);
          await (await subscribing).stop();
        },
      });
      const sub = await subscribing;
      await sub.done;
      assert.deepEqual(batches, [[0, 1]]);
      assert.deepEqual(sub.assignment(), []);
      assert.deepEqual(
        (await log.committedOffsets('g')).map((c) => c.offset),
        [2],
      );
    } finally {
      await log.close();
    }
  });

  it('keeps the stored partition count when reopened with another one, and says so', async () => {
    const dir = freshDir();
    const first = await openLog({ dir, topic: 'count', partitions: 3 });
    await first.log.close();
    const { log, warnings } = await openLog({ dir, topic: 'count', partitions: 5 });
    try {
      assert.equal(await log.partitionCount(), 3);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /has 3 partitions; keeping them and ignoring the configured 5/);
    } finally {
      await log.close();
    }
    const defaulted = await openLog({ dir, topic: 'count' });
    try {
      assert.equal(await defaulted.log.partitionCount(), 3);
      assert.deepEqual(defaulted.warnings, [], 'no warning when no count was asked for');
    } finally {
      await defaulted.log.close();
    }
  });

  it('refuses to reset the offsets of a group with a running member', async () => {
    const { log } = await openLog({ dir: freshDir(), topic: 'reset-running', partitions: 2 });
    try {
      const sub = await log.subscribe({ groupId: 'busy', eachBatch: async () => {} });
      await assert.rejects(log.resetOffsets('busy', { to: 'earliest' }), rejectsWith('CONT_ERR_LOG_GROUP_ACTIVE', /1 running member/));
      await sub.stop();
      assert.deepEqual(
        (await log.resetOffsets('busy', { to: 'latest' })).map((c) => c.offset),
        [0, 0],
      );
    } finally {
      await log.close();
    }
  });

  it('stops a member when close() is called and rejects appends afterwards', async () => {
    const { log } = await openLog({ dir: freshDir(), topic: 'closing', partitions: 2 });
    const sub = await log.subscribe({ groupId: 'g', eachBatch: async () => {} });
    await log.close();
    await sub.done;
    assert.deepEqual(sub.assignment(), []);
    await assert.rejects(log.append([{ key: 'k', value: 'v' }]), /closed/);
  });

  it('holds a small batch back for more records, up to maxBatchWaitMs (fetch min / max wait)', async () => {
    // Ten records wait for more (the wait is far longer than the test), and go together with them once there are enough.
    {
      const { log } = await openLog({ dir: freshDir(), topic: 'hold', partitions: 1, pollIntervalMs: 20 });
      try {
        const sizes: number[] = [];
        const sub = await log.subscribe({ groupId: 'g', maxBatchRecords: 1_000, minBatchRecords: 100, maxBatchWaitMs: 60_000, eachBatch: async (b) => void sizes.push(b.records.length) });
        await log.append(Array.from({ length: 10 }, () => ({ key: 'k', value: 'v' })));
        await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual(sizes, [], 'ten records wait for more');
        await log.append(Array.from({ length: 190 }, () => ({ key: 'k', value: 'v' })));
        await eventually('the held batch', () => sizes.length > 0, 10_000);
        assert.deepEqual(sizes, [200], 'delivered together once there are enough');
        await sub.stop();
      } finally {
        await log.close();
      }
    }
    // Too few, still coming in: delivered as they are once the wait is over.
    {
      const { log } = await openLog({ dir: freshDir(), topic: 'wait-over', partitions: 1, pollIntervalMs: 20 });
      try {
        const sizes: number[] = [];
        await log.append(Array.from({ length: 5 }, () => ({ key: 'k', value: 'v' })));
        const sub = await log.subscribe({ groupId: 'g', maxBatchRecords: 1_000, minBatchRecords: 100, maxBatchWaitMs: 300, eachBatch: async (b) => void sizes.push(b.records.length) });
        await eventually('the batch after its wait', () => sizes.length > 0, 10_000);
        assert.deepEqual(sizes, [5], 'what there is once the wait is over');
        await sub.stop();
      } finally {
        await log.close();
      }
    }
  });

  it('does not hold a small batch back on a log nobody is appending to (a catch-up reads its tail at once)', async () => {
    const { log } = await openLog({ dir: freshDir(), topic: 'quiet', partitions: 1, pollIntervalMs: 20 });
    try {
      await log.append(Array.from({ length: 7 }, () => ({ key: 'k', value: 'v' })));
      await new Promise((r) => setTimeout(r, 600));
      const sizes: number[] = [];
      const started = Date.now();
      const sub = await log.subscribe({ groupId: 'g', maxBatchRecords: 1_000, minBatchRecords: 100, maxBatchWaitMs: 500, eachBatch: async (b) => void sizes.push(b.records.length) });
      while (sizes.length === 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(sizes, [7]);
      assert.ok(Date.now() - started < 400, `delivered after ${Date.now() - started} ms, not after waiting 500 ms for more`);
      await sub.stop();
    } finally {
      await log.close();
    }
  });

  it('wakes a caught-up member on append rather than at the next poll', async () => {
    const { log } = await openLog({ dir: freshDir(), topic: 'wake', partitions: 1, pollIntervalMs: 60_000 });
    try {
      const got: number[] = [];
      const sub = await log.subscribe({ groupId: 'g', eachBatch: async (b) => void got.push(...b.records.map((r) => r.offset)) });
      await new Promise((r) => setTimeout(r, 20));
      await log.append([{ key: 'k', value: 'v' }]);
      await eventually('the appended record', () => got.length > 0, 5_000);
      assert.deepEqual(got, [0]);
      await sub.stop();
    } finally {
      await log.close();
    }
  });
});
