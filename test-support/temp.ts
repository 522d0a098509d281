import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { loadConfig, type ConfigInput, type FrozenConfig } from '../config/config.ts';
import { getWarehouse, type Warehouse } from '../warehouse/index.ts';

/** A fresh directory under the OS temp dir, removed by the returned cleanup. */
export function tempDir(prefix = 'continuity-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Each test its own table, as clickhouse-js' tests do. */
export function randomName(prefix = 't'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/**
 * Configuration of a test pipeline: its own data dir, no environment leaking in.
 * A service started from it runs without tokens (`insecureDev`) unless the
 * test gives `auth` itself.
 */
export function testConfig(dataDir: string, overrides: ConfigInput = {}): FrozenConfig {
  return loadConfig({ dataDir, http: { port: 0 }, auth: { insecureDev: true }, ...overrides }, {});
}

export const projectRoot = new URL('..', import.meta.url).pathname;

/**
 * An embedded warehouse in a directory of its own for the suite it is called
 * in: opened before its tests, closed and removed after them.
 */
export function suiteWarehouse(prefix?: string): { readonly warehouse: Warehouse; readonly dir: string } {
  const tmp = tempDir(prefix);
  let warehouse: Warehouse | null = null;
  before(async () => {
    warehouse = await getWarehouse({ path: tmp.dir });
  });
  after(async () => {
    await warehouse?.close();
    tmp.cleanup();
  });
  return {
    get warehouse() {
      if (!warehouse) throw new Error('the suite warehouse is opened by a before() hook');
      return warehouse;
    },
    dir: tmp.dir,
  };
}
