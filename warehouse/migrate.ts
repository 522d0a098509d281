/**
 * Numbered `.sql` files in `migrations/`, applied once each, in order, and
 * recorded in `schema_migrations` with a checksum: a migration edited after it
 * was applied is refused rather than silently skipped.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContinuityError } from '../errors/registry.ts';
import { ClusterDdl } from './cluster-ddl.ts';
import type { Warehouse } from './warehouse.ts';

export const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function loadMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex').slice(0, 16),
      };
    });
}

/** Statements of one file, split on semicolons that end a line; comments dropped. */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

export interface MigrateOptions {
  /** A ClickHouse cluster (CLICKHOUSE_CLUSTER): the same migrations, replicated and distributed over it (cluster-ddl.ts). */
  cluster?: string;
}

export async function migrate(warehouse: Warehouse, migrations = loadMigrations(), options: MigrateOptions = {}): Promise<MigrateResult> {
  const cluster = options.cluster ? new ClusterDdl(options.cluster) : null;
  const run = async (statement: string) => {
    for (const s of cluster ? cluster.rewrite(statement) : [statement]) await warehouse.command(s);
  };
  await run(`CREATE TABLE IF NOT EXISTS schema_migrations
    (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
    ENGINE = MergeTree ORDER BY version`);
  const done = new Map(
    (await warehouse.rows<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM schema_migrations')).map((r) => [
      Number(r.version),
      r,
    ]),
  );
  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  for (const m of migrations) {
    const previous = done.get(m.version);
    if (previous) {
      if (previous.checksum !== m.checksum) {
        throw new ContinuityError(
          'CONT_ERR_WAREHOUSE_MIGRATION',
          `migration ${m.name} was changed after it was applied (applied checksum ${previous.checksum}, file ${m.checksum}); add a new numbered migration instead`,
        );
      }
      result.alreadyApplied.push(m.name);
      // On a cluster, later statements need to know which names are replicated tables.
      if (cluster) for (const statement of splitStatements(m.sql)) cluster.rewrite(statement);
      continue;
    }
    for (const statement of splitStatements(m.sql)) {
      try {
        await run(statement);
      } catch (error) {
        throw new ContinuityError('CONT_ERR_WAREHOUSE_MIGRATION', `migration ${m.name} failed: ${(error as Error).message}`, { cause: error });
      }
    }
    await warehouse.command('INSERT INTO schema_migrations (version, name, checksum) VALUES ({v:UInt32}, {n:String}, {c:String})', {
      v: m.version,
      n: m.name,
      c: m.checksum,
    });
    result.applied.push(m.name);
  }
  return result;
}
