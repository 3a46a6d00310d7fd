// The Producer API's optional settings (docs/producer.md); the DI_* ones are in core/config.ts.
import { ENV, PRODUCER_METRICS_PORT } from '../../core/env-contract.js';
import { ConfigError, type EnvReader } from '../../core/config.js';
import { KAFKA_NAME_PATTERN, REGIONS, type Region } from '../../core/domain.js';
import type { Limits } from './payload.js';
import type { Rate, RateLimitSettings } from './rate-limit.js';

export interface ProducerSettings {
  port: number;
  /** /metrics only, apart from the API so that what exposes the API does not expose it. */
  metricsPort: number;
  /** The pipeline's region; `other` when unset (a producer run by hand, outside the operator). */
  region: Region;
  /** Prepended to the seed's topic names (empty: the seed's names). */
  topicPrefix: string;
  limits: Limits;
  maxMessageBytes: number;
  authMaxSkewMs: number;
  /** Whether version 1 tokens (bound to no request) are accepted: the SDKs' transition to version 2. */
  acceptUnboundTokens: boolean;
  clientCacheTtlMs: number;
  /** How long after its last read a cached client is still served while PostgreSQL cannot be read. */
  clientCacheMaxStaleMs: number;
  sendTimeoutMs: number;
  kafkaLanes: number;
  kafkaGzipLevel: number;
  auditFlushMs: number;
  /** Distinct (client id, address, reason) keys of refusals aggregated per minute; beyond it they share an overflow row. */
  refusalMaxKeys: number;
  /** The window a refusal row counts over: 60 s, whole minutes. */
  refusalWindowMs: number;
  http: HttpTimeouts;
  /** Per-client rate limit; undefined: none (RATE_LIMIT_REQUESTS_PER_SECOND unset). */
  rateLimit?: RateLimitSettings;
}

