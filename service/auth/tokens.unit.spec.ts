import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isContinuityError } from '../../errors/registry.ts';
import { tempDir } from '../../test-support/temp.ts';
import { generateToken, parseTokens, sha256Hex, TokenStore } from './tokens.ts';

const orgs = new Set(['sgcc', 'sgcc-sh', 'china-mobile']);
const invalid = (text: string, reason: RegExp) =>
  assert.throws(
    () => parseTokens(text, 'test', orgs),
    (e: unknown) => isContinuityError(e, 'CONT_ERR_CONFIG_INVALID') && reason.test(e.message),
  );

describe('tokens', () => {
  const a = generateToken();
  const b = generateToken();

  it('makes 256-bit random tokens', () => {
    assert.match(a, /^ct_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
  });

  it('reads JSON and YAML lists of hashes, scopes defaulting to ingest', () => {
    const json = parseTokens(JSON.stringify([{ name: 'x', sha256: sha256Hex(a), orgs: ['sgcc'] }]), 'test', orgs);
    assert.deepEqual([...json[0].principal.scopes], ['ingest']);
    const yaml = parseTokens(`- name: analyst\n  sha256: ${sha256Hex(b).toUpperCase()}\n  scopes: [sql]\n- name: all\n  sha256: ${sha256Hex('c')}\n  orgs: ["*"]\n`, 'test', orgs);
    assert.equal(yaml[0].principal.name, 'analyst');
    assert.equal(yaml[1].principal.orgs, '*');
    assert.deepEqual(parseTokens('[]', 'test', orgs), []);
  });

  it('refuses entries the service could not enforce, naming the entry', () => {
    invalid('{"name": "x"}', /must be a list/);
    invalid('[{"name": "x", "sha256": "abc", "orgs": ["sgcc"]}]', /entry 1\.sha256: must be the 64 hex digits/);
    invalid(`[{"name": "x", "sha256": "${sha256Hex(a)}"}]`, /entry 1\.orgs: an ingest token needs the orgs/);
    invalid(`[{"name": "x", "sha256": "${sha256Hex(a)}", "orgs": ["sgcc"], "scopes": ["admin"]}]`, /entry 1\.scopes\.0/);
    invalid(`[{"name": "x", "sha256": "${sha256Hex(a)}", "orgs": ["sgc"]}]`, /entry 1 \(x\): unknown org "sgc"/);
    invalid(`[{"name": "x", "sha256": "${sha256Hex(a)}", "orgs": ["sgcc"]}, {"name": "x", "sha256": "${sha256Hex(b)}", "orgs": ["sgcc"]}]`, /entry 2: the name "x" is used twice/);
    invalid(`[{"name": "x", "sha256": "${sha256Hex(a)}", "orgs": ["sgcc"]}, {"name": "y", "sha256": "${sha256Hex(a)}", "orgs": ["sgcc"]}]`, /entry 2 \(y\): the same token hash is listed twice/);
    invalid(`[{"name": "x", "sha256": "${sha256Hex(a)}", "orgs": ["sgcc"], "token": "${a}"}]`, /entry 1: Unrecognized key: "token"/);
  });

  it('finds the principal of a token, from the file, inline and added, and nobody for anything else', () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'tokens.yaml');
      writeFileSync(file, `- { name: file-one, sha256: ${sha256Hex(a)}, orgs: [sgcc] }\n`);
      const store = new TokenStore({ file, inline: JSON.stringify([{ name: 'inline-one', sha256: sha256Hex(b), scopes: ['sql'] }]), knownOrgs: orgs });
      try {
        store.add('local-secret', { name: 'local:service.json', orgs: '*', scopes: new Set(['ingest', 'sql']), local: true });
        assert.equal(store.authenticate(a)?.name, 'file-one');
        assert.equal(store.authenticate(b)?.name, 'inline-one');
        assert.equal(store.authenticate('local-secret')?.name, 'local:service.json');
        assert.equal(store.authenticate(a.slice(0, -1)), null);
        assert.equal(store.authenticate(''), null);
        assert.equal(store.configured, 2);
      } finally {
        store.close();
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('re-reads a changed file, ignores an empty one (a rewrite in progress) and a broken one, warning once', () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'tokens.json');
      writeFileSync(file, JSON.stringify([{ name: 'one', sha256: sha256Hex(a), orgs: ['sgcc'] }]));
      const warnings: string[] = [];
      const store = new TokenStore({ file, onWarning: (m) => warnings.push(m), pollIntervalMs: 60_000 });
      try {
        assert.equal(store.reload(), false, 'unchanged');
        writeFileSync(file, '');
        assert.equal(store.reload(), false);
        assert.equal(store.authenticate(a)?.name, 'one');
        writeFileSync(file, '[{"name": "two", "sha');
        assert.equal(store.reload(), false);
        assert.equal(store.reload(), false);
        assert.equal(store.authenticate(a)?.name, 'one');
        assert.equal(warnings.length, 2);
        assert.match(warnings[0], /is empty \(write \[\] to revoke every token\); keeping the 1 token\(s\) loaded before/);
        assert.match(warnings[1], /not valid JSON or YAML/);
        writeFileSync(file, JSON.stringify([{ name: 'two', sha256: sha256Hex(b), orgs: ['sgcc'] }]) + '\n');
        assert.equal(store.reload(), true);
        assert.equal(store.authenticate(a), null);
        assert.equal(store.authenticate(b)?.name, 'two');
        writeFileSync(file, '[]');
        assert.equal(store.reload(), true);
        assert.equal(store.authenticate(b), null);
      } finally {
        store.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
