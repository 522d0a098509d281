/**
 * The migrations' cluster form (CLICKHOUSE_CLUSTER). No cluster runs here: the
 * statements are checked exactly for the shapes the migrations use, and every
 * statement of every migration is given to ClickHouse's own parser (chDB,
 * EXPLAIN AST) in its cluster form.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isContinuityError } from '../errors/registry.ts';
import { tempDir } from '../test-support/temp.ts';
import { ClusterDdl } from './cluster-ddl.ts';
import { loadMigrations, splitStatements } from './migrate.ts';
import { getWarehouse, type Warehouse } from './warehouse.ts';

describe('migrations on a ClickHouse cluster', () => {
  it('makes a MergeTree table replicated on every shard, behind a Distributed table of the same name', () => {
    const ddl = new ClusterDdl('prod');
    assert.deepEqual(
      ddl.rewrite(`CREATE TABLE IF NOT EXISTS events
(
    id String,
    quantity UInt64,
    PROJECTION daily (SELECT sum(quantity) GROUP BY id)
)
ENGINE = MergeTree
ORDER BY (id)`),
      [
        `CREATE TABLE IF NOT EXISTS events_local ON CLUSTER prod (
    id String,
    quantity UInt64,
    PROJECTION daily (SELECT sum(quantity) GROUP BY id)
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{uuid}/{shard}', '{replica}')
ORDER BY (id)`,
        `CREATE TABLE IF NOT EXISTS events ON CLUSTER prod AS events_local
ENGINE = Distributed(prod, currentDatabase(), events_local, cityHash64(id))`,
      ],
    );
    assert.deepEqual(ddl.rewrite('CREATE TABLE replays (id String, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY id'), [
      `CREATE TABLE IF NOT EXISTS replays_local ON CLUSTER prod (id String, version UInt64)\nENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{uuid}/{shard}', '{replica}', version) ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS replays ON CLUSTER prod AS replays_local\nENGINE = Distributed(prod, currentDatabase(), replays_local, cityHash64(id))`,
    ]);
    // Without an id column, rows are spread at random.
    assert.match(ddl.rewrite('CREATE TABLE m (version UInt32) ENGINE = MergeTree ORDER BY version')[1], /Distributed\(prod, currentDatabase\(\), m_local, rand\(\)\)$/);
  });

  it('alters the replicated table, and the Distributed one where columns or comments change', () => {
    const ddl = new ClusterDdl('prod');
    ddl.rewrite('CREATE TABLE events (id String) ENGINE = MergeTree ORDER BY id');
    assert.deepEqual(ddl.rewrite("ALTER TABLE events ADD COLUMN IF NOT EXISTS loaded_at Nullable(DateTime64(3, 'UTC')) AFTER id"), [
      "ALTER TABLE events_local ON CLUSTER prod ADD COLUMN IF NOT EXISTS loaded_at Nullable(DateTime64(3, 'UTC')) AFTER id",
      "ALTER TABLE events ON CLUSTER prod ADD COLUMN IF NOT EXISTS loaded_at Nullable(DateTime64(3, 'UTC')) AFTER id",
    ]);
    assert.deepEqual(ddl.rewrite("ALTER TABLE events COMMENT COLUMN id 'the id'"), [
      "ALTER TABLE events_local ON CLUSTER prod COMMENT COLUMN id 'the id'",
      "ALTER TABLE events ON CLUSTER prod COMMENT COLUMN id 'the id'",
    ]);
    assert.deepEqual(ddl.rewrite('ALTER TABLE events MATERIALIZE COLUMN loaded_at SETTINGS mutations_sync = 2'), [
      'ALTER TABLE events_local ON CLUSTER prod MATERIALIZE COLUMN loaded_at SETTINGS mutations_sync = 2',
    ]);
    // A view has one name on every node.
    assert.deepEqual(ddl.rewrite("ALTER TABLE daily_rollups MODIFY COMMENT 'totals'"), ["ALTER TABLE daily_rollups ON CLUSTER prod MODIFY COMMENT 'totals'"]);
  });

  it('creates views and functions on every node, and refuses what it has no cluster form for', () => {
    const ddl = new ClusterDdl('prod-east');
    assert.deepEqual(ddl.rewrite('CREATE OR REPLACE VIEW daily_rollups AS SELECT day FROM events'), ['CREATE OR REPLACE VIEW daily_rollups ON CLUSTER `prod-east` AS SELECT day FROM events']);
    assert.deepEqual(ddl.rewrite('CREATE OR REPLACE FUNCTION f AS (x) -> x + 1'), ['CREATE OR REPLACE FUNCTION f ON CLUSTER `prod-east` AS (x) -> x + 1']);
    for (const statement of ['DROP TABLE events', 'OPTIMIZE TABLE events FINAL', 'CREATE TABLE l (a UInt8) ENGINE = Log', 'INSERT INTO events VALUES (1)']) {
      assert.throws(() => ddl.rewrite(statement), (e: unknown) => isContinuityError(e, 'CONT_ERR_WAREHOUSE_MIGRATION'), statement);
    }
    assert.throws(() => new ClusterDdl("prod'; DROP"), (e: unknown) => isContinuityError(e, 'CONT_ERR_CONFIG_INVALID'));
  });

  describe("every migration, through ClickHouse's parser", () => {
    const tmp = tempDir();
    let chdb: Warehouse;
    before(async () => (chdb = await getWarehouse({ path: tmp.dir })));
    after(async () => {
      await chdb?.close();
      tmp.cleanup();
    });
    const parses = async (sql: string) => {
      try {
        await chdb.text(`EXPLAIN AST ${sql}`, 'TSV');
        return true;
      } catch {
        return false;
      }
    };

    it('has a cluster form for each statement, which parses wherever the statement itself does', async () => {
      const ddl = new ClusterDdl('continuity_cluster');
      const checked: string[] = [];
      const statements = [
        "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version",
        ...loadMigrations().flatMap((m) => splitStatements(m.sql)),
      ];
      const unparseable: string[] = [];
      for (const statement of statements) {
        const clustered = ddl.rewrite(statement);
        assert.ok(clustered.length >= 1);
        // EXPLAIN AST cannot take a few statements the server runs (a view's
        // trailing COMMENT after a subquery); those are held to nothing more.
        if (!(await parses(statement))) {
          unparseable.push(statement.slice(0, 60));
          continue;
        }
        for (const s of clustered) {
          assert.ok(await parses(s), `the cluster form does not parse:\n${s}`);
          assert.match(s, /ON CLUSTER continuity_cluster/);
          checked.push(s);
        }
      }
      assert.ok(unparseable.length <= 1, `statements EXPLAIN AST refuses: ${unparseable.join(' | ')}`);
      assert.ok(checked.length > statements.length, 'tables gave two statements each');
      assert.deepEqual(
        [...ddl.tables].sort(),
        ['dead_letter_redrives', 'dead_letters', 'events', 'replays', 'schema_migrations'],
      );
    });
  });
});
