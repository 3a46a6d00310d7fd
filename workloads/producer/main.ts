// The Producer API process: `npm run producer` locally, `producer` in the workload image.
// Configuration: the seed's DI_* variables plus the optional ones in docs/producer.md.
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import pg from 'pg';
import { logLevel } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { kafkaConfig, postgresConfig } from '../../core/config.js';
import { useKafkaGzipLevel } from '../../core/kafka-gzip.js';
import type { Logger } from '../../core/log.js';
import { runService } from '../run-process.js';
import { Authenticator, ClientDirectory, ReplayGuard } from './auth.js';
import { AuditPublisher } from './audit-publisher.js';
import { ClientLog } from './client-log.js';
import { RefusalAggregator } from './refusals.js';
import { AUDIT_TOPIC, CLIENTS_TOPIC, kafkaTopicName } from '../../core/domain.js';
import { createMetricsApp, createProducerApp, type DependencyState } from './app.js';
import { errorBody } from './steps.js';
import { KafkaSink, producerSinkOptions } from './kafka-sink.js';
import { ProducerMetrics } from './metrics.js';
import { PayloadValidator } from './payload.js';
import { producerSettings } from './settings.js';
import { RateLimiter } from './rate-limit.js';
import { errorMessage } from '../../core/errors.js';

/** How long a starting replica reads the clients topic at most before it takes requests. */
const CLIENT_LOG_START_TIMEOUT_MS = 10_000;

runService({
  component: 'producer',
  help: 'producer: the MobileForge Sync Producer API (port 8000). Configured by environment; see docs/producer.md.',
  settings: (r) => ({ settings: producerSettings(r), pgConfig: postgresConfig(r), kConfig: kafkaConfig(r, 'mobileforge-producer') }),
  start: ({ settings, pgConfig, kConfig }, log) => startProducer(settings, pgConfig, kConfig, log),
});

