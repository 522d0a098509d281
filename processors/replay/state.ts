/**
 * Replay state lives in the warehouse (table `replays`), beside the tables it
 * describes, so a replay interrupted on either log adapter can be resumed or
 * abandoned from any process. One row per change; the latest version wins.
 */
import { toClickHouseDateTime, type Warehouse } from '../../warehouse/warehouse.ts';
import type { ReplayTable } from './config.ts';

export type ReplayStatus =
  /** Shadow tables created, rows below the start positions being copied from the live tables. */
  | 'seeding'
  /** Shadow tables filling from the log under the replay's consumer groups. */
  | 'building'
  /** Tables being exchanged; finish with --resume. */
  | 'swapping'
  /** The shadow tables are live; the previous ones kept as `<table>_before_<id>`. */
  | 'swapped'
  /** Shadow tables dropped, live tables never touched. */
  | 'abandoned'
  /** Swapped, and the previous tables dropped. */
  | 'cleaned';

export const UNFINISHED: readonly ReplayStatus[] = ['seeding', 'building', 'swapping'];

export interface TargetPlan {
  table: ReplayTable;
  /** The live table, e.g. `events`. */
  live: string;
  /** Where the replay builds, e.g. `events_replay_<id>`. */
  shadow: string;
  /** Name the previous live table gets at the swap, e.g. `events_before_<id>`. */
  before: string;
  topic: string;
  /** The replay's own consumer group. */
  group: string;
  /** The live processor's group, whose committed offsets bound the copied rows. */
  liveGroup: string;
  /** Per partition: the first offset replayed; live rows below it are copied. */
  start: number[];
  /** Per partition: end of the log when the replay was planned. */
  endAtStart: number[];
  /** `SHOW CREATE TABLE` of the live table with its name neutralised: a resume refuses when it changed. */
  ddl: string;
  /** Rows copied from the live table (below `start`). */
  copied: number;
  /** Storage paths seen just before the exchange, to tell after a crash whether it happened. */
  storage?: { shadow: string[]; live: string[] };
  /** Rows of the shadow and of the live table once the shadow was complete, before the exchange. */
  rows?: { shadow: number; live: number };
}

export interface ReplayState {
  id: string;
  status: ReplayStatus;
  /** The --from position as given (normalised). */
  from: string;
  logKind: string;
  startedAt: string;
  updatedAt: string;
  targets: TargetPlan[];
  /** Last thing worth telling an operator: why it stopped, what it swapped. */
  message: string;
}

interface ReplayRow {
  id: string;
  status: ReplayStatus;
  from_position: string;
  log_kind: string;
  started_at: string;
  updated_at: string;
  plan: string;
  message: string;
}

function fromRow(row: ReplayRow): ReplayState {
  return {
    id: row.id,
    status: row.status,
    from: row.from_position,
    logKind: row.log_kind,
    startedAt: toIso(row.started_at),
    updatedAt: toIso(row.updated_at),
    targets: JSON.parse(row.plan) as TargetPlan[],
    message: row.message,
  };
}

function toIso(clickhouse: string): string {
  return new Date(`${clickhouse.replace(' ', 'T')}Z`).toISOString();
}


let lastVersion = 0;

/** Writes a new version of the replay's row. */
export async function saveReplay(warehouse: Warehouse, state: ReplayState): Promise<ReplayState> {
  // Strictly increasing within a process even when two saves share a millisecond.
  const version = (lastVersion = Math.max(lastVersion + 1, Date.now() * 1000));
  const updated = { ...state, updatedAt: new Date().toISOString() };
  await warehouse.insertRaw(
    'replays',
    'JSONEachRow',
    JSON.stringify({
      id: updated.id,
      version,
      status: updated.status,
      from_position: updated.from,
      log_kind: updated.logKind,
      started_at: toClickHouseDateTime(Date.parse(updated.startedAt)),
      updated_at: toClickHouseDateTime(Date.parse(updated.updatedAt)),
      plan: JSON.stringify(updated.targets),
      message: updated.message,
    }),
  );
  return updated;
}

const COLUMNS = 'id, status, from_position, log_kind, toString(started_at) AS started_at, toString(updated_at) AS updated_at, plan, message';

export async function loadReplays(warehouse: Warehouse): Promise<ReplayState[]> {
  const rows = await warehouse.rows<ReplayRow>(`SELECT ${COLUMNS} FROM replays FINAL ORDER BY started_at, id`);
  return rows.map(fromRow);
}

export async function loadReplay(warehouse: Warehouse, id: string): Promise<ReplayState | null> {
  const rows = await warehouse.rows<ReplayRow>(`SELECT ${COLUMNS} FROM replays FINAL WHERE id = {id:String}`, { id });
  return rows.length === 0 ? null : fromRow(rows[0]);
}
