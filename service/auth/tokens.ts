/**
 * Bearer tokens of producers and analysts. Only the SHA-256 of each token is
 * configured (a tokens file, or the same list inline in `CONTINUITY_TOKENS`),
 * so the file can be read, versioned and copied without granting access.
 *
 *   - name: sgcc-billing
 *     sha256: 9f86d0…          # sha256 hex of the token
 *     orgs: [sgcc, sgcc-sh]    # ingest: the orgs it may submit events for ("*": any)
 *     scopes: [ingest]         # ingest → POST /v1/events, sql → POST /v1/sql, operate → replays, offsets, dead letters
 *     rate_per_second: 5000    # optional, overrides the service default
 *     burst: 20000             # optional
 *
 * The file is re-read when it changes (fs.watch, and an mtime poll where
 * watching is unreliable), so adding or revoking a token needs no restart. A
 * file that no longer parses keeps the last good list in force and warns.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ContinuityError } from '../../errors/registry.ts';

export const SCOPES = ['ingest', 'sql', 'operate'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Principal {
  readonly name: string;
  /** Orgs whose events the token may submit; `'*'`: any org. */
  readonly orgs: ReadonlySet<string> | '*';
  readonly scopes: ReadonlySet<Scope>;
  /** Per-token rate overrides (events per second, burst). */
  readonly ratePerSecond?: number;
  readonly burst?: number;
  /** The token the service made for commands on this machine (service.json); not rate-limited. */
  readonly local?: boolean;
}

const entrySchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'must be 1 to 64 letters, digits, ".", "_", "@" or "-"'),
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be the 64 hex digits of the SHA-256 of the token (continuity tokens create prints it)'),
    orgs: z.array(z.string().min(1)).optional(),
    scopes: z.array(z.enum(SCOPES)).min(1).default(['ingest']),
    rate_per_second: z.number().positive().optional(),
    burst: z.number().int().positive().optional(),
    /** Free text for the operator; ignored. */
    note: z.string().optional(),
  })
  .superRefine((entry, ctx) => {
    if (entry.scopes.includes('ingest') && (entry.orgs === undefined || entry.orgs.length === 0)) {
      ctx.addIssue({ code: 'custom', path: ['orgs'], message: 'an ingest token needs the orgs it may submit events for (or ["*"] for any)' });
    }
  });

export type TokenEntry = z.input<typeof entrySchema>;

interface StoredToken {
  hash: Buffer;
  principal: Principal;
}

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh random token: `ct_` and 32 random bytes in base64url (256 bits). */
export function generateToken(): string {
  return `ct_${randomBytes(32).toString('base64url')}`;
}

/**
 * Parses a tokens list (JSON or YAML). `knownOrgs` catches typos: an org the
 * catalog does not know could never match an event.
 */
