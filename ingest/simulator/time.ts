/**
 * China Standard Time helpers. The sources count calendar days in CST, and
 * every simulated event carries +08:00, as the producing systems would.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const CST_OFFSET_MS = 8 * HOUR;

/** 'YYYY-MM-DD' → milliseconds at 00:00 CST of that day. */
export function cstMidnight(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) - CST_OFFSET_MS;
}

/** Milliseconds since the epoch → '2020-01-24T08:00:00+08:00'. */
export function formatCst(ms: number): string {
  return `${new Date(ms + CST_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

/** Milliseconds since the epoch → its CST calendar day. */
export function cstDay(ms: number): string {
  return new Date(ms + CST_OFFSET_MS).toISOString().slice(0, 10);
}

/** The CST calendar day of an ISO-8601 instant with any offset. */
export function cstDayOf(occurredAt: string): string {
  return cstDay(Date.parse(occurredAt));
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, both inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) out.push(day);
  return out;
}

/** '2020-01-24' and seconds into that day → an instant in CST. */
export function atCst(day: string, secondsOfDay: number): string {
  return formatCst(cstMidnight(day) + secondsOfDay * 1000);
}

export function lastDayOfMonth(year: number, month: number): string {
  return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
}

export { DAY, HOUR };
