/**
 * Committed offsets of consumer groups: one JSON file per group in
 * `<topic>/groups/`, replaced atomically. Commits that arrive while a write is
 * under way are folded into the next write, so many members committing often
 * cost one fsync round per write, not one per commit.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ContinuityError } from '../../errors/registry.ts';
import type { CommittedOffset } from '../event-log.ts';
import { isErrno, isTempFile, writeFileAtomic } from './files.ts';

const FORMAT_VERSION = 1;

interface GroupFile {
  formatVersion: number;
  groupId: string;
  partitions: { partition: number; offset: number; metadata: string | null; committedAt: string | null }[];
}

export type LoadedGroup = GroupState;

interface GroupState {
  groupId: string;
  path: string;
  entries: { offset: number; metadata: string | null; committedAt: string | null }[];
  /** Bumped by every change; `written` trails it until the file holds that change. */
  version: number;
  written: number;
  writing: Promise<void> | null;
}

/** Group ids become file names: keep them readable, but never a path. */
export function groupFileName(groupId: string): string {
  return `${encodeURIComponent(groupId).replace(/^\./, '%2E')}.json`;
}

export class GroupOffsetStore {
  private readonly groups = new Map<string, Promise<GroupState>>();

  constructor(
    private readonly dir: string,
    private readonly partitions: number,
    private readonly fsync: boolean,
  ) {}

  /** Removes temp files a crash left behind; call while holding the log lock. */
  async cleanUp(): Promise<void> {
    for (const name of await readdir(this.dir)) if (isTempFile(name)) await rm(join(this.dir, name), { force: true });
  }

  private load(groupId: string): Promise<GroupState> {
    let state = this.groups.get(groupId);
    if (!state) {
      state = this.read(groupId);
      this.groups.set(groupId, state);
      state.catch(() => this.groups.delete(groupId));
    }
    return state;
  }

  private async read(groupId: string): Promise<GroupState> {
    const path = join(this.dir, groupFileName(groupId));
    const entries = Array.from({ length: this.partitions }, () => ({ offset: 0, metadata: null as string | null, committedAt: null as string | null }));
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
    if (text !== null) {
      let file: GroupFile;
      try {
        file = JSON.parse(text) as GroupFile;
        if (file.formatVersion !== FORMAT_VERSION || !Array.isArray(file.partitions)) throw new Error(`unknown format ${file.formatVersion}`);
      } catch (error) {
        throw new ContinuityError('CONT_ERR_LOG_CORRUPT', `committed offsets of group ${JSON.stringify(groupId)} in ${path} cannot be read: ${(error as Error).message}`, {
          cause: error,
        });
      }
      for (const e of file.partitions) {
        if (Number.isInteger(e.partition) && e.partition >= 0 && e.partition < this.partitions && Number.isInteger(e.offset) && e.offset >= 0) {
          entries[e.partition] = { offset: e.offset, metadata: e.metadata ?? null, committedAt: e.committedAt ?? null };
        }
      }
    }
    return { groupId, path, entries, version: 0, written: 0, writing: null };
  }

  async get(groupId: string): Promise<CommittedOffset[]> {
    const state = await this.load(groupId);
    return state.entries.map((e, partition) => ({ partition, offset: e.offset, metadata: e.metadata }));
  }

  /** A partition's latest commit, including one whose write is still under way. */
  committedOf(state: LoadedGroup, partition: number): CommittedOffset {
    const e = state.entries[partition];
    return { partition, offset: e.offset, metadata: e.metadata };
  }

  /** Applies the changes now (a member taking over a partition sees them at once) and resolves once they are durable. */
  async commit(groupId: string, changes: CommittedOffset[]): Promise<void> {
    const state = await this.load(groupId);
    this.apply(state, changes);
    await this.flush(state, state.version);
  }

  /**
   * Like `commit`, but applied before the first await when the group is loaded,
   * so a check made just before (is the partition still assigned?) still holds
   * when the change becomes visible.
   */
  commitLoaded(state: LoadedGroup, changes: CommittedOffset[]): Promise<void> {
    this.apply(state, changes);
    return this.flush(state, state.version);
  }

  /** Loads a group and returns its live state, for `commitLoaded`. */
  ensure(groupId: string): Promise<GroupState> {
    return this.load(groupId);
  }

  /** Resolves when no write of the group is under way. */
  async settled(groupId: string): Promise<void> {
    const state = await this.load(groupId);
    while (state.writing) await state.writing.catch(() => {});
  }

  async idle(): Promise<void> {
    for (const group of this.groups.values()) {
      const state = await group.catch(() => null);
      while (state?.writing) await state.writing.catch(() => {});
    }
  }

  private apply(state: GroupState, changes: CommittedOffset[]) {
    const now = new Date().toISOString();
    for (const c of changes) state.entries[c.partition] = { offset: c.offset, metadata: c.metadata, committedAt: now };
    state.version++;
  }

  private async flush(state: GroupState, version: number): Promise<void> {
    while (state.written < version) {
      if (state.writing) {
        await state.writing.catch(() => {});
        continue;
      }
      const writing = state.version;
      const file: GroupFile = {
        formatVersion: FORMAT_VERSION,
        groupId: state.groupId,
        partitions: state.entries.map((e, partition) => ({ partition, ...e })),
      };
      const write = writeFileAtomic(state.path, `${JSON.stringify(file, null, 1)}\n`, this.fsync);
      state.writing = write;
      try {
        await write;
        state.written = Math.max(state.written, writing);
      } finally {
        state.writing = null;
      }
    }
  }
}

