/**
 * Largest-remainder allocation: splits an integer total over weighted buckets
 * so the parts are integers that sum to the total exactly. The seed figures
 * are published totals; rounding each bucket on its own would miss them.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total) || total < 0) throw new Error(`total must be a non-negative safe integer (got ${total})`);
  if (weights.length === 0) throw new Error('allocate needs at least one bucket');
  const sum = weights.reduce((s, w) => {
    if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`weights must be finite and ≥ 0 (got ${w})`);
    return s + w;
  }, 0);
  if (sum <= 0) throw new Error('allocate needs a positive total weight');

  const parts = new Array<number>(weights.length);
  const remainders = new Array<number>(weights.length);
  let given = 0;
  for (let i = 0; i < weights.length; i++) {
    const quota = (total * weights[i]) / sum;
    parts[i] = Math.floor(quota);
    remainders[i] = quota - parts[i];
    given += parts[i];
  }
  // Ties go to the earlier bucket, so the result depends on the weights only.
  const order = remainders.map((r, i) => [r, i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]);
  let left = total - given;
  if (left < 0) throw new Error(`allocation overshot the total by ${-left}`);
  for (let k = 0; left > 0; k = (k + 1) % order.length) {
    // A zero-weight bucket stays empty even when float error leaves units over.
    if (weights[order[k][1]] === 0) continue;
    parts[order[k][1]] += 1;
    left -= 1;
  }
  return parts;
}
