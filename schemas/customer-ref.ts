/**
 * `customer_ref` must be a pseudonym. A value that looks like what it should
 * hide (a phone, account, card or ID-card number, an email address) is refused
 * before it reaches the log, so the raw identifier never lands in the
 * warehouse. The reasons never repeat the value: they end up in responses,
 * terminals and the dead-letter `reason` column.
 *
 * Producers derive the pseudonym with a key only they hold:
 * `customer_ref = base64url(HMAC-SHA256(key, account_number))` (43 characters).
 * A 64-character hex digest is accepted as well.
 */

/** Printable ASCII without spaces: what base64url, hex and prefixed ids use. */
export const CUSTOMER_REF_PATTERN = /^[\x21-\x7E]{1,128}$/;

export const PSEUDONYM_HINT = 'send a keyed pseudonym instead, e.g. base64url(HMAC-SHA256(key, account number)) (see README, "Operating safely")';

// Separators people put inside phone, account and card numbers.
const SEPARATORS = /[\s\-.()/]/g;
const HEX_DIGEST = /^(?:[0-9a-f]{32,}|[0-9A-F]{32,})$/;

/** Why `value` looks like a raw identifier rather than a pseudonym, or null. */
export function rawCustomerRefReason(value: string): string | null {
  if (value.includes('@')) return `looks like an email address; ${PSEUDONYM_HINT}`;
  const compact = value.replace(SEPARATORS, '');
  if (/^(?:\+?86|0086)?1[3-9]\d{9}$/.test(compact)) return `looks like a mobile phone number; ${PSEUDONYM_HINT}`;
  if (/^\d{17}[\dXx]$/.test(compact) || /^\d{15}$/.test(compact)) return `looks like an ID card number; ${PSEUDONYM_HINT}`;
  if (/^\+?\d{6,}$/.test(compact)) return `is ${compact.replace('+', '').length} digits, like an account, phone or card number; ${PSEUDONYM_HINT}`;
  // "acct-6222021234567890": a raw number behind a short label.
  if (/^[A-Za-z]{1,12}[-_:#]?\d{10,}$/.test(value)) return `is a label and a long run of digits, like an account number; ${PSEUDONYM_HINT}`;
  if (!HEX_DIGEST.test(value)) {
    const run = /\d{16,}/.exec(value);
    if (run) return `contains a run of ${run[0].length} digits, like a card or account number; ${PSEUDONYM_HINT}`;
  }
  return null;
}

/**
 * Why a customer_ref of 1 to 128 characters is refused, or null when it is
 * fine. Shared by the zod schema and ingest's fast path, so they cannot differ.
 */
export function customerRefProblem(value: string): string | null {
  return (
    rawCustomerRefReason(value) ??
    (CUSTOMER_REF_PATTERN.test(value) ? null : `must be printable ASCII without spaces, as a keyed pseudonym is (got ${describeCustomerRef(value)}); ${PSEUDONYM_HINT}`)
  );
}

/**
 * `customerRefProblem(s.slice(start, end)) === null`, answered from one pass
 * over the characters for the usual pseudonym: printable ASCII with no `@`, a
 * character no number is written with (a letter other than X, `_`, `=`…) and
 * no ten digits in a row. Such a value cannot match any pattern of
 * `rawCustomerRefReason`: the number patterns need the value to be digits and
 * separators only, the others a run of ten digits or more. Anything else is
 * put to `customerRefProblem` itself.
 */
export function customerRefOkAt(s: string, start: number, end: number): boolean {
  let run = 0;
  let longestRun = 0;
  let notANumber = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (++run > longestRun) longestRun = run;
      continue;
    }
    run = 0;
    if (c < 0x21 || c > 0x7e || c === 0x40) return customerRefProblem(s.slice(start, end)) === null;
    // `+`, `X`, `x` and the separators can all be part of a number.
    if (c !== 0x2b && c !== 0x58 && c !== 0x78 && c !== 0x2d && c !== 0x2e && c !== 0x28 && c !== 0x29 && c !== 0x2f) notANumber = true;
  }
  if (notANumber && longestRun < 10 && end - start <= 128) return true;
  return customerRefProblem(s.slice(start, end)) === null;
}

/** How a rejected customer_ref is shown: its kind and length, never its content. */
export function describeCustomerRef(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length === 0 ? '""' : `a string of ${value.length} characters`;
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
