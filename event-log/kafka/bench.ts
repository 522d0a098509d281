/**
 * Produce and consume throughput of the Kafka adapter (not a test: figures
 * depend on the machine and the brokers). Against librdkafka's mock cluster
 * by default, or real brokers with --brokers.
 *
 *   node --import tsx event-log/kafka/bench.ts [--events 100000] [--batch 10000] [--partitions 8] [--concurrency 4] [--brokers host:port,…]
 *
 * Produces realistic events as the ingest path does (serialized envelope,
 * key org:region, acks from all in-sync replicas, gzip), with --concurrency
 * appends in flight; then one consumer-group member reads them all back.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { realisticEvents } from '../../ingest/simulator/index.ts';
import { eventKey, serializeEvent } from '../../schemas/index.ts';
import { startKafkaMock, type KafkaMock } from '../../test-support/kafka-mock/index.ts';
import type { AppendRecord } from '../event-log.ts';
import { getKafkaEventLog } from './index.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '10000' },
    partitions: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '4' },
    brokers: { type: 'string' },
  },
});
const total = Number(args.events);
const batchSize = Number(args.batch);
const partitions = Number(args.partitions);
const concurrency = Number(args.concurrency);

const records: AppendRecord[] = [...realisticEvents(total, 3)].map((e) => ({ key: eventKey(e), value: serializeEvent(e) }));
const bytes = records.reduce((s, r) => s + Buffer.byteLength(r.value as string), 0);
const topic = `bench-${randomBytes(3).toString('hex')}`;

let mock: KafkaMock | null = null;
let brokers: string[];
if (args.brokers) brokers = args.brokers.split(',');
else {
  mock = await startKafkaMock({ topics: { [topic]: partitions } });
  brokers = mock.brokers;
}
const log = getKafkaEventLog({ brokers, topic, partitions, logLevel: 'nothing', sessionTimeoutMs: 4_000, heartbeatIntervalMs: 250, maxWaitTimeMs: 100 });
await log.init();

const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    for (;;) {
      const from = next;
      next += batchSize;
      if (from >= total) return;
      await log.append(records.slice(from, from + batchSize));
    }
  }),
);
const produced = performance.now() - started;
console.log(`produce: ${total.toLocaleString('en-US')} events (${mib(bytes)} JSON) in ${(produced / 1000).toFixed(2)} s: ${rate(total, produced)}, batches of ${batchSize}, ${concurrency} in flight`);

let seen = 0;
let firstAt = 0;
const joining = performance.now();
let finish!: () => void;
const all = new Promise<void>((resolve) => (finish = resolve));
const sub = await log.subscribe({
  groupId: `bench-${topic}`,
  maxBatchRecords: 10_000,
  eachBatch: async (batch, consumer) => {
    if (seen === 0) firstAt = performance.now();
    seen += batch.records.length;
    await consumer.commit(batch.partition, batch.records[batch.records.length - 1].offset + 1);
    if (seen >= total) finish();
  },
});
await all;
const consumed = performance.now() - firstAt;
console.log(
  `consume: ${seen.toLocaleString('en-US')} events in ${(consumed / 1000).toFixed(2)} s from the first batch: ${rate(seen, consumed)} (joining the group took ${((firstAt - joining) / 1000).toFixed(1)} s), committing each batch`,
);
await sub.stop();
await log.close();
await mock?.stop();
