/** `continuity serve` and `demo` as an operator runs them: closed by default, open only when asked, tokens from the CLI. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCliAsync, spawnCli } from '../../test-support/cli.ts';
import { ndjson, pseudonym, waived } from '../../test-support/safety.ts';
import { tempDir } from '../../test-support/temp.ts';

/** Starts `continuity <args>` and resolves once it serves; collects everything it prints. */
async function serve(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawnCli(args, env);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /continuity serving at (\S+)/.exec(output);
      if (m) resolve(m[1]);
    });
    exited.then((code) => reject(new Error(`exited with ${code} before serving:\n${output}`)));
  });
  return {
    url,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('continuity serve, closed by default', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('refuses to start without tokens, says how to make one, and leaves the data directory untouched', async () => {
    const dataDir = join(tmp.dir, 'refused');
    const r = await runCliAsync(['serve', '--data-dir', dataDir, '--port', '0']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^continuity: CONT_ERR_AUTH_NOT_CONFIGURED: no tokens are configured/m);
    assert.match(r.stderr, /continuity tokens create --name <producer> --org <org> --file tokens\.json/);
    assert.match(r.stderr, /--insecure-dev/);
    assert.equal(existsSync(join(dataDir, 'LOCK')), false);
  });

  it('serves without tokens only with --insecure-dev, and says so', async () => {
    const service = await serve(['serve', '--insecure-dev', '--data-dir', join(tmp.dir, 'open'), '--port', '0']);
    try {
      assert.match(service.output(), /WARNING: --insecure-dev and no tokens: anyone who reaches this port may ingest and query/);
      const res = await fetch(`${service.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: ndjson([waived('sgcc', randomUUID())]) });
      assert.equal(res.status, 200);
    } finally {
      assert.equal(await service.stop(), 0);
    }
  });

  it('enforces a tokens file made by `continuity tokens create`, and the local commands authenticate through service.json; nothing it prints holds a customer_ref', async () => {
    const tokensFile = join(tmp.dir, 'tokens.json');
    const created = await runCliAsync(['tokens', 'create', '--name', 'sgcc-billing', '--org', 'sgcc', '--file', tokensFile]);
    assert.equal(created.status, 0, created.stderr);
    const token = /^(ct_[A-Za-z0-9_-]{43})$/m.exec(created.stdout)![1];
    assert.ok(!readFileSync(tokensFile, 'utf8').includes(token), 'the file holds the hash, never the token');

    const dataDir = join(tmp.dir, 'closed');
    const service = await serve(['serve', '--tokens', tokensFile, '--data-dir', dataDir, '--port', '0']);
    const refs = [pseudonym('k', '6222021234567890'), pseudonym('k', '6222021234567891')];
    try {
      assert.match(service.output(), /tokens: 1 configured from file .*tokens\.json \(re-read on change\); commands on this machine use the token in .*service\.json/);
      assert.ok(!service.output().includes(token));
      const body = ndjson(refs.map((customer_ref) => waived('sgcc', randomUUID(), 1, { customer_ref })));
      const anonymous = await fetch(`${service.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
      assert.equal(anonymous.status, 401);
      const res = await fetch(`${service.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}` }, body });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).accepted, 2);

      // A file with a raw phone number among pseudonyms, imported through the service with its local token.
      const file = join(tmp.dir, 'import.ndjson');
      writeFileSync(file, ndjson([waived('china-mobile', randomUUID(), 1, { customer_ref: pseudonym('k', '13812345678') }), waived('china-mobile', randomUUID(), 1, { customer_ref: '13812345678' })]));
      const imported = await runCliAsync(['ingest', file, '--data-dir', dataDir]);
      assert.equal(imported.status, 2, imported.stderr);
      assert.match(imported.stdout, /ingested 2 lines: 1 accepted, 1 rejected \(kept as dead letters\) \[via the running service\]/);
      assert.match(imported.stderr, /^line 2: customer_ref: looks like a mobile phone number; send a keyed pseudonym instead/m);
      assert.ok(!imported.stderr.includes('13812345678'), 'the rejection repeats the phone number');
    } finally {
      assert.equal(await service.stop(), 0);
    }
    for (const ref of [...refs, '13812345678']) assert.ok(!service.output().includes(ref), `the service printed ${ref}`);
  });

  it('runs the demo out of the box on a token it makes and prints', async () => {
    const dataDir = join(tmp.dir, 'demo');
    const r = await runCliAsync(['demo', '--exit', '--data-dir', dataDir, '--port', '0']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /✓ {7}1,169,500 \(116\.95万\)/);
    assert.match(r.stdout, /^Token of this run \(every org; ingest and sql\): ct_[A-Za-z0-9_-]{43}$/m);
    assert.equal(existsSync(join(dataDir, 'service.json')), false, 'the token goes away with the demo');
  });
});
