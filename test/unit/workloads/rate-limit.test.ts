// The per-client token bucket and its settings.
import { describe, expect, test } from '@jest/globals';
import { ConfigError, EnvReader } from '../../../core/config.js';
import { RateLimiter, type RateLimitSettings } from '../../../workloads/producer/rate-limit.js';
import { producerSettings } from '../../../workloads/producer/settings.js';
import { ProducerMetrics, RATE_LIMITED_CLIENT_LABELS } from '../../../workloads/producer/metrics.js';

const settings = (s: Partial<RateLimitSettings> = {}): RateLimitSettings => ({
  default: { requestsPerSecond: 2, burst: 4 },
  overrides: new Map(),
  replicas: 1,
  maxBuckets: 1000,
  ...s,
});

function limiter(s: Partial<RateLimitSettings> = {}) {
  let now = 0;
  const l = new RateLimiter(settings(s), () => now);
  return { l, advance: (ms: number) => void (now += ms) };
}

const takes = (l: RateLimiter, id: string, n: number) => Array.from({ length: n }, () => l.take(id).ok);

describe('RateLimiter: a token bucket per client id', () => {
  test('a burst, then the rate; the refusal says when a token is back (whole seconds, at least 1)', () => {
    const { l, advance } = limiter();
    expect(takes(l, 'a', 5)).toEqual([true, true, true, true, false]);
    expect(l.take('a')).toEqual({ ok: false, retryAfterSeconds: 1, limit: { requestsPerSecond: 2, burst: 4 } });
    advance(500); // one token at 2/s
    expect(takes(l, 'a', 2)).toEqual([true, false]);
    advance(10_000); // refilled to the burst, not beyond
    expect(takes(l, 'a', 5)).toEqual([true, true, true, true, false]);
  });

  test('Retry-After rounds up: at 1 request per 10 s, 10 s', () => {
    const { l } = limiter({ default: { requestsPerSecond: 0.1, burst: 1 } });
    expect(l.take('a').ok).toBe(true);
    expect(l.take('a')).toMatchObject({ ok: false, retryAfterSeconds: 10 });
  });

  test('clients are independent; an override replaces the limit for its client only', () => {
    const { l } = limiter({ overrides: new Map([['big', { requestsPerSecond: 100, burst: 10 }]]) });
    expect(takes(l, 'a', 5)).toEqual([true, true, true, true, false]);
    expect(takes(l, 'b', 4)).toEqual([true, true, true, true]);
    expect(takes(l, 'big', 11).filter(Boolean)).toHaveLength(10);
    expect(l.take('big')).toMatchObject({ ok: false, limit: { requestsPerSecond: 100, burst: 10 } });
  });

  test('each replica allows its share: rate and burst divided by the replicas, the burst never below 1', () => {
    const { l, advance } = limiter({ replicas: 2 });
    expect(l.shareOf('a')).toEqual({ requestsPerSecond: 1, burst: 2 });
    expect(takes(l, 'a', 3)).toEqual([true, true, false]);
    // the 429 names the pipeline's limit, not this replica's share
    expect(l.take('a')).toMatchObject({ limit: { requestsPerSecond: 2, burst: 4 } });
    advance(1000);
    expect(takes(l, 'a', 2)).toEqual([true, false]);
    expect(limiter({ replicas: 10 }).l.shareOf('a')).toEqual({ requestsPerSecond: 0.2, burst: 1 });
  });

  test('the bucket map is bounded: the least recently used bucket is dropped (and comes back full)', () => {
    const { l } = limiter({ maxBuckets: 2 });
    expect(takes(l, 'a', 5).filter(Boolean)).toHaveLength(4);
    takes(l, 'b', 1);
    takes(l, 'c', 1); // drops a, the least recently used
    expect(l.size).toBe(2);
    expect(l.take('a').ok).toBe(true);
    expect(l.size).toBe(2);
  });
});

const seed = {
  DI_POSTGRES_USERNAME: 'u',
  DI_POSTGRES_PASSWORD: 'p',
  DI_POSTGRES_HOST: 'pg',
  DI_KAFKA_BROKER_ENDPOINT: 'b1:9092',
};
const parse = (env: Record<string, string>) => producerSettings(new EnvReader({ ...seed, ...env })).rateLimit;

describe('rate limit settings', () => {
  test('off unless RATE_LIMIT_REQUESTS_PER_SECOND is set', () => {
    expect(parse({})).toBeUndefined();
  });

  test('the limit, its overrides and the replicas sharing it; the burst defaults to one second of the rate', () => {
    const s = parse({
      RATE_LIMIT_REQUESTS_PER_SECOND: '10',
      RATE_LIMIT_BURST: '20',
      RATE_LIMIT_OVERRIDES: '{"big":{"requestsPerSecond":100,"burst":150}}',
      RATE_LIMIT_REPLICAS: '3',
    })!;
    expect(s.default).toEqual({ requestsPerSecond: 10, burst: 20 });
    expect([...s.overrides]).toEqual([['big', { requestsPerSecond: 100, burst: 150 }]]);
    expect(s.replicas).toBe(3);
    expect(parse({ RATE_LIMIT_REQUESTS_PER_SECOND: '7' })).toMatchObject({ default: { requestsPerSecond: 7, burst: 7 }, replicas: 1 });
  });

  test.each([
    [{ RATE_LIMIT_REQUESTS_PER_SECOND: 'fast' }, 'RATE_LIMIT_REQUESTS_PER_SECOND must be an integer'],
    [{ RATE_LIMIT_REQUESTS_PER_SECOND: '5', RATE_LIMIT_BURST: '0' }, 'RATE_LIMIT_BURST must be an integer'],
    [{ RATE_LIMIT_REQUESTS_PER_SECOND: '5', RATE_LIMIT_REPLICAS: '0' }, 'RATE_LIMIT_REPLICAS must be an integer'],
    [{ RATE_LIMIT_REQUESTS_PER_SECOND: '5', RATE_LIMIT_OVERRIDES: 'big=5' }, 'RATE_LIMIT_OVERRIDES must be a JSON object'],
    [{ RATE_LIMIT_REQUESTS_PER_SECOND: '5', RATE_LIMIT_OVERRIDES: '[]' }, 'RATE_LIMIT_OVERRIDES must be a JSON object'],
    [{ RATE_LIMIT_REQUESTS_PER_SECOND: '5', RATE_LIMIT_OVERRIDES: '{"big":{"requestsPerSecond":5}}' }, '"big" needs integer requestsPerSecond and burst'],
    [{ RATE_LIMIT_OVERRIDES: '{}' }, 'RATE_LIMIT_OVERRIDES needs RATE_LIMIT_REQUESTS_PER_SECOND'],
  ])('refuses %j', (env, message) => {
    expect(() => parse(env)).toThrow(ConfigError);
    expect(() => parse(env)).toThrow(message);
  });
});

describe('producer_rate_limited_total', () => {
  test(`a series for each of the first ${RATE_LIMITED_CLIENT_LABELS} client ids refused, "other" for the rest`, async () => {
    const m = new ProducerMetrics(false);
    for (let i = 0; i < RATE_LIMITED_CLIENT_LABELS + 5; i++) m.countRateLimited(`c${i}`);
    m.countRateLimited('c0');
    const values = (await m.rateLimited.get()).values;
    expect(values).toHaveLength(RATE_LIMITED_CLIENT_LABELS + 1);
    expect(values.find((v) => v.labels.client_id === 'c0')!.value).toBe(2);
    expect(values.find((v) => v.labels.client_id === 'other')!.value).toBe(5);
  });
});
