/**
 * Per-token token buckets: each token may send `ratePerSecond` events per
 * second on average and `burst` at once. One producer flooding the service
 * drains only its own bucket; every other token keeps its full rate.
 */
import { ContinuityError } from '../../errors/registry.ts';
import { ingestRateLimited } from '../../observability/metrics.ts';
import type { Principal } from './tokens.ts';

export interface RateLimits {
  /** Events per second per token; 0 turns rate limiting off. */
  ratePerSecond: number;
  /** Events a token may send at once after being idle. */
  burst: number;
}

interface Bucket {
  available: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly defaults: RateLimits,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Takes `events` from the principal's bucket, or throws
   * CONT_ERR_INGEST_RATE_LIMITED with the seconds after which the same request
   * will pass. Nothing is taken from a refused request.
   */
  take(principal: Principal, events: number): void {
    if (principal.local) return;
    const rate = principal.ratePerSecond ?? this.defaults.ratePerSecond;
    if (rate <= 0) return;
    const burst = principal.burst ?? this.defaults.burst;
    // A request larger than the burst could never pass; it waits for a full bucket instead.
    const cost = Math.min(Math.max(1, events), burst);
    const now = this.now();
    let bucket = this.buckets.get(principal.name);
    if (!bucket) {
      bucket = { available: burst, at: now };
      this.buckets.set(principal.name, bucket);
    }
    bucket.available = Math.min(burst, bucket.available + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    if (bucket.available >= cost) {
      bucket.available -= cost;
      return;
    }
    const retryAfter = Math.max(1, Math.ceil((cost - bucket.available) / rate));
    ingestRateLimited.inc({ token: principal.name }, 1);
    throw new ContinuityError(
      'CONT_ERR_INGEST_RATE_LIMITED',
      `token "${principal.name}" may send ${rate} events per second (bursts of ${burst}); this request of ${events} event(s) can be sent again in ${retryAfter} s`,
      { details: { retry_after_seconds: retryAfter, rate_per_second: rate, burst } },
    );
  }
}
