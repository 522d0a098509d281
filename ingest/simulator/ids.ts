/**
 * Name-based event ids (UUID version 5, RFC 9562): the same scenario part and
 * index give the same id on every run, so replaying a scenario into a log that
 * already holds it adds only duplicates the processors drop.
 */
import { createHash } from 'node:crypto';

/** The namespace of every id the simulator derives. */
export const SIMULATOR_NAMESPACE = '8add6d8c-b92b-4987-8ad0-a1bb303a30c8';

const namespaceBytes = Buffer.from(SIMULATOR_NAMESPACE.replace(/-/g, ''), 'hex');
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function uuidV5(name: string, namespace: Buffer = namespaceBytes): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  let out = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) out += '-';
    out += HEX[hash[i]];
  }
  return out;
}
