/**
 * The pipeline on Kafka end to end, against librdkafka's mock cluster and the
 * real chDB engine: the seed scenario gives the same warehouse as on the
 * embedded log; events any Kafka producer writes are processed alike and a
 * malformed one is dead-lettered; two processor processes share a 6-partition
 * topic, one is killed with SIGKILL mid-stream, and the totals stay exact.
 */
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { getKafkaEventLog } from '../event-log/kafka/index.ts';
import { partitionForKey } from '../event-log/partitioner.ts';
import { parseDeadLetter } from '../ingest/dead-letters.ts';
import { realisticEvents, seedScenario } from '../ingest/simulator/index.ts';
import { eventKey, serializeEvent, type ContinuityEvent } from '../schemas/index.ts';
import { runCliAsync, spawnCli } from '../test-support/cli.ts';
import { kafkaMockAvailability, startKafkaMock, type KafkaMock } from '../test-support/kafka-mock/index.ts';
import { tempDir, testConfig } from '../test-support/temp.ts';
import { getWarehouse } from '../warehouse/index.ts';
import type { FrozenConfig } from '../config/config.ts';
import { openPipeline } from './pipeline.ts';
import { computeSeedFigures } from './seed-summary.ts';

const available = kafkaMockAvailability();

/**
 * Group timing for the mock: it waits a session timeout less a second for
 * members to rejoin; it holds a new group's first join 3 s and drops a member
 * whose session ends meanwhile (so not under 3 s); it refuses a member's
 * SyncGroup that comes after the leader's.
 */
