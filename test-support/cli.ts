import { spawn, spawnSync, type ChildProcessByStdio, type SpawnSyncReturns } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { join } from 'node:path';
import { projectRoot } from './temp.ts';

export const cliPath = join(projectRoot, 'bin/continuity.mjs');

/** Runs the real `continuity` command in its own process. */
export function runCli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cliPath, ...args], {
    cwd: projectRoot,
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    env: { ...process.env, CONTINUITY_DATA_DIR: '', CLICKHOUSE_URL: '', KAFKA_BROKERS: '', ...options.env },
  });
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, stdin: 'ignore' | 'pipe' = 'ignore'): ChildProcessByStdio<Writable | null, Readable, Readable> {
  return spawn(process.execPath, [cliPath, ...args], {
    cwd: projectRoot,
    stdio: [stdin, 'pipe', 'pipe'],
    env: { ...process.env, CONTINUITY_DATA_DIR: '', CLICKHOUSE_URL: '', KAFKA_BROKERS: '', ...env },
    // stdout and stderr are pipes whichever stdin is; spawn's overloads cannot tell.
  }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
}

/** Like runCli, without blocking this process's event loop (needed when this process serves). */
export function runCliAsync(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, options.env, options.input === undefined ? 'ignore' : 'pipe');
    if (options.input !== undefined) child.stdin!.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