async function startProducer(
  settings: ReturnType<typeof producerSettings>,
  pgConfig: pg.PoolConfig,
  kConfig: ReturnType<typeof kafkaConfig>,
  log: Logger,
): Promise<{ stop: (signal: string) => Promise<void> }> {
  const metrics = new ProducerMetrics();
  const pool = new pg.Pool({ ...pgConfig, max: 10, connectionTimeoutMillis: 3000 });
  pool.on('error', (err) => log.warn('postgres pool error', { error: err.message }));

  useKafkaGzipLevel(settings.kafkaGzipLevel);
  const naming = { topicPrefix: settings.topicPrefix };
  const sink = new KafkaSink(kConfig, producerSinkOptions(settings, [kafkaTopicName(naming, AUDIT_TOPIC)]));
  // Start even if Kafka is down: requests get 503 and /ready says why, until it is back.
  await sink.connect().catch((err: unknown) => log.warn('Kafka not reachable at start-up', { error: errorMessage(err) }));
  const admin = new Kafka({ ...kConfig, logLevel: logLevel.NOTHING, connectionTimeout: 2000, requestTimeout: 3000, retry: { retries: 0 } }).admin();

  // usage and unauthorized_requests rows go to the audit topic (audit-publisher.ts); the
  // consumer of that topic writes them. Nothing waits in this pod for PostgreSQL.
  const usage = new AuditPublisher(sink, {
    topic: kafkaTopicName(naming, AUDIT_TOPIC),
    flushIntervalMs: settings.auditFlushMs,
    maxBatch: 1000,
    maxQueued: 100_000,
    onDropped: (table, n) => metrics.auditDropped.inc({ table }, n),
    onPublished: (table, n) => metrics.auditWritten.inc({ table }, n),
    onError: (err) => log.warn('audit rows not produced; retrying', { error: errorMessage(err) }),
  });
  metrics.auditQueued = (table) => usage.pending(table);
  const unauthorized = new RefusalAggregator(settings.refusalMaxKeys, (n) => metrics.refusalsDropped.inc(n), settings.refusalWindowMs);
  // Each window's aggregated refusals are queued for producing once the window is over.
  const drainRefusals = setInterval(() => {
    for (const row of unauthorized.drain(new Date())) usage.add(row);
  }, settings.auditFlushMs);
  drainRefusals.unref();
  usage.start();

  // The clients the replicas share: read whole before this replica takes requests, so that one
  // started while PostgreSQL is away still knows the clients known before it.
  const clientLog = new ClientLog(sink, kafkaTopicName(naming, CLIENTS_TOPIC), settings.clientCacheTtlMs / 2, log);
  await clientLog.start(kConfig, settings.topicPrefix, CLIENT_LOG_START_TIMEOUT_MS);

  // /ready says which dependency is down, never why: its body may be reachable from outside
  // (a LoadBalancer Service). The reason goes to the log, once per change of state.
  const lastState = new Map<string, DependencyState>();
  const check = async <T>(name: string, f: () => Promise<T>): Promise<DependencyState> => {
    let state: DependencyState = 'ok';
    let reason: string | undefined;
    await f().catch((err: unknown) => {
      state = 'unavailable';
      reason = errorMessage(err);
    });
    if (lastState.get(name) !== state) {
      if (state === 'ok') log.info('dependency available', { dependency: name });
      else log.warn('dependency unavailable', { dependency: name, error: reason });
      lastState.set(name, state);
    }
    return state;
  };
  const app = createProducerApp({
    auth: new Authenticator(
      new ClientDirectory(pool, settings.clientCacheTtlMs, settings.clientCacheMaxStaleMs, () => metrics.staleClients.inc(), undefined, clientLog),
      new ReplayGuard(settings.authMaxSkewMs),
      settings.authMaxSkewMs,
      settings.acceptUnboundTokens,
    ),
    sink,
    validator: new PayloadValidator(settings.limits),
    usage,
    unauthorized,
    limits: settings.limits,
    region: settings.region,
    topicPrefix: settings.topicPrefix,
    maxMessageBytes: settings.maxMessageBytes,
    ...(settings.rateLimit ? { rateLimiter: new RateLimiter(settings.rateLimit) } : {}),
    metrics,
    log,
    ready: async () => {
      const [postgres, kafka] = await Promise.all([
        check('postgres', () => pool.query('SELECT 1')),
        check('kafka', async () => {
          await admin.connect();
          await admin.describeCluster();
        }),
      ]);
      // Kafka only: ingestion needs nothing else (clients come from the cache and the clients
      // topic, audit rows go to Kafka), so a PostgreSQL failover takes no producer out of its Service.
      return { ok: kafka === 'ok', checks: { kafka, postgres } };
    },
  });

  let inFlight = 0;
  const server: Server = createServer(
    {
      requestTimeout: settings.http.requestTimeoutMs,
      headersTimeout: settings.http.headersTimeoutMs,
      keepAliveTimeout: settings.http.keepAliveTimeoutMs,
      // How often the timeouts are checked (Node's default, 30 s, would let a slow client
      // overstay by that much).
      connectionsCheckingInterval: Math.min(1000, settings.http.headersTimeoutMs),
    },
    app,
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => clientError(err, socket, log));
  server.listen(settings.port, () => log.info('listening', { port: settings.port }));
  const metricsServer = createServer(createMetricsApp(metrics.registry));
  metricsServer.listen(settings.metricsPort, () => log.info('serving metrics', { port: settings.metricsPort }));
  server.on('request', (_req, res) => {
    inFlight++;
    res.on('close', () => inFlight--);
  });

  return {
    stop: async (signal) => {
      log.info('shutting down: no new connections, finishing in-flight requests', { signal, inFlight });
      server.close();
      server.closeIdleConnections();
      metricsServer.close();
      metricsServer.closeAllConnections();
      while (inFlight > 0) await new Promise((res) => setTimeout(res, 20));
      server.closeAllConnections();
      clearInterval(drainRefusals);
      for (const row of unauthorized.drain()) usage.add(row);
      await usage.stop();
      const left = usage.pending('usage') + usage.pending('unauthorized_requests');
      if (left > 0) log.warn('audit rows Kafka did not take before shutdown', { rows: left });
      await sink.close();
      await clientLog.stop();
      await admin.disconnect().catch(() => undefined);
      await pool.end();
    },
  };
}

/** Answers what Node's HTTP parser refuses or times out (before Express sees it) in the API's JSON error shape. */
function clientError(err: NodeJS.ErrnoException, socket: Duplex, log: Logger): void {
  const [status, code, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'REQUEST_TIMEOUT', 'the request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'HEADERS_TOO_LARGE', 'the request headers are too large']
        : [400, 'BAD_REQUEST', 'the request is not valid HTTP'];
  log.info('connection refused', { status, code: err.code ?? 'unknown' });
  // Only when no answer has started on this connection (Node's own rule).
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(randomUUID(), code, message));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // A moment for the answer to leave before the connection is cut.
  setTimeout(() => socket.destroy(), 1000).unref();
}
