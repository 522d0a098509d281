import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

let tempCounter = 0;

/** Makes a directory's entries (files created, renamed into it) survive a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` so that a reader (or a crash) sees either the old content or
 * the new one, never a mix: write a temp file, fsync it, rename it over, fsync
 * the directory so the rename itself is durable.
 */
export async function writeFileAtomic(path: string, data: string | Buffer, fsync: boolean): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${++tempCounter}`;
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
  if (fsync) await fsyncDir(dirname(path));
}

/** Temp files of `writeFileAtomic` left by a crash; only the lock holder may remove them. */
export function isTempFile(name: string): boolean {
  return /\.tmp-\d+-\d+$/.test(name);
}

export function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}
