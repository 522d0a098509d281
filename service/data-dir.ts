/**
 * One data directory, one owner. The process that opens the embedded log and
 * chDB holds `<data-dir>/LOCK`; a running service also writes
 * `<data-dir>/service.json` so other commands reach the data through it.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ContinuityError } from '../errors/registry.ts';

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DataDirLock {
  readonly dir: string;
  release(): void;
}

export function lockDataDir(dataDir: string, purpose: string): DataDirLock {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, purpose, since: new Date().toISOString() }));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          const owner = JSON.parse(readFileSync(path, 'utf8'));
          if (owner.pid === process.pid) rmSync(path, { force: true });
        } catch {
          /* already gone */
        }
      };
      process.once('exit', release);
      return { dir, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner: { pid: number; purpose: string } | undefined;
      try {
        owner = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        owner = undefined;
      }
      if (owner && alive(owner.pid) && owner.pid !== process.pid) {
        throw new ContinuityError(
          'CONT_ERR_DATA_DIR_BUSY',
          `data directory ${dir} is in use by process ${owner.pid} (${owner.purpose}); stop it, or run this command while the service is up so it goes through the service`,
        );
      }
      // The owner died without cleaning up (kill -9): the lock is stale.
      rmSync(path, { force: true });
    }
  }
  throw new ContinuityError('CONT_ERR_DATA_DIR_BUSY', `could not lock data directory ${dir}`);
}

export interface ServiceInfo {
  pid: number;
  url: string;
  startedAt: string;
  /** A token of this run for the commands of this machine (the file is readable by its owner only). */
  token?: string;
}

export function writeServiceInfo(dataDir: string, info: ServiceInfo) {
  // Written aside and renamed, so a reader never sees half of it and the mode holds even over a stale file.
  const path = join(resolve(dataDir), 'service.json');
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(info, null, 2), { mode: 0o600 });
  renameSync(temp, path);
}

export function removeServiceInfo(dataDir: string) {
  rmSync(join(resolve(dataDir), 'service.json'), { force: true });
}

/** The service holding this data directory, if one is running. */
export function runningService(dataDir: string): ServiceInfo | null {
  try {
    const info = JSON.parse(readFileSync(join(resolve(dataDir), 'service.json'), 'utf8')) as ServiceInfo;
    return alive(info.pid) && info.pid !== process.pid ? info : null;
  } catch {
    return null;
  }
}
