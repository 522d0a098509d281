/**
 * The fast path checks values where they lie in a line (`…At(line, start,
 * end)`); each answer must be the one the string check gives, whatever the
 * characters around the range. Held over mutations of valid values at every
 * position and over the edges of each rule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { customerRefOkAt, customerRefProblem } from './customer-ref.ts';
import { EVENT_ID_PATTERNS, isEventId, isEventIdAt } from './events.ts';
import { canonicalNumberAt } from './fast-accept.ts';
import { checkDateTime, checkDateTimeAt, DATE_TIME_PATTERN } from './time.ts';

/** `value` inside other text, as a value sits inside a line: the check must not look past its range. */
function embedded(value: string, before = '"x":"', after = '9"}'): [string, number, number] {
  return [before + value + after, before.length, before.length + value.length];
}

/** Every value with one character replaced, at every position, by each of `by`. */
function mutations(value: string, by: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < value.length; i++) for (const c of by) out.push(value.slice(0, i) + c + value.slice(i + 1));
  for (let i = 0; i <= value.length; i++) out.push(value.slice(0, i) + value.slice(i + 1), value.slice(0, i) + '0' + value.slice(i));
  return out;
}

describe('range checks agree with the string checks', () => {
  it('event ids: the UUID and ULID patterns, by hand', () => {
    const valid = ['0192d5c4-8f3a-7c1e-9b2a-5d6e7f809a1b', '7A1C9E52-0000-4000-8000-000000000001', '01ARZ3NDEKTSV4RRFFQ69G5FAV', '7zzzzzzzzzzzzzzzzzzzzzzzzz'];
    const values = [...valid, '', '-', ...valid.flatMap((v) => mutations(v, ['0', 'a', 'F', 'g', 'G', 'I', 'L', 'O', 'U', 'i', 'l', 'o', 'u', 'Z', '8', '-', ' ', 'é', '\u0660']))];
    let accepted = 0;
    for (const value of values) {
      const expected = EVENT_ID_PATTERNS.uuid.test(value) || EVENT_ID_PATTERNS.ulid.test(value);
      assert.equal(isEventId(value), expected, value);
      assert.equal(isEventIdAt(...embedded(value)), expected, value);
      if (expected) accepted++;
    }
    assert.ok(accepted > 100 && accepted < values.length / 2, `${accepted} of ${values.length}`);
  });

  it('date-times: the pattern, the calendar and the range, by hand', () => {
    const pattern = new RegExp(DATE_TIME_PATTERN);
    const valid = ['2020-01-24T08:00:00+08:00', '2020-02-29T23:59:59.123456789Z', '1900-01-01T00:00:00-12:00', '2299-12-31T23:59:59.1+18:59'];
    const edges = ['2019-02-29T08:00:00+08:00', '2000-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '1899-12-31T23:59:59Z', '2300-01-01T00:00:00Z', '2020-04-31T00:00:00Z', '2020-01-24T24:00:00Z', '2020-01-24T08:60:00Z', '2020-01-24T08:00:60Z', '2020-01-24T08:00:00+19:00', '2020-01-24T08:00:00+08:60', '2020-01-24T08:00:00.Z', '2020-01-24T08:00:00.1234567890Z', '2020-01-24T08:00:00', '2020-01-24T08:00:00+0800', '2020-01-24T08:00:00z', '2020-00-10T00:00:00Z', '2020-01-00T00:00:00Z'];
    const values = [...valid, ...edges, ...valid.flatMap((v) => mutations(v, ['0', '9', 'T', 'Z', '-', '+', ':', '.', ' ', '\u0660']))];
    const seen = new Set<string>();
    for (const value of values) {
      const expected = checkDateTime(value);
      seen.add(expected);
      assert.equal(expected === 'format', !pattern.test(value), `format of ${value}`);
      assert.equal(checkDateTimeAt(...embedded(value)), expected, value);
      // Digits right after the range must not be read as a longer fraction or offset.
      assert.equal(checkDateTimeAt(...embedded(value, '', '12')), expected, value);
    }
    assert.deepEqual([...seen].sort(), ['calendar', 'format', 'ok', 'range']);
  });

  it('customer refs: the one-pass answer is customerRefProblem’s', () => {
    const values = [
      'csg-gd-1314c328',
      'sgcc-01a9def2',
      'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG0',
      'a'.repeat(128),
      'a'.repeat(129),
      'f'.repeat(64),
      '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      '13812345678',
      '+86 139 1234 5678',
      '+86-139-1234-5678',
      '(0755)12345678',
      '110101199003071234',
      '11010119900307123X',
      '110101199003071',
      'li.si@example.com',
      '6222021234567890123',
      'acct-0312345678',
      'acct_0312345678',
      'acct#031234567',
      'x123456789',
      'X1234567890',
      'ref-123456789',
      'ref-1234567890',
      'ref-1234567890123456',
      'ref_1234567890123456x',
      'a1234567890123456',
      '123456',
      '12345',
      'x',
      'X',
      '+',
      '1',
      'with space',
      '中文',
      '',
    ];
    for (const base of ['csg-gd-1314c328', 'x123456789', 'ref-1234567890']) values.push(...mutations(base, ['0', '1', 'X', 'x', '+', '-', '.', '/', '(', '@', '_', ' ', 'é']));
    let fine = 0;
    for (const value of values) {
      const expected = customerRefProblem(value) === null;
      assert.equal(customerRefOkAt(...embedded(value)), expected, value);
      if (expected) fine++;
    }
    assert.ok(fine > 50 && fine < values.length - 50, `${fine} of ${values.length}`);
  });

  it('numbers: canonical exactly when JSON.stringify writes the text back', () => {
    const values = ['0', '-0', '1', '-1', '10', '01', '00', '1.0', '1.5', '-1.5', '0.5', '.5', '5.', '-', '', '1e3', '1E3', '1e+21', '1e21', '1e-7', '0.000001', '0.0000001', '0.0000012', '123456789012345', '1234567890123456', '12345678901234567', '9007199254740993', '1.23456789012345', '1.234567890123456', '0.123456789012345', '0.1234567890123456', '123456789012345.5', '12345678901234.5', '468.76', '14.7', '0.30000000000000004', '-0.0', '+1', '1.50', '100', '1000000000000', 'NaN', 'Infinity', '0x10', ' 1'];
    for (let digits = 1; digits <= 17; digits++) values.push('9'.repeat(digits), `0.${'0'.repeat(digits % 7)}${'3'.repeat(digits)}`, `${'7'.repeat(digits)}.25`);
    for (const text of values) {
      const n = Number(text);
      const expected = text.trim() !== '' && Number.isFinite(n) && String(n) === text ? n : NaN;
      const [line, start, end] = embedded(text, '{"n":', '5}');
      assert.ok(Object.is(canonicalNumberAt(line, start, end), expected), `${text}: ${canonicalNumberAt(line, start, end)} where ${expected} belongs`);
    }
  });
});
