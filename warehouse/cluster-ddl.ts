/**
 * The migrations for a replicated ClickHouse cluster, from the same files
 * (`CLICKHOUSE_CLUSTER` names the cluster of the server's `remote_servers`):
 *
 *   CREATE TABLE t (…) ENGINE = MergeTree …        →  CREATE TABLE t_local ON CLUSTER c (…)
 *                                                        ENGINE = ReplicatedMergeTree('/clickhouse/tables/{uuid}/{shard}', '{replica}') …
 *                                                      CREATE TABLE t ON CLUSTER c AS t_local
 *                                                        ENGINE = Distributed(c, currentDatabase(), t_local, cityHash64(id))
 *   ALTER TABLE t …                                →  on t_local, and on t too when it changes columns or comments
 *   CREATE [OR REPLACE] VIEW|FUNCTION v …          →  … v ON CLUSTER c …
 *
 * Analysts, views and loaders keep using the names they know: `events` is the
 * Distributed table in front of the replicated `events_local` on every shard.
 * A row's shard follows its `id` where the table has one, so every copy of an
 * id lands on one shard. The replica path is ClickHouse's own default (the
 * table's uuid and the `{shard}` macro); `{shard}` and `{replica}` must be
 * defined in each server's macros. Anything else a migration might hold is
 * refused rather than run on one node only.
 */
import { ContinuityError } from '../errors/registry.ts';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function clusterIdentifier(cluster: string): string {
  if (IDENTIFIER.test(cluster)) return cluster;
  if (/^[A-Za-z0-9_.-]+$/.test(cluster)) return `\`${cluster}\``;
  throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `not a valid ClickHouse cluster name: ${JSON.stringify(cluster)}`);
}

const CREATE_TABLE = /^CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(\(.*\))\s*ENGINE\s*=\s*([A-Za-z]*MergeTree)(?:\s*\(([^)]*)\))?(.*)$/is;
const ALTER_TABLE = /^ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$/is;
const CREATE_ON_NAME = /^(CREATE\s+(?:OR\s+REPLACE\s+)?(?:VIEW|FUNCTION)\s+(?:IF\s+NOT\s+EXISTS\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s)/is;
/** Changes a Distributed table must follow: its columns and comments. */
const DISTRIBUTED_TOO = /^(?:(?:ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN|MODIFY\s+COMMENT)\b/i;

export class ClusterDdl {
  private readonly c: string;
  /** Tables made replicated + distributed so far, in migration order. */
  readonly tables = new Set<string>();

  constructor(cluster: string) {
    this.c = clusterIdentifier(cluster);
  }

  /** The statements to run on the cluster for one statement of a migration. */
  rewrite(statement: string): string[] {
    const sql = statement.trim();
    const table = CREATE_TABLE.exec(sql);
    if (table) {
      const [, name, columns, engine, args, rest] = table;
      this.tables.add(name);
      const local = `${name}_local`;
      const engineArgs = ["'/clickhouse/tables/{uuid}/{shard}'", "'{replica}'", ...(args?.trim() ? [args.trim()] : [])].join(', ');
      const shardKey = /(?:^|[(,])\s*id\s+String\b/m.test(columns) ? 'cityHash64(id)' : 'rand()';
      return [
        `CREATE TABLE IF NOT EXISTS ${local} ON CLUSTER ${this.c} ${columns}\nENGINE = Replicated${engine}(${engineArgs})${rest}`,
        `CREATE TABLE IF NOT EXISTS ${name} ON CLUSTER ${this.c} AS ${local}\nENGINE = Distributed(${this.c}, currentDatabase(), ${local}, ${shardKey})`,
      ];
    }
    const alter = ALTER_TABLE.exec(sql);
    if (alter) {
      const [, name, action] = alter;
      if (!this.tables.has(name)) return [`ALTER TABLE ${name} ON CLUSTER ${this.c} ${action}`];
      const statements = [`ALTER TABLE ${name}_local ON CLUSTER ${this.c} ${action}`];
      if (DISTRIBUTED_TOO.test(action)) statements.push(`ALTER TABLE ${name} ON CLUSTER ${this.c} ${action}`);
      return statements;
    }
    if (/^CREATE\s+TABLE\b/i.test(sql)) {
      throw new ContinuityError('CONT_ERR_WAREHOUSE_MIGRATION', `cannot make this table replicated on a cluster (only *MergeTree engines are): ${sql.slice(0, 200)}`);
    }
    const named = CREATE_ON_NAME.exec(sql);
    if (named) return [sql.replace(CREATE_ON_NAME, `$1$2 ON CLUSTER ${this.c}$3`)];
    throw new ContinuityError('CONT_ERR_WAREHOUSE_MIGRATION', `no cluster form for this migration statement; it would run on one node only: ${sql.slice(0, 200)}`);
  }
}
