/**
 * Figures as people who read Chinese read them: 116.95万, 17.48亿. Exact to two
 * decimals, trailing zeros dropped; below 10,000 the plain number.
 */
export function formatChineseUnits(value: number): string {
  const abs = Math.abs(value);
  const trim = (n: number) => n.toFixed(2).replace(/\.?0+$/, '');
  if (abs >= 1e8) return `${trim(value / 1e8)}亿`;
  if (abs >= 1e4) return `${trim(value / 1e4)}万`;
  return formatThousands(value);
}

export function formatThousands(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
