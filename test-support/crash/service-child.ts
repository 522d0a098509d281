/**
 * A real `continuity serve` in a child process, to be killed with SIGKILL and
 * started again on the same data directory, and a producer that talks to
 * whichever incarnation is up.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnCli } from '../cli.ts';

export interface ServiceChild {
  readonly url: string;
  readonly pid: number;
  output(): string;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

export async function startServiceChild(args: string[], env: NodeJS.ProcessEnv): Promise<ServiceChild> {
  const child = spawnCli(['serve', ...args], env) as unknown as ChildProcessWithoutNullStreams;
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const look = () => {
      const m = /continuity serving at (\S+)/.exec(output);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', look);
    exited.then((code) => reject(new Error(`continuity serve exited with ${code} before serving:\n${output}`)));
  });
  return {
    url,
    pid: child.pid!,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

export type Outcome = { status: number; body: string } | { status: 'unanswered'; error: string };

/** One request; a connection that breaks (the service was killed) is `unanswered`, never an exception. */
export async function send(url: string, path: string, init: RequestInit): Promise<Outcome> {
  try {
    const res = await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(60_000) });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    return { status: 'unanswered', error: String((error as Error).cause ?? error) };
  }
}

/** Polls the service until its processors have committed everything in the log. */
export async function untilProcessed(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await send(url, '/metrics', { method: 'GET' });
    if (res.status === 200 && /^continuity_processor_lag_events\{group="continuity-warehouse"\} 0$/m.test((res as { body: string }).body)) return;
    if (Date.now() > deadline) throw new Error('the processors did not catch up');
    await sleep(50);
  }
}

/** The processors' lag as /metrics reports it, or null when the service does not answer. */
export async function lagOf(url: string): Promise<number | null> {
  const res = await send(url, '/metrics', { method: 'GET' });
  if (res.status !== 200) return null;
  const m = /^continuity_processor_lag_events\{group="continuity-warehouse"\} (\d+)$/m.exec((res as { body: string }).body);
  return m ? Number(m[1]) : null;
}
