/**
 * Date and date-time checks. A regular expression alone accepts 2020-02-30;
 * these also check the calendar, because a warehouse would silently move such
 * a value to another day.
 */

/** The JSON Schema pattern for `occurred_at`; the calendar check is not expressible there. */
export const DATE_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';
export const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

// ClickHouse DateTime64 covers 1900-01-01 .. 2299-12-31; outside it values are
// clamped without an error, so they are refused at the edge instead.
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2299;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1];
  return day <= days;
}

export type TimeCheck = 'ok' | 'format' | 'calendar' | 'range';

export function checkDateTime(value: string): TimeCheck {
  const m = DATE_TIME.exec(value);
  if (m === null) return 'format';
  const year = +m[1];
  if (!isCalendarDate(year, +m[2], +m[3])) return 'calendar';
  if (+m[4] > 23 || +m[5] > 59 || +m[6] > 59) return 'calendar';
  // Real offsets span -12:00 .. +14:00; ±18:00 is what ISO-8601 parsers accept.
  if (m[7] !== undefined && (+m[7] > 18 || +m[8] > 59)) return 'calendar';
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
