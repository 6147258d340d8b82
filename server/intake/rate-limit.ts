/** A token bucket per key (a token's hash, or the client address when there is no token). */
export interface RateLimitOptions {
  /** Requests allowed in a burst. */
  capacity: number;
  /** Requests added back per second. */
  refillPerSecond: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { capacity: 120, refillPerSecond: 2 };

const MAX_KEYS = 10_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly opts: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Take one request from `key`'s bucket: 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.opts.capacity, at: now };
    b.tokens = Math.min(this.opts.capacity, b.tokens + ((now - b.at) / 1000) * this.opts.refillPerSecond);
    b.at = now;
    if (this.buckets.size >= MAX_KEYS && !this.buckets.has(key)) this.evictFull(now);
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.opts.refillPerSecond));
  }

  /** The seconds to wait before `key` may take `need` (0: it may now), without taking anything. */
  peek(key: string, need = 1): number {
    const b = this.buckets.get(key);
    const tokens = b ? Math.min(this.opts.capacity, b.tokens + ((this.now() - b.at) / 1000) * this.opts.refillPerSecond) : this.opts.capacity;
    return tokens >= need ? 0 : Math.max(1, Math.ceil((need - tokens) / this.opts.refillPerSecond));
  }

  private readonly held = new Map<string, number>();

  /**
   * Hold one token of `key` while a check whose outcome is not known yet runs (a password hashed,
   * a token looked up): 0 when held, else the seconds to wait. Checks running at once each hold
   * one, so parallel guesses cannot all pass before the first failure is counted. Every hold is
   * ended by release(key, failed): a failure then takes its token, a success gives it back.
   */
  hold(key: string): number {
    const n = (this.held.get(key) ?? 0) + 1;
    const wait = this.peek(key, n);
    if (wait > 0) return wait;
    this.held.set(key, n);
    return 0;
  }

  release(key: string, failed: boolean): void {
    const n = (this.held.get(key) ?? 1) - 1;
    if (n > 0) this.held.set(key, n);
    else this.held.delete(key);
    if (failed) this.take(key);
  }

  /** Forget buckets that have refilled completely (they behave like new ones); at worst the oldest. */
  private evictFull(now: number): void {
    for (const [k, b] of this.buckets)
      if (b.tokens + ((now - b.at) / 1000) * this.opts.refillPerSecond >= this.opts.capacity) this.buckets.delete(k);
    for (const k of this.buckets.keys()) {
      if (this.buckets.size < MAX_KEYS) break;
      this.buckets.delete(k);
    }
  }
}
