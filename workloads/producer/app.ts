// The Producer API's HTTP application. Its dependencies (authentication, the Kafka sink, the
// audit writers, readiness probes) are passed in, so tests and the entry point wire them.
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import { SOURCES, TOPIC_FACTS, topicForSource, type Source } from '../../core/domain.js';
import { messageKey, RecordTooLargeError, splitIntoMessages, MESSAGE_VERSION } from '../../core/message.js';
import type { Logger } from '../../core/log.js';
import { AuthError, type Authenticator, type ClientRecord } from './auth.js';
import type { BatchWriter } from './audit.js';
import { KafkaUnavailableError, type MessageSink } from './kafka-sink.js';
import { decodeBody, readBody, RequestError, type Limits, type PayloadValidator } from './payload.js';
import type { ProducerMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { errorMessage } from '../../core/errors.js';

export interface ProducerDeps {
  auth: Authenticator;
  sink: MessageSink;
  validator: PayloadValidator;
  usage: BatchWriter;
  unauthorized: BatchWriter;
  limits: Limits;
  maxMessageBytes: number;
  metrics: ProducerMetrics;
  registry: Registry;
  log: Logger;
  /** Kafka and PostgreSQL reachable. */
  ready: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
  retryAfterSeconds?: number;
}

function sendError(
  res: Response,
  requestId: string,
  status: number,
  code: string,
  message: string,
  details?: unknown,
  headers: Record<string, string> = {},
): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(status).json({ error: { code, message, ...(details ? { details } : {}) }, request_id: requestId });
}

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export function createProducerApp(deps: ProducerDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/ready', async (_req, res) => {
    const r = await deps.ready();
    res.status(r.ok ? 200 : 503).json({ status: r.ok ? 'ready' : 'not ready', checks: r.checks });
  });
  app.get('/metrics', async (_req, res) => void res.type(deps.registry.contentType).send(await deps.registry.metrics()));
  app.get('/openapi.json', (_req, res) => void res.json(openApiDocument(deps.limits)));

  app.post('/v1/sync/:source', async (req, res) => {
    const started = process.hrtime.bigint();
    const source = String(req.params.source) as Source;
    const clientId = header(req, 'x-client-id');
    // Until the body is parsed we only know the transport-level id.
    let requestId = header(req, 'x-request-id')?.slice(0, 64) ?? randomUUID();
    let client: ClientRecord | undefined;
    let records = 0;
    res.on('finish', () => {
      const code = res.statusCode;
      deps.metrics.requests.inc({ source: SOURCES.includes(source) ? source : 'unknown', code: String(code) });
      deps.metrics.duration.observe({ source: SOURCES.includes(source) ? source : 'unknown' }, Number(process.hrtime.bigint() - started) / 1e9);
      if (clientId) deps.usage.add([requestId, clientId.slice(0, 72), `sync/${source}`.slice(0, 64), code, new Date()]);
      deps.log.info('request', {
        request_id: requestId,
        client_id: clientId,
        source,
        status: code,
        records,
        ms: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
      });
    });

    try {
      if (!SOURCES.includes(source)) throw new RequestError(404, 'UNKNOWN_SOURCE', `unknown source "${source}"; one of ${SOURCES.join(', ')}`);
      try {
        client = await deps.auth.authenticate(clientId, header(req, 'x-auth-token'));
      } catch (err) {
        if (!(err instanceof AuthError)) throw err;
        deps.metrics.authFailures.inc({ code: err.code });
        // The audit row keeps what was received, never the body itself: an unauthenticated
        // payload is untrusted and may be huge.
        deps.unauthorized.add([
          clientId?.slice(0, 72) ?? null,
          requestId,
          header(req, 'x-auth-token')?.slice(0, 1024) ?? null,
          JSON.stringify({
            reason: err.code,
            source,
            content_type: header(req, 'content-type') ?? null,
            content_encoding: header(req, 'content-encoding') ?? null,
            content_length: Number(header(req, 'content-length') ?? 0),
          }),
          new Date(),
        ]);
        req.resume();
        return sendError(res, requestId, 401, err.code, err.message);
      }
      if (client.geography === 'india' && !TOPIC_FACTS[topicForSource(source)].allowedInIndia) {
        req.resume();
        throw new RequestError(403, 'SOURCE_NOT_ALLOWED', `${source} is not collected for clients in india`);
      }
      const raw = await readBody(req, deps.limits.maxBodyBytes);
      const body = deps.validator.validate(source, await decodeBody(raw, header(req, 'content-type'), header(req, 'content-encoding'), deps.limits));
      requestId = body.request_id;
      records = body.records.length;
      let values: string[];
      try {
        values = splitIntoMessages(
          {
            v: MESSAGE_VERSION,
            request_id: body.request_id,
            client_id: client.clientId,
            user_id: body.user_id,
            source,
            sdk_version: body.sdk_version,
            device: body.device,
            received_at: new Date().toISOString(),
          },
          body.records,
          deps.maxMessageBytes,
        );
      } catch (err) {
        if (err instanceof RecordTooLargeError) throw new RequestError(413, 'RECORD_TOO_LARGE', err.message);
        throw err;
      }
      const key = messageKey(client.clientId, body.user_id);
      await deps.sink.send(
        topicForSource(source),
        values.map((value) => ({ key, value, headers: { 'request-id': body.request_id } })),
      );
      deps.metrics.records.inc({ source }, records);
      res.status(202).json({ request_id: body.request_id, accepted: records, messages: values.length });
    } catch (err) {
      if (err instanceof RequestError) return sendError(res, requestId, err.status, err.code, err.message, err.details);
      if (err instanceof KafkaUnavailableError) {
        deps.metrics.kafkaFailures.inc();
        return sendError(res, requestId, 503, 'KAFKA_UNAVAILABLE', 'the data could not be written to Kafka; retry later with the same request_id', undefined, {
          'Retry-After': String(deps.retryAfterSeconds ?? 5),
        });
      }
      deps.log.error('unexpected error', { request_id: requestId, error: errorMessage(err) });
      return sendError(res, requestId, 500, 'INTERNAL', 'internal error');
    }
  });

  app.use((_req, res) => sendError(res, randomUUID(), 404, 'NOT_FOUND', 'no such endpoint'));
  return app;
}