const GROUP_TIMING = { sessionTimeoutMs: 4_000, heartbeatIntervalMs: 250, leaderSyncDelayMs: 300 };

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the pipeline on Kafka', { skip: available.skip }, () => {
  let kafka: KafkaMock;
  const tmp = tempDir();
  before(async () => (kafka = await startKafkaMock()));
  after(async () => {
    await kafka?.stop();
    tmp.cleanup();
  });

  async function topics(prefix: string, partitions: number) {
    const names = { topic: `${prefix}-${randomBytes(3).toString('hex')}.events`, deadLetterTopic: `${prefix}-${randomBytes(3).toString('hex')}.deadletters` };
    await kafka.createTopic(names.topic, partitions);
    await kafka.createTopic(names.deadLetterTopic, 1);
    return names;
  }

  async function kafkaConfig(dataDir: string, prefix: string, partitions: number): Promise<FrozenConfig> {
    return testConfig(dataDir, {
      log: { ...(await topics(prefix, partitions)), fsync: false },
      // The mock does not implement CreateTopics: the topics above are made through its own API.
      kafka: { brokers: kafka.brokers, createTopics: false, ...GROUP_TIMING },
    });
  }

  it('loads the seed scenario through Kafka into exactly the warehouse the embedded log gives', { timeout: 180_000 }, async () => {
    const seed = [...seedScenario()];
    async function run(config: FrozenConfig) {
      const pipeline = await openPipeline(config, { purpose: 'test' });
      try {
        for (let i = 0; i < seed.length; i += 4000) await pipeline.ingestor.ingestEvents(seed.slice(i, i + 4000));
        const processors = await pipeline.startProcessors();
        await processors.untilIdle();
        const w = pipeline.warehouse;
        const figures = Object.fromEntries((await computeSeedFigures(w)).map((f) => [f.key, f.value]));
        const [totals] = await w.rows<{ rows: string; ids: string; quantity: string }>('SELECT count() AS rows, uniqExact(id) AS ids, sum(quantity) AS quantity FROM events');
        return {
          figures,
          totals: { rows: Number(totals.rows), ids: Number(totals.ids), quantity: Number(totals.quantity) },
          rollups: sha(await w.text('SELECT day, org, region, type, quantity, events FROM daily_rollups ORDER BY day, org, region, type', 'TSV')),
          // Where each event sits in the log: the same partition (the key hash) and offset on both logs.
          placement: sha(await w.text('SELECT id, log_partition, log_offset FROM events ORDER BY id', 'TSV')),
          deadLetters: Number((await w.rows<{ n: string }>('SELECT count() AS n FROM dead_letters'))[0].n),
        };
      } finally {
        await pipeline.close();
      }
    }
    const embedded = await run(testConfig(`${tmp.dir}/seed-embedded`, { log: { fsync: false } }));
    const viaKafka = await run(await kafkaConfig(`${tmp.dir}/seed-kafka`, 'seed', 8));

    assert.deepEqual(viaKafka, embedded);
    const quantity = seed.reduce((s, e) => s + e.quantity, 0);
    assert.deepEqual(viaKafka.totals, { rows: seed.length, ids: seed.length, quantity });
    assert.equal(viaKafka.deadLetters, 0);
    assert.equal(viaKafka.figures.telecom_suspension_waived, 1_169_500);
    assert.equal(viaKafka.figures.telecom_disconnection_deferred, 1_748_000_000);
    assert.equal(viaKafka.figures.sgcc_online_payments, 940_000);
    assert.equal(viaKafka.figures.crgas_hubei_repairs, 1_760);
  });

  it('processes events any Kafka producer writes, and dead-letters a malformed one with its reason while going on', { timeout: 120_000 }, async () => {
    const config = await kafkaConfig(`${tmp.dir}/foreign`, 'foreign', 4);
    const pipeline = await openPipeline(config, { purpose: 'test' });
    const producer = new Kafka({ brokers: kafka.brokers, clientId: 'billing-system', logLevel: logLevel.NOTHING }).producer();
    try {
      const processors = await pipeline.startProcessors();
      const pool = [...realisticEvents(50, 7)];
      const [first, second] = pool;
      const key = eventKey(first);
      // An event of another key on the same partition: it comes after the bad records there.
      const third = pool.find((e) => e !== first && partitionForKey(eventKey(e), 4) === partitionForKey(key, 4))!;
      const broken = '{"id":"0192d5c4-8f3a-7c1e-9b2a-5d6e7f809a1b","type":"suspension.waived",';
      const wrongRegion = serializeEvent({ ...second, region: '999999' } as ContinuityEvent);
      await producer.connect();
      // kafkajs' own partitioner and keys as the README documents them; one key, so
      // the bad records sit between good ones in one partition.
      await producer.send({
        topic: config.log.topic,
        acks: -1,
        messages: [
          { key, value: serializeEvent(first) },
          { key, value: broken },
          { key, value: wrongRegion },
          { key: eventKey(third), value: serializeEvent(third) },
        ],
      });
      await producer.send({ topic: config.log.topic, acks: -1, messages: [{ key: eventKey(second), value: serializeEvent(second) }] });
      await processors.untilIdle();

      const w = pipeline.warehouse;
      const loaded = await w.rows<{ id: string; org: string; log_partition: number; log_offset: string }>('SELECT id, org, log_partition, log_offset FROM events ORDER BY log_partition, log_offset');
      const partitionOf = (k: string) => partitionForKey(k, 4);
      assert.deepEqual(
        loaded.map((r) => [r.id, r.log_partition, Number(r.log_offset)]).sort(),
        [
          [first.id, partitionOf(key), 0],
          [third.id, partitionOf(key), 3],
          [second.id, partitionOf(eventKey(second)), partitionOf(eventKey(second)) === partitionOf(key) ? 4 : 0],
        ].sort(),
      );
      const letters = await w.rows<{ origin: string; raw: string; reason: string }>(
        'SELECT origin, raw, reason FROM dead_letters ORDER BY received_at, raw',
      );
      assert.equal(letters.length, 2);
      assert.deepEqual(letters.map((l) => l.origin), [`processor:${config.log.topic}`, `processor:${config.log.topic}`]);
      assert.deepEqual(letters.map((l) => l.raw).sort(), [broken, wrongRegion].sort());
      const byRaw = new Map(letters.map((l) => [l.raw, l.reason]));
      assert.match(byRaw.get(wrongRegion)!, /region: unknown region code "999999"/);
      assert.match(byRaw.get(broken)!, /JSON/);
      // The dead-letter topic holds them too, with the reason: the source of truth a re-drive reads.
      const inTopic = (await pipeline.deadLetters.read(0, 0, 10)).map((r) => parseDeadLetter(r));
      assert.deepEqual(inTopic.map((d) => d.raw).sort(), [broken, wrongRegion].sort());
      assert.ok(inTopic.every((d) => d.reason.length > 0 && d.errors.some((e) => e.field === '$log')));
    } finally {
      await producer.disconnect().catch(() => {});
      await pipeline.close();
    }
  });

  it('runs from the command line: a file ingested into Kafka, process --until-idle drains the topic and exits', { timeout: 120_000 }, async () => {
    const names = await topics('cli', 4);
    const dataDir = `${tmp.dir}/cli`;
    const env = {
      KAFKA_BROKERS: kafka.brokers.join(','),
      CONTINUITY_TOPIC: names.topic,
      CONTINUITY_DEAD_LETTER_TOPIC: names.deadLetterTopic,
      CONTINUITY_DATA_DIR: dataDir,
      CONTINUITY_LOG_FSYNC: 'false',
      KAFKA_CREATE_TOPICS: 'false',
      KAFKA_SESSION_TIMEOUT_MS: String(GROUP_TIMING.sessionTimeoutMs),
      KAFKA_HEARTBEAT_INTERVAL_MS: String(GROUP_TIMING.heartbeatIntervalMs),
      KAFKA_LEADER_SYNC_DELAY_MS: String(GROUP_TIMING.leaderSyncDelayMs),
    };
    const events = [...realisticEvents(3_000, 5)];
    const file = `${tmp.dir}/cli-events.ndjson`;
    writeFileSync(file, `${events.map(serializeEvent).join('\n')}\n{"id":"not valid"}\n`);
    const ingest = await runCliAsync(['ingest', file], { env });
    assert.equal(ingest.status, 2, ingest.stderr);
    assert.match(ingest.stderr + ingest.stdout, /3,000/);
    const processed = await runCliAsync(['process', '--until-idle'], { env });
    assert.equal(processed.status, 0, processed.stderr);
    assert.match(processed.stdout, /processed: 3,000 events written, 0 duplicates dropped, 0 dead-lettered, 1 dead letters recorded/);
    const log = getKafkaEventLog({ brokers: kafka.brokers, topic: names.topic, createTopic: false, logLevel: 'nothing' });
    try {
      assert.deepEqual(
        (await log.committedOffsets('continuity-warehouse')).map((c) => c.offset),
        await log.endOffsets(),
      );
      assert.equal((await log.endOffsets()).reduce((a, b) => a + b, 0), 3_000);
    } finally {
      await log.close();
    }
    const sql = await runCliAsync(['sql', 'SELECT count() AS n, uniqExact(id) AS ids, sum(quantity) AS q FROM events', '--format', 'json'], { env });
    assert.equal(sql.status, 0, sql.stderr);
    assert.deepEqual(JSON.parse(sql.stdout), { n: 3_000, ids: 3_000, q: events.reduce((s, e) => s + e.quantity, 0) });
  });

  it('keeps exact totals when one of two processor processes on a 6-partition topic is killed with SIGKILL mid-stream', { timeout: 240_000 }, async () => {
    const names = await topics('scale', 6);
    const processorToken = `ct_${randomBytes(18).toString('base64url')}`;
    const producerToken = `ct_${randomBytes(18).toString('base64url')}`;
    const tokens = JSON.stringify([
      { name: 'processors', sha256: sha(processorToken), scopes: ['operate'] },
      { name: 'producer', sha256: sha(producerToken), scopes: ['ingest'], orgs: ['*'] },
    ]);
    const env = {
      CONTINUITY_TOPIC: names.topic,
      CONTINUITY_DEAD_LETTER_TOPIC: names.deadLetterTopic,
      CONTINUITY_LOG_FSYNC: 'false',
      KAFKA_CREATE_TOPICS: 'false',
      KAFKA_SESSION_TIMEOUT_MS: String(GROUP_TIMING.sessionTimeoutMs),
      KAFKA_HEARTBEAT_INTERVAL_MS: String(GROUP_TIMING.heartbeatIntervalMs),
      KAFKA_LEADER_SYNC_DELAY_MS: String(GROUP_TIMING.leaderSyncDelayMs),
    };
    const children: ChildProcess[] = [];
    const output = new Map<ChildProcess, string>();
    const spawn = (args: string[], extra: Record<string, string> = {}) => {
      const child = spawnCli(args, { ...env, ...extra });
      output.set(child, '');
      child.stdout!.on('data', (d) => output.set(child, output.get(child) + d));
      child.stderr!.on('data', (d) => output.set(child, output.get(child) + d));
      children.push(child);
      return child;
    };
    /** Fails with what the processes printed, which is where the cause is. */
    const waitFor = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) => {
      try {
        await eventually(what, check, timeoutMs);
      } catch (error) {
        const printed = children.map((c) => `--- ${c.spawnargs.slice(2, 4).join(' ')} (pid ${c.pid}):\n${output.get(c)!.slice(-3000)}`).join('\n');
        throw new Error(`${(error as Error).message}\n${printed}`);
      }
    };
    /** The last "events partitions: …" line a processor printed. */
    const partitionsOf = (child: ChildProcess) => {
      const lines = [...output.get(child)!.matchAll(/^events partitions: (.*)$/gm)];
      const last = lines[lines.length - 1]?.[1];
      return last === undefined || last === 'none' ? [] : last.split(',').map(Number);
    };

    const log = getKafkaEventLog({ brokers: kafka.brokers, topic: names.topic, createTopic: false, logLevel: 'nothing' });
    try {
      // The service hosts the embedded warehouse and the ingest API; no processors of its own.
      const service = spawn(['serve', '--kafka-brokers', kafka.brokers.join(','), '--no-processors', '--port', '0', '--data-dir', `${tmp.dir}/scale`], { CONTINUITY_TOKENS: tokens });
      await waitFor('the service to listen', () => /continuity serving at (\S+)/.test(output.get(service)!), 60_000);
      const url = /continuity serving at (\S+)/.exec(output.get(service)!)![1];
      const processor = () =>
        spawn(['process', '--kafka-brokers', kafka.brokers.join(','), '--clickhouse-url', `${url}/clickhouse`, '--batch-records', '250', '--data-dir', `${tmp.dir}/unused`], {
          CLICKHOUSE_ACCESS_TOKEN: processorToken,
        });

      const events = [...realisticEvents(16_000, 11)];
      const ingest = async (batch: ContinuityEvent[]) => {
        const response = await fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${producerToken}` },
          body: batch.map(serializeEvent).join('\n'),
        });
        assert.equal(response.status, 200, await response.text());
      };
      const remote = await getWarehouse({ url: `${url}/clickhouse`, accessToken: processorToken });
      const loaded = async () => Number((await remote.rows<{ n: string }>('SELECT count() AS n FROM events'))[0].n);

      try {
        const a = processor();
        await waitFor('processor A to hold every partition', () => partitionsOf(a).length === 6);
        for (let i = 0; i < 4000; i += 1000) await ingest(events.slice(i, i + 1000));
        await waitFor('processor A to load events', async () => (await loaded()) > 0);

        const b = processor();
        await waitFor('the two processors to split the partitions', () => partitionsOf(a).length > 0 && partitionsOf(b).length > 0 && partitionsOf(a).length + partitionsOf(b).length === 6);
        const heldByA = partitionsOf(a);
        for (let i = 4000; i < 8000; i += 1000) await ingest(events.slice(i, i + 1000));
        // Mid-stream: events keep arriving on A's partitions while and after it dies.
        const streaming = (async () => {
          for (let i = 8000; i < 16_000; i += 500) await ingest(events.slice(i, i + 500));
        })();
        await waitFor('events to arrive after the split', async () => (await loaded()) > 4000);
        a.kill('SIGKILL');
        await once(a, 'exit');
        await streaming;

        await waitFor('processor B to take over every partition', () => partitionsOf(b).length === 6, 90_000);
        await waitFor('the group to commit everything', async () => {
          const [ends, committed] = await Promise.all([log.endOffsets(), log.committedOffsets('continuity-warehouse')]);
          return committed.every((c) => c.offset === ends[c.partition]);
        }, 90_000);

        const [totals] = await remote.rows<{ rows: string; ids: string; quantity: string }>('SELECT count() AS rows, uniqExact(id) AS ids, sum(quantity) AS quantity FROM events');
        assert.deepEqual(
          { rows: Number(totals.rows), ids: Number(totals.ids), quantity: Number(totals.quantity) },
          { rows: events.length, ids: events.length, quantity: events.reduce((s, e) => s + e.quantity, 0) },
        );
        assert.ok(heldByA.length > 0 && heldByA.length < 6);
        // Records on A's partitions written after it was killed were loaded by B.
        const perPartition = await remote.rows<{ p: number; n: string }>('SELECT log_partition AS p, count() AS n FROM events GROUP BY p ORDER BY p');
        const ends = await log.endOffsets();
        assert.deepEqual(perPartition.map((r) => Number(r.n)), ends);
        assert.equal(Number((await remote.rows<{ n: string }>('SELECT count() AS n FROM dead_letters'))[0].n), 0);
      } finally {
        await remote.close();
      }
    } finally {
      if (process.env.CONTINUITY_TEST_VERBOSE) for (const c of children) process.stderr.write(`--- ${c.spawnargs.slice(2, 4).join(' ')}:\n${output.get(c)}\n`);
      for (const child of children.reverse()) {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await once(child, 'exit');
          clearTimeout(timer);
        }
      }
      await log.close();
    }
  });
});
