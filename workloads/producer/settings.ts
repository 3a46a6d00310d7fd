// The Producer API's optional settings (docs/producer.md); the DI_* ones are in core/config.ts.
import { ENV } from '../../core/env-contract.js';
import type { EnvReader } from '../../core/config.js';
import type { Limits } from './payload.js';

export interface ProducerSettings {
  port: number;
  limits: Limits;
  maxMessageBytes: number;
  authMaxSkewMs: number;
  clientCacheTtlMs: number;
  sendTimeoutMs: number;
  kafkaLanes: number;
  kafkaGzipLevel: number;
  auditFlushMs: number;
}

export function producerSettings(r: EnvReader): ProducerSettings {
  return {
    port: r.int(ENV.port, 8000, 0, 65535),
    limits: {
      maxBodyBytes: r.int('MAX_BODY_BYTES', 5 * 1024 * 1024, 1024),
      maxDecompressedBytes: r.int('MAX_DECOMPRESSED_BYTES', 20 * 1024 * 1024, 1024),
      maxRecords: r.int('MAX_RECORDS_PER_REQUEST', 5000, 1),
    },
    // Below the broker's default message.max.bytes (1 MiB), leaving room for headers.
    maxMessageBytes: r.int('KAFKA_MAX_MESSAGE_BYTES', 900_000, 10_000),
    authMaxSkewMs: r.int('AUTH_MAX_SKEW_SECONDS', 300, 1) * 1000,
    clientCacheTtlMs: r.int('CLIENT_CACHE_TTL_SECONDS', 60, 0) * 1000,
    sendTimeoutMs: r.int('KAFKA_SEND_TIMEOUT_MS', 5000, 100),
    kafkaLanes: r.int('KAFKA_PRODUCER_LANES', 4, 1, 32),
    kafkaGzipLevel: r.int('KAFKA_GZIP_LEVEL', 1, 1, 9),
    auditFlushMs: r.int('AUDIT_FLUSH_MS', 1000, 10),
  };
}
