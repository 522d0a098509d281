/**
 * Wording of validation reasons. Producers read these in HTTP responses and
 * operators in dead letters, so each says what was expected and what arrived.
 */

const MAX_SHOWN = 60;

/** A short rendering of an offending value, never the whole of a large one. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    if (value.length > MAX_SHOWN) return `a string of ${value.length} characters`;
    return JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** "required (…)" when absent, otherwise "<problem> (got …)". */
export function reason(expected: string, input: unknown, problem = `must be ${expected}`): string {
  return input === undefined ? `required (expected ${expected})` : `${problem} (got ${shown(input)})`;
}

/** "a, b, c" or "a, b, c, … (N in all)" for long lists. */
export function listed(values: readonly string[], limit = 12): string {
  if (values.length <= limit) return values.join(', ');
  return `${values.slice(0, limit).join(', ')}, … (${values.length} in all)`;
}

/** "must be one of a, b, c (got "x")". */
export function oneOf(values: readonly string[], input: unknown): string {
  return reason(`one of ${values.join(', ')}`, input);
}
