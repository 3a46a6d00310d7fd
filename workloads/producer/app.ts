// The Producer API's HTTP application. Its dependencies (authentication, the Kafka sink, the
// audit writers, readiness probes) are passed in, so tests and the entry point wire them.
// A sync request passes through named steps (steps.ts), each a middleware: observe (metrics,
// usage row, log line), knownSource, authenticate, rateLimit, regionPolicy, readPayload,
// publish; any error lands in one handler that answers with the documented JSON error shape.
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import express from 'express';
import type { Region } from '../../core/domain.js';
import type { Logger } from '../../core/log.js';
import type { Authenticator } from './auth.js';
import type { AuditPublisher } from './audit-publisher.js';
import type { RefusalAggregator } from './refusals.js';
import type { MessageSink } from './kafka-sink.js';
import type { Limits, PayloadValidator } from './payload.js';
import type { ProducerMetrics } from './metrics.js';
import type { RateLimiter } from './rate-limit.js';
import { openApiDocument } from './openapi.js';
import { answerError, authenticate, knownSource, observe, publish, rateLimit, readPayload, regionPolicy, sendError } from './steps.js';

export interface ProducerDeps {
  auth: Pick<Authenticator, 'authenticate' | 'admit'>;
  sink: MessageSink;
  validator: PayloadValidator;
  /**
   * Audit rows, to the audit topic: an accepted request's usage row goes with its data (the
   * 202 waits for both); the rows of other answers are queued here and produced in the background.
   */
  usage: Pick<AuditPublisher, 'add' | 'topic'>;
  /** Refusals (401s), aggregated per client id, address, reason and minute into unauthorized_requests rows. */
  unauthorized: Pick<RefusalAggregator, 'add'>;
  limits: Limits;
  /** The pipeline's region: its exclusions apply to every client, whatever its geography. */
  region: Region;
  /** Prepended to the seed's topic names: the pipeline's own topics on a shared cluster. */
  topicPrefix?: string;
  maxMessageBytes: number;
  /** Per-client rate limit; none when absent. */
  rateLimiter?: Pick<RateLimiter, 'take'>;
  metrics: ProducerMetrics;
  log: Logger;
  /** Whether to take traffic, and each dependency's state (never error text: /ready may be reachable from outside). */
  ready: () => Promise<Readiness>;
  retryAfterSeconds?: number;
}

export type DependencyState = 'ok' | 'unavailable';

export interface Readiness {
  ok: boolean;
  checks: Record<string, DependencyState>;
}

/** The metrics port's app: /metrics and nothing else (everything else 404). */
export function createMetricsApp(registry: Registry): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req, res) => void res.type(registry.contentType).send(await registry.metrics()));
  app.use((_req, res) => sendError(res, randomUUID(), 404, 'NOT_FOUND', 'no such endpoint'));
  return app;
}

export function createProducerApp(deps: ProducerDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/ready', async (_req, res) => {
    const r = await deps.ready();
    res.status(r.ok ? 200 : 503).json({ status: r.ok ? 'ready' : 'not ready', checks: r.checks });
  });
  const openapi = openApiDocument(deps.limits, (s) => deps.validator.schema(s));
  app.get('/openapi.json', (_req, res) => void res.json(openapi));

  app.post('/v1/sync/:source', observe(deps), knownSource, authenticate(deps), rateLimit(deps), regionPolicy(deps), readPayload(deps), publish(deps));

  app.use((_req, res) => sendError(res, randomUUID(), 404, 'NOT_FOUND', 'no such endpoint'));
  app.use(answerError(deps));
  return app;
}
