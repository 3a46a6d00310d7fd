// The steps of one sync request, in order: observe (metrics, usage row, log line),
// knownSource, authenticate, rateLimit, regionPolicy, readPayload, publish; and the one error
// handler every failure lands in, which answers with the documented JSON error shape. Each step
// is an Express middleware made from the dependencies it uses (createProducerApp wires them);
// what a step learns goes into the request's SyncContext for the steps after it.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { SOURCES, TOPIC_FACTS, kafkaTopicName, topicForSource, type Source } from '../../core/domain.js';
import type { SyncRequestBody } from '../../core/envelope.js';
import type { UsageRow } from '../../core/audit-message.js';
import { errorMessage } from '../../core/errors.js';
import type { ProducerDeps } from './app.js';
import { auditText } from './audit.js';
import { auditMessage } from './audit-publisher.js';
import { AuthError, ClientsUnavailableError, type Authenticated, type ClientRecord } from './auth.js';
import { encodeRequest } from './encode.js';
import { KafkaUnavailableError } from './kafka-sink.js';
import type { Refusal } from './refusals.js';
import { BodyTooLargeError, decodeText, parseJson, readBody, RequestError } from './payload.js';

/** What the steps of one sync request learn, in order. */
export interface SyncContext {
  started: bigint;
  /** The path's source once known to be one; undefined for anything else. */
  source?: Source;
  /** The transport-level id until the body is parsed, then the body's request_id. */
  requestId: string;
  /** Set when the request was refused a 401: it gets no usage row (billing). */
  refused?: boolean;
  /** This attempt's usage row id: the row's unique key, whichever way it travels. */
  attemptId: string;
  /** The usage row sent with the data (the 202's), once it is on its way. */
  usageRow?: UsageRow;
  client?: ClientRecord;
  /** The token as `authenticate` passed it, until `admit` checks it against the body. */
  auth?: Authenticated;
  body?: SyncRequestBody;
  /** The body's JSON text, which the message reuses (encode.ts). */
  text?: string;
  /** Refused by the rate limit: no usage row (nothing was done for the client). */
  rateLimited?: boolean;
  /** The error code of the answer, once one is sent (sendError). */
  answerCode?: string;
}

/** The request's context, which `observe` creates. */
export const syncContext = (res: Response): SyncContext => (res.locals as { sync: SyncContext }).sync;

/** How long a connection whose request body was refused unread may keep sending before it is cut. */
const LINGER_MS = 2000;

export function errorBody(requestId: string, code: string, message: string, details?: unknown): Record<string, unknown> {
  return { error: { code, message, ...(details ? { details } : {}) }, request_id: requestId };
}

export function sendError(
  res: Response,
  requestId: string,
  status: number,
  code: string,
  message: string,
  details?: unknown,
  headers: Record<string, string> = {},
): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  const sync = (res.locals as { sync?: SyncContext }).sync;
  if (sync) sync.answerCode = code;
  res.status(status).json(errorBody(requestId, code, message, details));
}

/**
 * What res.status(status).json(body) answers (the same bytes and headers) for the one answer
 * every accepted request gets. Express's json() and send() look up settings, MIME types and
 * charset parameters on each call, a noticeable share of a request's CPU here.
 */
