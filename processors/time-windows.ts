/**
 * The instants a batch's rows are filed under, as few [from, to] windows for
 * the id lookup: a gap of more than `gapMs` (an hour) starts a new window, so
 * one old record in a stream of new ones does not widen the lookup to
 * everything in between. At most `maxWindows`: past that, the narrowest gaps
 * are closed, which only widens what is read.
 */
export type TimeWindow = [from: number, to: number];

const HOUR_MS = 3_600_000;
const MAX_WINDOWS = 32;

export function timeWindows(times: ArrayLike<number>, gapMs = HOUR_MS, maxWindows = MAX_WINDOWS): TimeWindow[] {
  if (times.length === 0) return [];
  const sorted = Float64Array.from(times);
  // A partition's records mostly come in time order: no sort then.
  let ordered = true;
  for (let i = 1; i < sorted.length && ordered; i++) ordered = sorted[i - 1] <= sorted[i];
  if (!ordered) sorted.sort();
  return splitAtWidestGaps(sorted, sorted, gapMs, maxWindows);
}

/**
 * Windows of several batches (of one partition) as the windows of all their
 * instants would be, or wider: each pack's are worked out while the previous
 * insert runs, and only these few are merged when the next one starts.
 */
export function mergeWindows(windows: readonly (readonly [number, number])[], gapMs = HOUR_MS, maxWindows = MAX_WINDOWS): TimeWindow[] {
  if (windows.length === 0) return [];
  const byStart = [...windows].sort((a, b) => a[0] - b[0]);
  const from = new Float64Array(byStart.length);
  const to = new Float64Array(byStart.length);
  // The furthest end so far: a window inside an earlier one opens no gap.
  let reach = -Infinity;
  for (let i = 0; i < byStart.length; i++) {
    from[i] = byStart[i][0];
    reach = Math.max(reach, byStart[i][1]);
    to[i] = reach;
  }
  return splitAtWidestGaps(from, to, gapMs, maxWindows);
}

/** Spans sorted by start, `to` never decreasing; the gap before span i is `from[i] - to[i - 1]`. */
function splitAtWidestGaps(from: Float64Array, to: Float64Array, gapMs: number, maxWindows: number): TimeWindow[] {
  const gap = (i: number) => from[i] - to[i - 1];
  const gaps: number[] = [];
  for (let i = 1; i < from.length; i++) if (gap(i) > gapMs) gaps.push(i);
  const splits = gaps.length < maxWindows ? gaps : gaps.sort((a, b) => gap(b) - gap(a)).slice(0, maxWindows - 1).sort((a, b) => a - b);
  const windows: TimeWindow[] = [];
  let start = 0;
  for (const at of splits) {
    windows.push([from[start], to[at - 1]]);
    start = at;
  }
  windows.push([from[start], to[from.length - 1]]);
  return windows;
}
