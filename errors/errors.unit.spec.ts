import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ContinuityError, errorRegistry } from './registry.ts';
import { projectRoot } from '../test-support/temp.ts';

describe('error registry', () => {
  const doc = readFileSync(join(projectRoot, 'docs/errors.md'), 'utf8');
  const documented = new Map(
    [...doc.matchAll(/^\| `(CONT_ERR_[A-Z_]+)` \| (\d{3}) \| (yes|no) \|/gm)].map((m) => [m[1], { status: Number(m[2]), retriable: m[3] === 'yes' }]),
  );

  it('documents every registered code with its status and retriable flag', () => {
    for (const [code, entry] of Object.entries(errorRegistry)) {
      assert.deepEqual(documented.get(code), { status: entry.status, retriable: entry.retriable }, `docs/errors.md row for ${code}`);
    }
  });

  it('documents no code the registry lacks', () => {
    assert.deepEqual([...documented.keys()].filter((c) => !(c in errorRegistry)), []);
  });

  it('names every code CONT_ERR_<AREA>_<PROBLEM>', () => {
    for (const code of Object.keys(errorRegistry)) assert.match(code, /^CONT_ERR_[A-Z]+_[A-Z_]+$/);
  });

  it('carries status and retriable from the registry', () => {
    const e = new ContinuityError('CONT_ERR_WAREHOUSE_UNAVAILABLE', 'down');
    assert.equal(e.status, 503);
    assert.equal(e.retriable, true);
    assert.deepEqual(e.toJSON(), { code: 'CONT_ERR_WAREHOUSE_UNAVAILABLE', message: 'down', retriable: true });
  });
});
