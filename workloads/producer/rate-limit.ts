// Per-client rate limiting of sync requests: a token bucket per client id, in memory, per
// replica. Each replica enforces its share of the pipeline's limit (the limit divided by the
// replicas it is told share it); docs/producer.md says how exact that share is.

export interface Rate {
  requestsPerSecond: number;
  burst: number;
}

export interface RateLimitSettings {
  /** The pipeline's limit per client id, before the replica share. */
  default: Rate;
  /** Client ids with a limit of their own. */
  overrides: ReadonlyMap<string, Rate>;
  /** How many replicas share the limit; each allows limit / replicas. */
  replicas: number;
  /** Buckets kept at most; the least recently used one is dropped beyond it. */
  maxBuckets: number;
}

export type Decision = { ok: true } | { ok: false; retryAfterSeconds: number; limit: Rate };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  /** Insertion order is recency order: a take moves its bucket to the end. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly settings: RateLimitSettings,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The pipeline-wide limit of a client (what its 429 names), not this replica's share. */
  limitOf(clientId: string): Rate {
    return this.settings.overrides.get(clientId) ?? this.settings.default;
  }

  /**
   * This replica's bucket for a client: the rate divided by the replicas, and the burst too,
   * but never below one request, or a burst smaller than the replicas would refuse everything.
   */
  shareOf(clientId: string): Rate {
    const limit = this.limitOf(clientId);
    const n = this.settings.replicas;
    return { requestsPerSecond: limit.requestsPerSecond / n, burst: Math.max(1, limit.burst / n) };
  }

  /** Takes one request's token, or says how long until one is available. */
  take(clientId: string): Decision {
    const share = this.shareOf(clientId);
    const now = this.now();
    const found = this.buckets.get(clientId);
    const bucket = found ?? { tokens: share.burst, at: now };
    if (found) this.buckets.delete(clientId);
    bucket.tokens = Math.min(share.burst, bucket.tokens + ((now - bucket.at) / 1000) * share.requestsPerSecond);
    bucket.at = now;
    this.buckets.set(clientId, bucket);
    // A dropped bucket comes back full: the bound costs at most one burst to a client unseen
    // for the longest, and the ids are authenticated ones, so nobody can mint ids to evict others.
    if (this.buckets.size > this.settings.maxBuckets) this.buckets.delete(this.buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    const seconds = (1 - bucket.tokens) / share.requestsPerSecond;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(seconds)), limit: this.limitOf(clientId) };
  }

  get size(): number {
    return this.buckets.size;
  }
}
