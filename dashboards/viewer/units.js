// Figures as people who read Chinese read them: 116.95万, 17.48亿. One module
// for the service (through ../units.ts) and the browser viewer, so both print
// a figure the same way; the stat panels' SQL (../sql-format.ts) is held to it
// by a test.
//
// Rounding is half away from zero on the hundredths, computed from value × 100
// so that a figure ending in exactly 50 rounds the same in JavaScript and in
// ClickHouse (toFixed would round the binary approximation instead).

/** 100 × |value| / unit, rounded half away from zero. */
function hundredths(value, unit) {
  return Math.floor((Math.abs(value) * 100) / unit + 0.5);
}

/** "1169500" hundredths → "11695" + "00" → "11,695" with up to two decimals, trailing zeros dropped. */
function fromHundredths(h, sign, separate) {
  const whole = Math.floor(h / 100);
  const fraction = h % 100;
  const digits = separate ? String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',') : String(whole);
  const decimals = fraction === 0 ? '' : fraction % 10 === 0 ? `.${fraction / 10}` : `.${String(fraction).padStart(2, '0')}`;
  return `${sign}${digits}${decimals}`;
}

/** 1169500 → "116.95万", 1748000000 → "17.48亿"; below 10,000 the plain number with separators ("7,500"). */
export function formatChineseUnits(value) {
  const abs = Math.abs(value);
  const sign = value < 0 && hundredths(value, abs >= 1e8 ? 1e8 : abs >= 1e4 ? 1e4 : 1) > 0 ? '-' : '';
  if (abs >= 1e8) return `${fromHundredths(hundredths(value, 1e8), sign, false)}亿`;
  if (abs >= 1e4) return `${fromHundredths(hundredths(value, 1e4), sign, false)}万`;
  return fromHundredths(hundredths(value, 1), sign, true);
}

/** 1748000000 → "1,748,000,000"; at most two decimals, trailing zeros dropped. */
export function formatThousands(value) {
  const h = hundredths(value, 1);
  return fromHundredths(h, value < 0 && h > 0 ? '-' : '', true);
}
