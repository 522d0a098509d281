/** The table settings the processor's speed rests on are what the migrations leave on `events`. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from '../test-support/temp.ts';
import { getWarehouse, migrate, type Warehouse } from './index.ts';

describe('events table settings', () => {
  const tmp = tempDir();
  let warehouse: Warehouse;
  before(async () => {
    warehouse = await getWarehouse({ path: join(tmp.dir, 'warehouse') });
    await migrate(warehouse);
  });
  after(async () => {
    await warehouse.close();
    tmp.cleanup();
  });

  it('orders by partition and time, writes inserts compact, lets about twenty parts gather and merges at most ten at once', async () => {
    const [row] = await warehouse.rows<{ sorting_key: string; engine_full: string }>(
      `SELECT sorting_key, engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'events'`,
    );
    assert.equal(row.sorting_key, 'log_partition, occurred_at, id');
    assert.match(row.engine_full, /min_bytes_for_wide_part = 268435456/);
    assert.match(row.engine_full, /merge_selector_base = 20/);
    assert.match(row.engine_full, /max_parts_to_merge_at_once = 10/);
  });
});
