/**
 * Date and date-time checks. A regular expression alone accepts 2020-02-30;
 * these also check the calendar, because a warehouse would silently move such
 * a value to another day.
 */

/** The JSON Schema pattern for `occurred_at`; the calendar check is not expressible there. */
export const DATE_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';
export const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

// ClickHouse DateTime64 covers 1900-01-01 .. 2299-12-31; outside it values are
// clamped without an error, so they are refused at the edge instead.
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2299;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Whether the month has that day (1–12, 1–31, February 29th in leap years). */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1];
  return day <= days;
}

export type TimeCheck = 'ok' | 'format' | 'calendar' | 'range';

/** Whether a character code is an ASCII digit (what `\d` matches without the u flag). */
export const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** The `n` digits at `at` as a number, or -1 when one is not a digit. */
function digitsAt(s: string, at: number, n: number): number {
  let value = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return -1;
    value = value * 10 + c - 0x30;
  }
  return value;
}

export function checkDateTime(value: string): TimeCheck {
  return checkDateTimeAt(value, 0, value.length);
}

/**
 * `checkDateTime` of `s[start, end)`, read off the characters: ingest's fast
 * path checks a date-time inside a line without cutting it out. The format is
 * DATE_TIME_PATTERN's.
 */
export function checkDateTimeAt(s: string, start: number, end: number): TimeCheck {
  // YYYY-MM-DDThh:mm:ss, then an optional fraction, then Z or ±hh:mm: 20 characters at least.
  if (end - start < 20) return 'format';
  const year = digitsAt(s, start, 4);
  const month = digitsAt(s, start + 5, 2);
  const day = digitsAt(s, start + 8, 2);
  const hour = digitsAt(s, start + 11, 2);
  const minute = digitsAt(s, start + 14, 2);
  const second = digitsAt(s, start + 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return 'format';
  if (s.charCodeAt(start + 4) !== 0x2d || s.charCodeAt(start + 7) !== 0x2d || s.charCodeAt(start + 10) !== 0x54 || s.charCodeAt(start + 13) !== 0x3a || s.charCodeAt(start + 16) !== 0x3a) return 'format';
  let p = start + 19;
  if (s.charCodeAt(p) === 0x2e) {
    const fraction = ++p;
    while (p < end && isDigit(s.charCodeAt(p))) p++;
    if (p === fraction || p - fraction > 9) return 'format';
  }
  let offsetHour = 0;
  let offsetMinute = 0;
  const zone = p < end ? s.charCodeAt(p) : -1;
  if (zone === 0x5a) {
    if (p + 1 !== end) return 'format';
  } else if (zone === 0x2b || zone === 0x2d) {
    if (p + 6 !== end || s.charCodeAt(p + 3) !== 0x3a) return 'format';
    offsetHour = digitsAt(s, p + 1, 2);
    offsetMinute = digitsAt(s, p + 4, 2);
    if (offsetHour < 0 || offsetMinute < 0) return 'format';
  } else return 'format';
  if (!isCalendarDate(year, month, day)) return 'calendar';
  if (hour > 23 || minute > 59 || second > 59) return 'calendar';
  // Real offsets span -12:00 .. +14:00; ±18:00 is what ISO-8601 parsers accept.
  if (offsetHour > 18 || offsetMinute > 59) return 'calendar';
  if (year < MIN_YEAR || year > MAX_YEAR) return 'range';
  return 'ok';
}

export function checkDate(value: string): TimeCheck {
  const m = DATE.exec(value);
  if (m === null) return 'format';
  const year = +m[1];
  if (!isCalendarDate(year, +m[2], +m[3])) return 'calendar';
  if (year < MIN_YEAR || year > MAX_YEAR) return 'range';
  return 'ok';
}