function sendJson(res: Response, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Answer, then close, a request whose body is being refused unread. Node ends such a
 * connection with destroySoon(), which resets it while request bytes are still unread, and the
 * reset can discard the answer before the client reads it. Here the write side is closed after
 * the answer and the rest of the body is read and dropped for a moment (a lingering close, as
 * web servers do), so the client sees the 413.
 */
function closeAfterAnswer(req: Request, res: Response): void {
  res.setHeader('Connection', 'close');
  const socket: Socket = req.socket;
  Object.assign(socket, {
    destroySoon: () => {
      socket.end();
      const cut = setTimeout(() => socket.destroy(), LINGER_MS);
      cut.unref();
      socket.once('close', () => clearTimeout(cut));
    },
  });
  req.resume();
}

/**
 * Metrics, the audit row and the log line of every sync request, once it is answered. The
 * audit row: a `usage` row for an authenticated client; for an answer given before the client
 * was authenticated (an unknown source, clients unreadable), whose client id is only claimed, a
 * counted refusal instead, so that nobody adds billing rows to another client's account.
 */
export function observe(deps: Pick<ProducerDeps, 'usage' | 'unauthorized' | 'metrics' | 'log'>): RequestHandler {
  return (req, res, next) => {
    const sync: SyncContext = {
      started: process.hrtime.bigint(),
      requestId: auditText(header(req, 'x-request-id'), 64) ?? randomUUID(),
      attemptId: randomUUID(),
    };
    res.locals.sync = sync;
    const raw = String(req.params.source);
    if ((SOURCES as readonly string[]).includes(raw)) sync.source = raw as Source;
    // Only validated or sanitised text reaches the audit tables: a client id from the
    // clients table or a cleaned, bounded copy of the header, a known source name.
    const clientIdOf = () => sync.client?.clientId ?? auditText(header(req, 'x-client-id'), 72);
    // The usage row of an answer other than a 202 is queued as the answer's headers are
    // written (the 202's went to Kafka with the data, before the answer). Its id and time are
    // the attempt's: should a 202's row have reached Kafka after all (a send that timed out),
    // this row is the same row, and the table keeps one.
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
    res.writeHead = ((...args: unknown[]) => {
      const code = typeof args[0] === 'number' ? args[0] : res.statusCode;
      // A request refused for authentication is counted in unauthorized_requests already (a
      // flood of refusals must not take room in the usage queue, whose bound is for billing
      // rows); one refused by the rate limit is not counted at all.
      if (!sync.refused && !sync.rateLimited && !(code === 202 && sync.usageRow)) {
        if (sync.client)
          deps.usage.add({
            kind: 'usage',
            id: sync.attemptId,
            request_id: sync.requestId,
            client_id: sync.client.clientId,
            api_name: `sync/${sync.source ?? 'unknown'}`,
            response_code: code,
            created_at: sync.usageRow?.created_at ?? new Date().toISOString(),
          });
        else deps.unauthorized.add(refusalOf(req, sync, sync.answerCode ?? `HTTP_${code}`));
      }
      res.writeHead = writeHead as Response['writeHead'];
      return writeHead(...args);
    }) as Response['writeHead'];
    res.on('finish', () => {
      const code = res.statusCode;
      const source = sync.source ?? 'unknown';
      const seconds = Number(process.hrtime.bigint() - sync.started) / 1e9;
      deps.metrics.requests.inc({ source, code: String(code) });
      deps.metrics.duration.observe({ source }, seconds);
      const clientId = clientIdOf();
      deps.log.info('request', {
        request_id: sync.requestId,
        client_id: clientId,
        source: sync.source ?? auditText(raw, 64),
        status: code,
        records: sync.body?.records.length ?? 0,
        ms: Math.round(seconds * 1000),
      });
      // The request outlives its answer: Express links it to the response (req.res, whose
      // locals hold this context), and a keep-alive connection's parser holds the request until
      // the next one arrives. The body, its text and the token are let go now, not then, so
      // they die young instead of being copied and promoted by the garbage collector.
      sync.body = undefined;
      sync.text = undefined;
      sync.auth = undefined;
    });
    next();
  };
}

/** 404 for a path whose source is not one of SOURCES. */
export function knownSource(req: Request, res: Response, next: NextFunction): void {
  if (syncContext(res).source) return next();
  req.resume();
  throw new RequestError(404, 'UNKNOWN_SOURCE', `unknown source "${auditText(String(req.params.source), 64)}"; one of ${SOURCES.join(', ')}`);
}

/**
 * What an unauthenticated request is counted with: what was received, never the body itself
 * (an unauthenticated payload is untrusted and may be huge); header text cleaned and bounded.
 */
function refusalOf(req: Request, sync: SyncContext, reason: string): Refusal {
  return {
    clientId: auditText(header(req, 'x-client-id'), 72),
    address: auditText(req.socket.remoteAddress, 64),
    reason,
    requestId: sync.requestId,
    authToken: auditText(header(req, 'x-auth-token'), 1024),
    summary: JSON.stringify({
      reason,
      source: sync.source ?? 'unknown',
      content_type: auditText(header(req, 'content-type'), 128) ?? null,
      content_encoding: auditText(header(req, 'content-encoding'), 64) ?? null,
      content_length: Number(header(req, 'content-length') ?? 0) || 0,
    }),
    at: new Date(),
  };
}

/** A 401: counted, and aggregated into an audit row. */
function refuse(deps: Pick<ProducerDeps, 'metrics' | 'unauthorized'>, req: Request, res: Response, err: AuthError): void {
  const sync = syncContext(res);
  sync.refused = true;
  deps.metrics.authFailures.inc({ code: err.code });
  deps.unauthorized.add(refusalOf(req, sync, err.code));
  req.resume();
  sendError(res, sync.requestId, 401, err.code, err.message);
}

/** The token's checks that need no body (auth.ts); a request without a valid one is refused before its body is read. */
export function authenticate(deps: Pick<ProducerDeps, 'auth' | 'metrics' | 'unauthorized'>): RequestHandler {
  return async (req, res, next) => {
    const sync = syncContext(res);
    try {
      sync.auth = await deps.auth.authenticate(header(req, 'x-client-id'), header(req, 'x-auth-token'), { method: req.method, path: req.path });
      sync.client = sync.auth.client;
      return next();
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      return refuse(deps, req, res, err);
    }
  };
}

/**
 * After authentication, so that requests under someone else's client id cost that client
 * nothing; before the body is read, so that a refused request costs this process no more
 * than its headers. The body is drained unread.
 */
export function rateLimit(deps: Pick<ProducerDeps, 'rateLimiter' | 'metrics'>): RequestHandler {
  return (req, res, next) => {
    if (!deps.rateLimiter) return next();
    const sync = syncContext(res);
    const clientId = sync.client!.clientId;
    const d = deps.rateLimiter.take(clientId);
    if (d.ok) return next();
    sync.rateLimited = true;
    deps.metrics.countRateLimited(clientId);
    req.resume();
    return sendError(
      res,
      sync.requestId,
      429,
      'RATE_LIMITED',
      `client ${clientId} is over its rate limit of ${d.limit.requestsPerSecond} requests per second (burst ${d.limit.burst}); retry after ${d.retryAfterSeconds} s with the same request_id`,
      undefined,
      { 'Retry-After': String(d.retryAfterSeconds) },
    );
  };
}

/**
 * Two rules, either refuses: the pipeline's region (an India pipeline has no topic or
 * consumer for these sources, and may not collect them) and the client's own geography.
 */
export function regionPolicy(deps: Pick<ProducerDeps, 'region'>): RequestHandler {
  return (req, res, next) => {
    const { client, source } = syncContext(res);
    if (!TOPIC_FACTS[topicForSource(source!)].allowedInIndia) {
      const why = deps.region === 'india' ? 'in an india pipeline' : client!.geography === 'india' ? 'for clients in india' : undefined;
      if (why) {
        req.resume();
        throw new RequestError(403, 'SOURCE_NOT_ALLOWED', `${source} is not collected ${why}`);
      }
    }
    next();
  };
}

/** The body: read within its limit, checked against the token, decompressed, parsed and validated. */
export function readPayload(deps: Pick<ProducerDeps, 'auth' | 'limits' | 'validator' | 'metrics' | 'unauthorized'>): RequestHandler {
  return async (req, res, next) => {
    const sync = syncContext(res);
    const raw = await readBody(req, deps.limits.maxBodyBytes);
    // The token's binding covers the bytes as received: checked before they are gunzip'd or
    // parsed, so a body the token was not made for costs no decompression.
    try {
      deps.auth.admit(sync.auth!, raw);
    } catch (err) {
      if (!(err instanceof AuthError)) throw err;
      sync.client = undefined;
      return refuse(deps, req, res, err);
    }
    if (!sync.auth!.bound) deps.metrics.unboundTokens.inc();
    const text = await decodeText(raw, header(req, 'content-type'), header(req, 'content-encoding'), deps.limits);
    const body = deps.validator.validate(sync.source!, parseJson(text));
    sync.requestId = body.request_id;
    sync.body = body;
    sync.text = text;
    next();
  };
}

/** The data and the 202's usage row to Kafka, in one produce request; the 202 once Kafka acknowledged both. */
export function publish(deps: Pick<ProducerDeps, 'sink' | 'usage' | 'metrics' | 'maxMessageBytes' | 'topicPrefix'>): RequestHandler {
  return async (_req, res) => {
    const sync = syncContext(res);
    const { client, source, body, text } = sync as Required<SyncContext>;
    const { key, values } = encodeRequest(client.clientId, source, body, deps.maxMessageBytes, new Date(), text);
    // The billing row travels with the data, in the same produce request: the 202 below is
    // sent only once Kafka acknowledged both, so no accepted request is without its row.
    sync.usageRow = {
      kind: 'usage',
      id: sync.attemptId,
      request_id: body.request_id,
      client_id: client.clientId,
      api_name: `sync/${source}`,
      response_code: 202,
      created_at: new Date().toISOString(),
    };
    await deps.sink.send(
      kafkaTopicName({ topicPrefix: deps.topicPrefix ?? '' }, topicForSource(source)),
      values.map((value) => ({ key, value, headers: { 'request-id': body.request_id } })),
      [{ topic: deps.usage.topic, messages: [auditMessage(sync.usageRow)] }],
    );
    deps.metrics.records.inc({ source }, body.records.length);
    sendJson(res, 202, { request_id: body.request_id, accepted: body.records.length, messages: values.length });
  };
}

/**
 * Every error, including the router's own (a path that is not valid percent-encoding), is
 * answered in the documented JSON shape; Express's HTML error page is never used.
 */
export function answerError(deps: Pick<ProducerDeps, 'metrics' | 'log' | 'retryAfterSeconds'>) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const requestId = (res.locals as { sync?: SyncContext }).sync?.requestId ?? randomUUID();
    if (res.headersSent) return;
    if (err instanceof BodyTooLargeError) closeAfterAnswer(req, res);
    if (err instanceof RequestError) return sendError(res, requestId, err.status, err.code, err.message, err.details);
    if (err instanceof KafkaUnavailableError) {
      deps.metrics.kafkaFailures.inc();
      return sendError(res, requestId, 503, 'KAFKA_UNAVAILABLE', 'the data could not be written to Kafka; retry later with the same request_id', undefined, {
        'Retry-After': String(deps.retryAfterSeconds ?? 5),
      });
    }
    if (err instanceof ClientsUnavailableError) {
      deps.log.warn('client lookup failed', { request_id: requestId, error: err.message });
      return sendError(res, requestId, 503, 'AUTH_UNAVAILABLE', 'the client could not be looked up; retry later with the same request_id', undefined, {
        'Retry-After': String(deps.retryAfterSeconds ?? 5),
      });
    }
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // The router's errors: a path it cannot decode (400), and the like.
      req.resume();
      return sendError(res, requestId, status, status === 400 ? 'INVALID_PATH' : 'BAD_REQUEST', errorMessage(err).slice(0, 200));
    }
    deps.log.error('unexpected error', { request_id: requestId, error: errorMessage(err) });
    return sendError(res, requestId, 500, 'INTERNAL', 'internal error');
  };
}
