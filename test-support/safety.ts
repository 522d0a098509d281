/** Helpers of the reliability and security tests: events with known ids and quantities, tokens files, waiting. */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { serializeEvent, type ContinuityEvent } from '../schemas/index.ts';

/** A UUID (v4 layout) from a seeded PRNG, so a run can be repeated. */
export function seededUuid(next: () => number): string {
  const b = Buffer.alloc(16);
  for (let i = 0; i < 16; i += 4) b.writeUInt32BE(Math.floor(next() * 2 ** 32) >>> 0, i);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How producers derive customer_ref (README, "Operating safely"). */
export function pseudonym(key: string, accountNumber: string): string {
  return createHmac('sha256', key).update(accountNumber).digest('base64url');
}

/** A valid suspension.waived event of `org` with the given id and quantity. */
export function waived(org: string, id: string, quantity = 1, extra: Partial<ContinuityEvent> = {}): ContinuityEvent {
  return {
    id,
    type: 'suspension.waived',
    schema_version: 1,
    occurred_at: '2020-02-03T18:00:00+08:00',
    org,
    region: org.startsWith('sgcc-sh') ? '310000' : '420100',
    quantity,
    source: 'safety-test',
    data: { service: org.startsWith('china-') ? 'telecom' : org === 'cr-gas' ? 'gas' : 'power' },
    ...extra,
  } as ContinuityEvent;
}

export const ndjson = (events: ContinuityEvent[]) => events.map(serializeEvent).join('\n') + '\n';

export interface TestToken {
  name: string;
  token: string;
  orgs?: string[];
  scopes?: ('ingest' | 'sql')[];
  rate_per_second?: number;
  burst?: number;
}

export function makeToken(spec: Omit<TestToken, 'token'>): TestToken {
  return { ...spec, token: `ct_${randomBytes(24).toString('base64url')}` };
}

/** The tokens file entries (hashes only) of some tokens. */
export function tokenEntries(tokens: TestToken[]) {
  return tokens.map(({ token, ...rest }) => ({ ...rest, sha256: createHash('sha256').update(token).digest('hex') }));
}

export function writeTokensFile(path: string, tokens: TestToken[]) {
  const temp = `${path}.tmp`;
  writeFileSync(temp, JSON.stringify(tokenEntries(tokens), null, 2));
  // Renamed into place, as an operator's tooling would, so the service never reads half a file.
  renameSync(temp, path);
}

export const bearer = (t: { token: string }) => ({ authorization: `Bearer ${t.token}` });

/** Polls `check` until it returns true; fails after `timeoutMs`. For state that settles asynchronously, never to measure time. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
