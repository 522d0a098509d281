import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.ts';

describe('configuration', () => {
  it('fills every default', () => {
    const c = loadConfig({}, {});
    assert.equal(c.dataDir, './data');
    assert.equal(c.http.port, 8080);
    assert.equal(c.log.kind, 'embedded');
    assert.equal(c.log.partitions, undefined, 'an existing log keeps its count; new logs get 8');
    assert.equal(c.log.topic, 'continuity.events.v1');
    assert.equal(c.processor.batchRecords, 150_000);
    assert.equal(c.ingest.validationThreads, undefined, 'decided when the pool starts: the cores, one fewer beside the processors');
    assert.equal(c.clickhouse.url, undefined);
  });

  it('is frozen', () => {
    const c = loadConfig({}, {});
    assert.throws(() => {
      (c as { dataDir: string }).dataDir = 'x';
    }, TypeError);
    assert.ok(Object.isFrozen(c.http));
  });

  it('reads the environment and lets flags win', () => {
    const c = loadConfig({ http: { port: 9001 } }, { CONTINUITY_DATA_DIR: '/tmp/x', CONTINUITY_PORT: '9000', CLICKHOUSE_URL: 'http://ch:8123' });
    assert.equal(c.dataDir, '/tmp/x');
    assert.equal(c.http.port, 9001);
    assert.equal(c.clickhouse.url, 'http://ch:8123');
    assert.equal(loadConfig({}, { CONTINUITY_VALIDATION_THREADS: '0' }).ingest.validationThreads, 0);
    assert.equal(loadConfig({ ingest: { validationThreads: 3 } }, { CONTINUITY_VALIDATION_THREADS: '1' }).ingest.validationThreads, 3);
  });

  it('selects Kafka when brokers are given', () => {
    const c = loadConfig({}, { KAFKA_BROKERS: 'a:9092, b:9092' });
    assert.equal(c.log.kind, 'kafka');
    assert.deepEqual(c.kafka.brokers, ['a:9092', 'b:9092']);
  });

  it('fails fast naming the field and the allowed values', () => {
    assert.throws(() => loadConfig({ log: { kind: 'zookeeper' as never } }, {}), (e: Error) => {
      assert.match(e.message, /log\.kind/);
      assert.match(e.message, /"embedded"\|"kafka"|embedded.*kafka/);
      return true;
    });
    assert.throws(() => loadConfig({}, { CONTINUITY_PORT: '70000' }), /http\.port/);
    assert.throws(() => loadConfig({}, { CLICKHOUSE_URL: 'not a url' }), /clickhouse\.url/);
    assert.throws(() => loadConfig({}, { CONTINUITY_VALIDATION_THREADS: '-1' }), /ingest\.validationThreads: .*>=0/);
  });
});
