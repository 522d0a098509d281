/** What every command shares: the common flags and how configuration is built from them. */
import type { Command } from 'commander';
import { loadConfig, type ConfigInput, type FrozenConfig } from '../config/config.ts';

export interface CommonFlags {
  dataDir?: string;
  kafkaBrokers?: string;
  clickhouseUrl?: string;
  partitions?: string;
  port?: string;
  host?: string;
  batchRecords?: string;
}

export function withCommon(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory of the embedded log and warehouse (env CONTINUITY_DATA_DIR)', undefined)
    .option('--kafka-brokers <list>', 'use Kafka as the event log (env KAFKA_BROKERS)')
    .option('--clickhouse-url <url>', 'use a ClickHouse server instead of embedded chDB (env CLICKHOUSE_URL)')
    .option('--partitions <n>', 'partitions of a newly created events log (env CONTINUITY_LOG_PARTITIONS)');
}

export function configFrom(flags: CommonFlags, extra: ConfigInput = {}): FrozenConfig {
  const input: ConfigInput = {
    ...extra,
    dataDir: flags.dataDir,
    http: { port: flags.port as never, host: flags.host, ...extra.http },
    clickhouse: { url: flags.clickhouseUrl, ...extra.clickhouse },
    log: { partitions: flags.partitions as never, ...extra.log },
    kafka: { brokers: flags.kafkaBrokers ? flags.kafkaBrokers.split(',').map((s) => s.trim()).filter(Boolean) : undefined, ...extra.kafka },
    processor: { batchRecords: flags.batchRecords as never, ...extra.processor },
  };
  return loadConfig(input);
}

export function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}
