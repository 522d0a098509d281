/**
 * The warehouse as people query it: analysts through `POST /v1/sql` and
 * `continuity sql`, the dashboards through their panels. Read-only by
 * construction, with a row and a time limit the caller cannot lift:
 *
 * - Embedded (chDB): a session of its own on the same data directory. chDB
 *   keeps a query's settings in the session that ran it, so read-only settings
 *   given to the pipeline's own session would stay there and refuse the
 *   processors' next INSERT. This session sets its limits once, then
 *   `readonly = 1`, after which nothing can change a setting in it again — not
 *   a SETTINGS clause, not a SET statement, not `readonly` itself.
 * - Server: a client of its own whose every request carries the limits and
 *   `readonly = 1`; ClickHouse checks them together against the user's
 *   profile, and a query cannot change them afterwards.
 */
import type { FrozenConfig } from '../config/config.ts';
import { ContinuityError } from '../errors/registry.ts';
import { getWarehouse, type Warehouse } from '../warehouse/warehouse.ts';
import { warehouseOptions } from './pipeline.ts';

export interface ReadLimits {
  /** Most rows a result may have; a query over it fails (it is not cut short). Default 1,000,000. */
  maxRows: number;
  /** Most seconds a query may run. Default 60. */
  timeLimitSeconds: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { maxRows: 1_000_000, timeLimitSeconds: 60 };

export interface ReadOnlyWarehouse {
  readonly kind: Warehouse['kind'];
  readonly limits: ReadLimits;
  /** Raw text of a read in a ClickHouse output format. */
  text(query: string, format: string, params?: Record<string, unknown>): Promise<string>;
  /** Rows of a read as objects. */
  rows<T = Record<string, unknown>>(query: string, params?: Record<string, unknown>): Promise<T[]>;
  close(): Promise<void>;
}

function limitSettings(limits: ReadLimits) {
  // `readonly` last: on a server it is checked with the rest against the profile,
  // and in a chDB session every setting after it would be refused.
  return {
    max_result_rows: String(limits.maxRows),
    result_overflow_mode: 'throw',
    max_execution_time: limits.timeLimitSeconds,
    timeout_overflow_mode: 'throw',
    readonly: '1',
  } as const;
}

/**
 * Opens the read-only view of the warehouse the configuration names (the same
 * directory or server as openWarehouse in pipeline.ts). The caller must
 * already hold the data directory (a service, or a command that opened the
 * pipeline): this adds a session to the process's chDB, it never opens a
 * directory of its own.
 */
export async function openReadOnlyWarehouse(config: FrozenConfig, limits: Partial<ReadLimits> = {}): Promise<ReadOnlyWarehouse> {
  const effective: ReadLimits = { ...DEFAULT_READ_LIMITS, ...limits };
  if (!(Number.isInteger(effective.maxRows) && effective.maxRows >= 1)) {
    throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `the SQL row limit must be a whole number ≥ 1, got ${effective.maxRows}`);
  }
  if (!(effective.timeLimitSeconds > 0)) {
    throw new ContinuityError('CONT_ERR_CONFIG_INVALID', `the SQL time limit must be more than 0 seconds, got ${effective.timeLimitSeconds}`);
  }
  // Reads run no DDL: the cluster (for ON CLUSTER statements) is not needed.
  const warehouse = await getWarehouse({ ...warehouseOptions(config), cluster: undefined });
  const settings = limitSettings(effective);
  let perQuery: typeof settings | undefined = settings;
  try {
    if (warehouse.kind === 'embedded') {
      await warehouse.command('SELECT 1', undefined, settings);
      const [state] = await warehouse.rows<{ readonly: number | string }>("SELECT getSetting('readonly') AS readonly");
      if (Number(state?.readonly) !== 1) throw new ContinuityError('CONT_ERR_SERVICE_INTERNAL', 'the read-only warehouse session did not keep readonly = 1');
      perQuery = undefined;
    }
  } catch (error) {
    await warehouse.close();
    throw error;
  }
  return {
    kind: warehouse.kind,
    limits: effective,
    text: (query, format, params) => warehouse.text(query, format, params, perQuery),
    rows: <T>(query: string, params?: Record<string, unknown>) => warehouse.rows<T>(query, params, perQuery),
    close: () => warehouse.close(),
  };
}
