/** customer_ref is a pseudonym: raw-looking identifiers are refused, and no reason repeats them. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { realisticEvents, seedScenario } from '../ingest/simulator/index.ts';
import { rawCustomerRefReason } from './customer-ref.ts';
import { formatFieldErrors, parseEventLine, validateEvent } from './index.ts';

const event = (customer_ref: unknown) => ({
  id: '5f0c9b1e-2d4a-4c8e-9a7b-1c2d3e4f5a6b',
  type: 'suspension.waived',
  schema_version: 1,
  occurred_at: '2020-01-24T08:00:00+08:00',
  org: 'china-telecom',
  region: '420100',
  customer_ref,
  source: 'ct-billing',
  data: { service: 'telecom' },
});

/** The one error on customer_ref, checked not to contain the value it refused. */
function refusal(value: unknown): string {
  const result = validateEvent(event(value));
  assert.equal(result.ok, false, `${JSON.stringify(value)} should be refused`);
  if (result.ok) return '';
  assert.deepEqual(result.errors.map((e) => e.field), ['customer_ref']);
  const reason = result.errors[0].reason;
  if (typeof value === 'string' && value.length > 2) assert.ok(!reason.includes(value), `the reason repeats the value: ${reason}`);
  if (typeof value === 'number') assert.ok(!reason.includes(String(value)), `the reason repeats the value: ${reason}`);
  return reason;
}

describe('customer_ref', () => {
  it('refuses mobile numbers, with or without +86 and separators', () => {
    for (const v of ['13812345678', '19912345678', '+8613812345678', '+86 138-1234-5678', '0086 13812345678', '138 1234 5678']) {
      assert.match(refusal(v), /^looks like a mobile phone number; send a keyed pseudonym instead, e\.g\. base64url\(HMAC-SHA256\(key, account number\)\)/);
    }
  });

  it('refuses ID card numbers (18 digits or 17 and X, 15 digits)', () => {
    for (const v of ['110101199003071234', '11010119900307123X', '11010119900307123x', '110101900307123']) assert.match(refusal(v), /^looks like an ID card number/);
  });

  it('refuses digit strings of account, phone and card length, and labelled long numbers', () => {
    assert.match(refusal('0123456789'), /^is 10 digits, like an account, phone or card number/);
    assert.match(refusal('6222-0212-3456-7890-123'), /^is 19 digits/);
    assert.match(refusal('021-6234 5678'), /^is 11 digits/);
    assert.match(refusal('acct-6222021234'), /^is a label and a long run of digits/);
    assert.match(refusal('SGCC:0312345678'), /^is a label and a long run of digits/);
    assert.match(refusal('x6222021234567890123y'), /^contains a run of 19 digits/);
  });

  it('refuses email addresses', () => {
    assert.match(refusal('zhang.san@example.cn'), /^looks like an email address/);
    assert.match(refusal('a@b'), /^looks like an email address/);
  });

  it('refuses spaces, control characters and non-ASCII, without echoing them', () => {
    for (const v of ['zhang san', 'ab\u0000cd', '张三', 'tab\there']) assert.match(refusal(v), /^must be printable ASCII without spaces, as a keyed pseudonym is \(got a string of \d+ characters\)/);
  });

  it('shows the kind of a non-string value, never the value', () => {
    assert.equal(refusal(13812345678), 'must be a string of 1 to 128 characters (got a number)');
    assert.equal(refusal(['13812345678']), 'must be a string of 1 to 128 characters (got an array)');
    assert.equal(refusal(''), 'must be a string of 1 to 128 characters (got "")');
  });

  it('accepts keyed pseudonyms: base64url and hex HMAC-SHA256, and short labelled keys', () => {
    const key = 'producer-secret-key';
    for (let account = 6222021234567890; account < 6222021234567890 + 2000; account++) {
      const mac = createHmac('sha256', key).update(String(account)).digest();
      assert.equal(validateEvent(event(mac.toString('base64url'))).ok, true, mac.toString('base64url'));
      assert.equal(validateEvent(event(mac.toString('hex'))).ok, true, mac.toString('hex'));
    }
    for (const v of ['c-1', 'crg-AbC123xyz_-', 'sgcc-0a1b2c3d', 'x'.repeat(128)]) assert.equal(validateEvent(event(v)).ok, true, v);
  });

  it('accepts every customer_ref of the simulators', () => {
    const refs = new Set<string>();
    for (const e of seedScenario()) if (e.customer_ref) refs.add(e.customer_ref);
    for (const e of realisticEvents(100_000, 1)) if (e.customer_ref) refs.add(e.customer_ref);
    assert.ok(refs.size > 50_000, `${refs.size} refs`);
    const refused = [...refs].filter((r) => rawCustomerRefReason(r) !== null);
    assert.deepEqual(refused, []);
  });

  it('keeps the input out of JSON syntax errors', () => {
    const line = '{"customer_ref": 13812345678 oops';
    const result = parseEventLine(`x${line}`);
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(formatFieldErrors(result.errors), "$: not valid JSON: Unexpected token 'x'");
      assert.ok(!formatFieldErrors(result.errors).includes('13812345678'));
    }
    const other = parseEventLine(line);
    assert.equal(other.ok, false);
    if (!other.ok) assert.equal(other.errors[0].reason, "not valid JSON: Expected ',' or '}' after property value in JSON at position 29");
  });
});
