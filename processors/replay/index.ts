export {
  abandonReplay,
  cleanupReplays,
  listReplays,
  newReplayId,
  planReplay,
  type ReplayContext,
  type ReplayPlan,
  type ReplayProgress,
  resumeReplay,
  type RunOptions,
  startReplay,
  type TableChecksum,
  tableChecksum,
  writeTimeColumns,
  type TablePlan,
} from './replay.ts';
export { formatFromPosition, type FromPosition, parseFromPosition, parseReplayTables, REPLAY_TABLES, replayDefaults, type ReplayOptions, type ReplayTable } from './config.ts';
export { offsetAtTimestamp, startPositions, type StartPositions } from './positions.ts';
export { type ReplayState, type ReplayStatus, type TargetPlan, UNFINISHED } from './state.ts';
