/**
 * A real Kafka protocol endpoint for tests: librdkafka's mock cluster, started
 * by a small C launcher (`kafka-mock.c`) built once with the system compiler.
 *
 *   const available = kafkaMockAvailability();          // builds the launcher
 *   describe('…', { skip: available.skip }, () => {
 *     let kafka: KafkaMock;
 *     before(async () => (kafka = await startKafkaMock({ topics: { t: 6 } })));
 *     after(() => kafka?.stop());
 *   });
 *
 * Where the launcher cannot be built (no librdkafka headers or no C compiler),
 * `kafkaMockAvailability()` says so on stderr and returns a skip reason; under
 * `CI=true` it throws instead, so CI never passes by skipping.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('./kafka-mock.c', import.meta.url));

export type KafkaMockAvailability = { ok: true; launcher: string; skip: false } | { ok: false; reason: string; skip: string };

let cached: KafkaMockAvailability | null = null;

function compilerCommand(): string | null {
  for (const cc of [process.env.CC, 'cc', 'gcc', 'clang']) {
    if (!cc) continue;
    const probe = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) return cc;
  }
  return null;
}

/** Where the built launcher is kept: one per source version and user, shared by test processes. */
export function launcherCacheDir(): string {
  return join(process.env.CONTINUITY_CACHE_DIR ?? tmpdir(), `continuity-kafka-mock-${userInfo().uid}`);
}

function build(): KafkaMockAvailability {
  const code = readFileSync(source);
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = launcherCacheDir();
  const launcher = join(dir, `kafka-mock-${hash}`);
  if (existsSync(launcher)) return { ok: true, launcher, skip: false };
  const missing = (reason: string): KafkaMockAvailability => ({ ok: false, reason, skip: `Kafka mock cluster unavailable: ${reason}` });
  const cc = compilerCommand();
  if (!cc) return missing('no C compiler (cc, gcc or clang) on PATH; install gcc and libc6-dev');
  if (!existsSync('/usr/include/librdkafka/rdkafka_mock.h') && !process.env.CFLAGS?.includes('-I')) {
    // Other prefixes still work through CFLAGS/LDFLAGS; this is only the common case's hint.
    const probe = spawnSync(cc, ['-E', '-x', 'c', '-'], { input: '#include <librdkafka/rdkafka_mock.h>\n', encoding: 'utf8' });
    if (probe.status !== 0) return missing('librdkafka headers not found (<librdkafka/rdkafka_mock.h>); install librdkafka-dev');
  }
  mkdirSync(dir, { recursive: true });
  // Built under a private name and renamed: test processes running in parallel
  // may build at the same time, and none may run a half-written file.
  const partial = `${launcher}.${process.pid}.tmp`;
  const cflags = (process.env.CFLAGS ?? '').split(/\s+/).filter(Boolean);
  const ldflags = (process.env.LDFLAGS ?? '').split(/\s+/).filter(Boolean);
  const result = spawnSync(cc, ['-O2', '-Wall', ...cflags, '-o', partial, source, ...ldflags, '-lrdkafka'], { encoding: 'utf8' });
  if (result.status !== 0) {
    rmSync(partial, { force: true });
    return missing(`building the launcher failed (${cc} … -lrdkafka): ${(result.stderr || result.error?.message || '').trim().split('\n').slice(0, 5).join(' | ')}`);
  }
  renameSync(partial, launcher);
  return { ok: true, launcher, skip: false };
}

/**
 * Builds the launcher if needed. Unavailable: a loud line on stderr and a skip
 * reason; under CI=true an exception, because CI must run the Kafka tests.
 */
export function kafkaMockAvailability(): KafkaMockAvailability {
  cached ??= build();
  if (!cached.ok) {
    const banner = `\n*** ${cached.skip} — the Kafka tests are SKIPPED ***\n`;
    if (process.env.CI === 'true') throw new Error(`${cached.skip}; CI=true requires the Kafka tests to run (.ci/run installs librdkafka-dev and gcc)`);
    process.stderr.write(banner);
  }
  return cached;
}

export interface KafkaMockOptions {
  /** Brokers of the cluster. Default 3, so partition leaders spread over several brokers. */
  brokers?: number;
  /** Topics created at start: name → partitions. */
  topics?: Record<string, number>;
}

export interface KafkaMock {
  /** Bootstrap addresses, `127.0.0.1:port`. */
  readonly brokers: string[];
  /** Create a topic through the mock API (the mock does not implement CreateTopics). */
  createTopic(name: string, partitions: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startKafkaMock(options: KafkaMockOptions = {}): Promise<KafkaMock> {
  const available = kafkaMockAvailability();
  if (!available.ok) throw new Error(available.skip);
  const args = ['--brokers', String(options.brokers ?? 3), ...Object.entries(options.topics ?? {}).map(([t, p]) => `${t}:${p}`)];
  const child: ChildProcessWithoutNullStreams = spawn(available.launcher, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  // KAFKA_MOCK_DEBUG=mock (librdkafka debug contexts) traces the cluster's group coordinator on stderr.
  child.stderr.on('data', (d) => (process.env.KAFKA_MOCK_DEBUG ? process.stderr.write(d) : (stderr += d)));
  const pending: ((line: string) => void)[] = [];
  let buffer = '';
  let bootstrap: ((line: string) => void) | null = null;
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString('utf8');
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.startsWith('bootstrap ') && bootstrap) bootstrap(line);
      // Topics given on the command line answer before the bootstrap line, to no one.
      else if (line.startsWith('ok ') || line.startsWith('error ')) pending.shift()?.(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    bootstrap = resolve;
    child.once('error', reject);
    void exited.then((code) => reject(new Error(`the Kafka mock exited with ${code} before listening: ${stderr.trim()}`)));
  });
  bootstrap = null;
  const brokers = line.slice('bootstrap '.length).trim().split(',');
  let chain = Promise.resolve();
  return {
    brokers,
    createTopic(name, partitions) {
      const run = chain.then(
        () =>
          new Promise<void>((resolve, reject) => {
            pending.push((answer) => (answer === `ok ${name}` ? resolve() : reject(new Error(`creating topic ${name}: ${answer}`))));
            child.stdin.write(`create ${name} ${partitions}\n`);
          }),
      );
      chain = run.catch(() => {});
      return run;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
