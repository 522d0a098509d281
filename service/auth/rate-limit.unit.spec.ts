import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isContinuityError } from '../../errors/registry.ts';
import { RateLimiter } from './rate-limit.ts';
import type { Principal } from './tokens.ts';

const principal = (name: string, extra: Partial<Principal> = {}): Principal => ({ name, orgs: '*', scopes: new Set(['ingest']), ...extra });

function refusal(fn: () => void) {
  try {
    fn();
  } catch (error) {
    assert.ok(isContinuityError(error, 'CONT_ERR_INGEST_RATE_LIMITED'));
    return error.details as { retry_after_seconds: number };
  }
  assert.fail('expected a 429');
}

describe('per-token rate limit', () => {
  it('lets a burst through, refills at the rate, and says when to come back', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 100, burst: 500 }, () => now);
    const p = principal('a');
    limiter.take(p, 300);
    limiter.take(p, 200);
    assert.equal(refusal(() => limiter.take(p, 150)).retry_after_seconds, 2);
    now = 1000; // 100 back
    assert.equal(refusal(() => limiter.take(p, 150)).retry_after_seconds, 1);
    now = 1500; // 150 back
    limiter.take(p, 150);
    assert.equal(refusal(() => limiter.take(p, 1)).retry_after_seconds, 1);
  });

  it('keeps one bucket per token, and a refused request takes nothing', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 100 }, () => now);
    limiter.take(principal('a'), 100);
    refusal(() => limiter.take(principal('a'), 100));
    refusal(() => limiter.take(principal('a'), 100));
    limiter.take(principal('b'), 100);
    now = 5000;
    limiter.take(principal('a'), 50);
    refusal(() => limiter.take(principal('a'), 1));
  });

  it('honours per-token rates, counts an empty request as one, caps a request larger than the burst at the burst', () => {
    let now = 0;
    const limiter = new RateLimiter({ ratePerSecond: 1000, burst: 1000 }, () => now);
    const slow = principal('slow', { ratePerSecond: 1, burst: 2 });
    limiter.take(slow, 0);
    limiter.take(slow, 0);
    assert.equal(refusal(() => limiter.take(slow, 0)).retry_after_seconds, 1);
    const small = principal('small', { burst: 10 });
    limiter.take(small, 50);
    assert.equal(refusal(() => limiter.take(small, 50)).retry_after_seconds, 1);
    now = 10;
    limiter.take(small, 50);
  });

  it('never limits the local token, nor anyone when the rate is 0', () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1 }, () => 0);
    for (let i = 0; i < 5; i++) limiter.take(principal('local', { local: true }), 1_000_000);
    const off = new RateLimiter({ ratePerSecond: 0, burst: 1 }, () => 0);
    for (let i = 0; i < 5; i++) off.take(principal('x'), 1_000_000);
  });
});
