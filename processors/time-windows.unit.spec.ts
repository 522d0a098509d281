import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeWindows, timeWindows } from './time-windows.ts';

const h = 3_600_000;

describe('timeWindows', () => {
  it('keeps close instants in one window and splits at gaps over an hour', () => {
    assert.deepEqual(timeWindows([5, 1, 3]), [[1, 5]]);
    assert.deepEqual(timeWindows([0, h, 3 * h, 3 * h + 10]), [
      [0, h],
      [3 * h, 3 * h + 10],
    ]);
  });

  it('merges the closest windows beyond the limit', () => {
    assert.deepEqual(timeWindows([0, 2 * h, 10 * h, 13 * h], h, 2), [
      [0, 2 * h],
      [10 * h, 13 * h],
    ]);
  });

  it('takes a typed array as well as numbers', () => {
    assert.deepEqual(timeWindows(Float64Array.of(7 * h, 0, 10)), [
      [0, 10],
      [7 * h, 7 * h],
    ]);
  });
});

describe('mergeWindows', () => {
  it('gives the windows of several batches that the windows of all their instants are', () => {
    // Three batches of one partition, interleaved in time, each with an outlier.
    const batches = [
      [0, 10 * 60_000, 20 * 60_000, 30 * h],
      [15 * 60_000, 25 * 60_000, 5 * h, 5 * h + 1],
      [26 * 60_000, 2 * h + 1, 30 * h + 5],
    ];
    const merged = mergeWindows(batches.flatMap((times) => timeWindows(times)));
    assert.deepEqual(merged, timeWindows(batches.flat()));
    assert.deepEqual(merged, [
      [0, 26 * 60_000],
      [2 * h + 1, 2 * h + 1],
      [5 * h, 5 * h + 1],
      [30 * h, 30 * h + 5],
    ]);
  });

  it('opens no gap after a window that lies inside an earlier one', () => {
    assert.deepEqual(
      mergeWindows([
        [0, 10 * h],
        [h, 2 * h],
        [11 * h, 12 * h],
        [14 * h, 14 * h],
      ]),
      [
        [0, 12 * h],
        [14 * h, 14 * h],
      ],
    );
  });

  it('closes the narrowest gaps beyond the limit, so what is read only widens', () => {
    assert.deepEqual(
      mergeWindows(
        [
          [10 * h, 13 * h],
          [0, 0],
          [2 * h, 2 * h],
        ],
        h,
        2,
      ),
      [
        [0, 2 * h],
        [10 * h, 13 * h],
      ],
    );
  });

  it('gives nothing for no windows', () => {
    assert.deepEqual(mergeWindows([]), []);
  });
});