export function parseTokens(text: string, source: string, knownOrgs?: ReadonlySet<string>): StoredToken[] {
  const fail = (reason: string): never => {
    throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `tokens (${source}): ${reason}`);
  };
  let raw: unknown;
  try {
    raw = parseYaml(text); // YAML is a superset of JSON
  } catch (error) {
    fail(`not valid JSON or YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (raw === null || raw === undefined) raw = [];
  const list = z.array(z.unknown()).safeParse(raw);
  if (!list.success) fail('must be a list of { name, sha256, orgs, scopes } entries');
  const tokens: StoredToken[] = [];
  const names = new Set<string>();
  const hashes = new Set<string>();
  (list.data as unknown[]).forEach((item, i) => {
    const parsed = entrySchema.safeParse(item);
    if (!parsed.success) {
      fail(parsed.error.issues.map((issue) => `entry ${i + 1}${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`).join('; '));
      return;
    }
    const e = parsed.data;
    const hash = e.sha256.toLowerCase();
    if (names.has(e.name)) fail(`entry ${i + 1}: the name ${JSON.stringify(e.name)} is used twice`);
    if (hashes.has(hash)) fail(`entry ${i + 1} (${e.name}): the same token hash is listed twice`);
    names.add(e.name);
    hashes.add(hash);
    const orgs = e.orgs ?? [];
    if (knownOrgs) {
      const unknown = orgs.filter((o) => o !== '*' && !knownOrgs.has(o));
      if (unknown.length > 0) fail(`entry ${i + 1} (${e.name}): unknown org ${unknown.map((o) => JSON.stringify(o)).join(', ')}`);
    }
    tokens.push({
      hash: Buffer.from(hash, 'hex'),
      principal: Object.freeze({
        name: e.name,
        orgs: orgs.includes('*') ? '*' : new Set(orgs),
        scopes: new Set(e.scopes),
        ...(e.rate_per_second === undefined ? {} : { ratePerSecond: e.rate_per_second }),
        ...(e.burst === undefined ? {} : { burst: e.burst }),
      }),
    });
  });
  return tokens;
}

export interface TokenStoreOptions {
  /** A tokens file, watched for changes. */
  file?: string;
  /** The same list inline (the `CONTINUITY_TOKENS` environment variable). */
  inline?: string;
  knownOrgs?: ReadonlySet<string>;
  /** How often the file's mtime is checked besides fs.watch. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Reload failures and other notices. Default: one line on stderr. */
  onWarning?: (message: string) => void;
}

export class TokenStore {
  private fileTokens: StoredToken[] = [];
  private readonly inlineTokens: StoredToken[];
  private readonly extra: StoredToken[] = [];
  private watcher: FSWatcher | null = null;
  private poller: NodeJS.Timeout | null = null;
  private fingerprint = '';
  private failedStamp = '';
  private lastWarning = '';
  private debounce: NodeJS.Timeout | null = null;
  private readonly file?: string;
  private readonly warn: (message: string) => void;
  private readonly reloadListeners = new Set<() => void>();
  /** Times the file was (re)loaded successfully. */
  loads = 0;

  constructor(private readonly options: TokenStoreOptions) {
    this.warn = options.onWarning ?? ((m) => process.stderr.write(`continuity: ${m}\n`));
    this.inlineTokens = options.inline ? parseTokens(options.inline, 'CONTINUITY_TOKENS', options.knownOrgs) : [];
    if (options.file) {
      this.file = resolve(options.file);
      // The first read fails loudly: a service must not start on a broken file.
      this.fileTokens = this.readFile();
      this.loads++;
      this.watch();
    }
  }

  /** Tokens configured by the operator (file and inline), not counting added ones. */
  get configured(): number {
    return this.fileTokens.length + this.inlineTokens.length;
  }

  /** Adds a token for this process only (the service's local token). */
  add(token: string, principal: Omit<Principal, 'name'> & { name: string }): void {
    this.extra.push({ hash: createHash('sha256').update(token, 'utf8').digest(), principal: Object.freeze({ ...principal }) });
  }

  /**
   * The principal of a presented token, or null. Every stored hash is compared
   * in constant time, so the time taken says nothing about which one (if any)
   * was close.
   */
  authenticate(token: string): Principal | null {
    const presented = createHash('sha256').update(token, 'utf8').digest();
    let found: Principal | null = null;
    for (const list of [this.fileTokens, this.inlineTokens, this.extra]) {
      for (const t of list) if (timingSafeEqual(t.hash, presented) && found === null) found = t.principal;
    }
    return found;
  }

  /** Re-reads the file if it changed; keeps the last good list if it no longer parses. Returns whether it changed. */
  reload(): boolean {
    if (!this.file) return false;
    let stamp: string;
    try {
      stamp = this.stamp();
    } catch (error) {
      this.warnOnce('missing', `${(error as Error).message}; keeping the ${this.fileTokens.length} token(s) loaded before`);
      return false;
    }
    if (stamp === this.fingerprint || stamp === this.failedStamp) return false;
    let tokens: StoredToken[];
    try {
      const text = readFileSync(this.file, 'utf8');
      // An empty file is most often one being rewritten in place; revoking
      // every token takes an explicit empty list.
      if (text.trim() === '') throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `tokens file ${this.file} is empty (write [] to revoke every token)`);
      tokens = parseTokens(text, this.file, this.options.knownOrgs);
    } catch (error) {
      this.failedStamp = stamp;
      this.warnOnce(stamp, `${(error as Error).message}; keeping the ${this.fileTokens.length} token(s) loaded before`);
      return false;
    }
    this.fingerprint = stamp;
    this.failedStamp = '';
    this.fileTokens = tokens;
    this.loads++;
    for (const l of this.reloadListeners) l();
    return true;
  }

  private warnOnce(key: string, message: string) {
    if (this.lastWarning === key) return;
    this.lastWarning = key;
    this.warn(message);
  }

  /** Calls `listener` after each successful reload of the file; returns the unsubscribe. */
  onReload(listener: () => void): () => void {
    this.reloadListeners.add(listener);
    return () => this.reloadListeners.delete(listener);
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.poller) clearInterval(this.poller);
    if (this.debounce) clearTimeout(this.debounce);
    this.poller = null;
  }

  private stamp(): string {
    try {
      const s = statSync(this.file!);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `tokens file ${this.file} does not exist`);
      throw error;
    }
  }

  private readFile(): StoredToken[] {
    const fingerprint = this.stamp();
    const tokens = parseTokens(readFileSync(this.file!, 'utf8'), this.file!, this.options.knownOrgs);
    this.fingerprint = fingerprint;
    return tokens;
  }

  private watch() {
    // The directory, not the file: editors and `mv` replace the file, which
    // ends a watch on the old inode.
    try {
      const name = basename(this.file!);
      this.watcher = watch(dirname(this.file!), { persistent: false }, (_event, changed) => {
        if (changed !== null && changed !== name) return;
        // A write arrives as several events; read once they settle.
        if (this.debounce) clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.reload(), 50);
        this.debounce.unref();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      this.watcher = null;
    }
    this.poller = setInterval(() => this.reload(), this.options.pollIntervalMs ?? 1000);
    this.poller.unref();
  }
}
