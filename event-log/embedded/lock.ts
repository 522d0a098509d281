/**
 * One writer per log directory: a lock file holding the owner's pid, created
 * with O_EXCL. A lock whose pid is no longer alive (kill -9, power loss) is
 * stale and taken over, so a crash never needs manual cleanup.
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContinuityError } from '../../errors/registry.ts';
import { isErrno } from './files.ts';

export interface LogLock {
  readonly path: string;
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else; still alive.
    return !isErrno(error, 'ESRCH');
  }
}

async function readOwner(path: string): Promise<{ pid: number | null; ino: number } | null> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const pid = /^\d+\n?$/.test(text) ? Number.parseInt(text, 10) : null;
    return { pid, ino: info.ino };
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
}

export async function acquireLock(path: string, what: string, warn: (message: string) => void): Promise<LogLock> {
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return {
        path,
        async release() {
          const owner = await readOwner(path);
          if (owner?.pid === process.pid) await unlink(path).catch(() => {});
        },
      };
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
    if (attempt >= 20) throw new ContinuityError('CONT_ERR_LOG_LOCKED', `${what}: the lock file ${path} keeps changing; another process is opening the log`, { details: { lockFile: path } });
    const owner = await readOwner(path);
    if (owner === null) continue; // released between our create and our read
    if (owner.pid !== null && isAlive(owner.pid)) {
      throw new ContinuityError('CONT_ERR_LOG_LOCKED', `${what} is held by process ${owner.pid} (lock file ${path}); stop it or use another data directory`, {
        details: { pid: owner.pid, lockFile: path },
      });
    }
    if (owner.pid === null && attempt < 5) {
      // An owner may be between creating the file and writing its pid.
      await sleep(20);
      continue;
    }
    // Remove only the file we judged stale: another process may have taken it
    // over and written a fresh lock in the meantime.
    const again = await readOwner(path);
    if (again && again.ino === owner.ino && again.pid === owner.pid) {
      await unlink(path).catch((e) => {
        if (!isErrno(e, 'ENOENT')) throw e;
      });
      warn(`${what}: took over the lock of process ${owner.pid ?? '(unknown)'}, which is no longer running`);
    }
  }
}