/** Server timeouts (node:http): slow or idle clients cannot hold connections for long. */
interface HttpTimeouts {
  /** The whole request, headers and body, must arrive within this. */
  requestTimeoutMs: number;
  /** The headers must arrive within this. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

function topicPrefix(r: EnvReader): string {
  const prefix = r.optional(ENV.topicPrefix, '');
  if (prefix !== '' && !new RegExp(KAFKA_NAME_PATTERN).test(prefix))
    throw new ConfigError(`${ENV.topicPrefix} may contain only letters, digits, '.', '_' and '-' (got ${JSON.stringify(prefix)})`);
  return prefix;
}

export function producerSettings(r: EnvReader): ProducerSettings {
  const port = r.int(ENV.port, 8000, 0, 65535);
  const metricsPort = r.int(ENV.metricsPort, PRODUCER_METRICS_PORT, 0, 65535);
  if (port !== 0 && metricsPort === port)
    throw new ConfigError(`${ENV.metricsPort} (${metricsPort}) must differ from ${ENV.port}: metrics are not served on the API port`);
  const limit = rateLimit(r);
  return {
    port,
    metricsPort,
    region: r.oneOf(ENV.pipelineRegion, REGIONS, 'other'),
    topicPrefix: topicPrefix(r),
    limits: {
      maxBodyBytes: r.int('MAX_BODY_BYTES', 5 * 1024 * 1024, 1024),
      maxDecompressedBytes: r.int('MAX_DECOMPRESSED_BYTES', 20 * 1024 * 1024, 1024),
      maxRecords: r.int('MAX_RECORDS_PER_REQUEST', 5000, 1),
    },
    // Below the broker's default message.max.bytes (1 MiB), leaving room for headers.
    maxMessageBytes: r.int('KAFKA_MAX_MESSAGE_BYTES', 900_000, 10_000),
    authMaxSkewMs: r.int('AUTH_MAX_SKEW_SECONDS', 300, 1) * 1000,
    acceptUnboundTokens: r.bool('AUTH_ACCEPT_UNBOUND_TOKENS', true),
    clientCacheTtlMs: r.int('CLIENT_CACHE_TTL_SECONDS', 60, 0) * 1000,
    clientCacheMaxStaleMs: r.int('CLIENT_CACHE_MAX_STALE_SECONDS', 3600, 0) * 1000,
    sendTimeoutMs: r.int('KAFKA_SEND_TIMEOUT_MS', 5000, 100),
    kafkaLanes: r.int('KAFKA_PRODUCER_LANES', 4, 1, 32),
    kafkaGzipLevel: r.int('KAFKA_GZIP_LEVEL', 1, 1, 9),
    auditFlushMs: r.int('AUDIT_FLUSH_MS', 1000, 10),
    // A row is some 200 bytes in memory: 10,000 keys stay within a few MB however many refusals come.
    refusalMaxKeys: r.int('REFUSAL_MAX_KEYS', 10_000, 1, 1_000_000),
    // Rows are written as their window ends: the window is also how late they may be.
    refusalWindowMs: r.int('REFUSAL_WINDOW_SECONDS', 60, 1, 3600) * 1000,
    http: httpTimeouts(r),
    ...(limit ? { rateLimit: limit } : {}),
  };
}

const RATE_MAX = 100_000;

/** A parsed override, checked as strictly as the spec's schema checks it. */
function overrideRate(clientId: string, v: unknown): Rate {
  const o = v as Partial<Rate> | null;
  const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= RATE_MAX;
  if (typeof o !== 'object' || o === null || !ok(o.requestsPerSecond) || !ok(o.burst))
    throw new ConfigError(`${ENV.rateLimitOverrides}: "${clientId}" needs integer requestsPerSecond and burst between 1 and ${RATE_MAX}`);
  return { requestsPerSecond: o.requestsPerSecond!, burst: o.burst! };
}

function rateLimit(r: EnvReader): RateLimitSettings | undefined {
  const rps = r.int(ENV.rateLimitRequestsPerSecond, 0, 0, RATE_MAX);
  const rawOverrides = r.optional(ENV.rateLimitOverrides, '');
  if (rps === 0) {
    if (rawOverrides !== '') throw new ConfigError(`${ENV.rateLimitOverrides} needs ${ENV.rateLimitRequestsPerSecond}`);
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = rawOverrides === '' ? {} : JSON.parse(rawOverrides);
  } catch {
    throw new ConfigError(`${ENV.rateLimitOverrides} must be a JSON object of client id to { requestsPerSecond, burst }`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigError(`${ENV.rateLimitOverrides} must be a JSON object of client id to { requestsPerSecond, burst }`);
  return {
    // The burst defaults to one second's worth: a client at its rate is never refused.
    default: { requestsPerSecond: rps, burst: r.int(ENV.rateLimitBurst, rps, 1, RATE_MAX) },
    overrides: new Map(Object.entries(parsed).map(([id, v]) => [id, overrideRate(id, v)])),
    replicas: r.int(ENV.rateLimitReplicas, 1, 1, 1000),
    // Client ids are authenticated ones (rows of the clients table): far fewer in practice.
    maxBuckets: r.int('RATE_LIMIT_MAX_BUCKETS', 100_000, 1),
  };
}

function httpTimeouts(r: EnvReader): HttpTimeouts {
  // A 5 MiB body over a slow mobile link (about 1 Mbit/s) takes some 40 s; SDK batches are
  // usually a few KB and arrive in well under a second.
  const requestTimeoutMs = r.int('HTTP_REQUEST_TIMEOUT_MS', 60_000, 1000, 3_600_000);
  const headersTimeoutMs = r.int('HTTP_HEADERS_TIMEOUT_MS', 10_000, 1000, 3_600_000);
  if (headersTimeoutMs > requestTimeoutMs)
    throw new ConfigError(`HTTP_HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not exceed HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`);
  return {
    requestTimeoutMs,
    headersTimeoutMs,
    // Above the idle timeout of the usual load balancers (60 s), so that they, not the
    // producer, close idle connections: a request never races a close from this side.
    keepAliveTimeoutMs: r.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, 1000, 3_600_000),
  };
}
