// The Producer API's yardstick for the same work (bench:producer runs it as a process of its
// own, beside the real one): node:http, and the product's own functions for everything a sync
// request must have done to it before Kafka: the body read within its limit, gunzip'd and parsed
// (decodeText, parseJson), the envelope and storability rules (PayloadValidator), the message encoding
// (encodeRequest) and the Kafka sink with the producer's settings (KafkaSink: lanes, coalescing,
// acks=all, idempotent, gzip at the producer's level). Imported, not copied, so the yardstick
// cannot drift from the product. What it leaves out is what the product adds on top: Express,
// authentication and the replay guard, the rate limit and region policy, the usage row,
// metrics and logging. Environment: the producer's (PORT, DI_KAFKA_BROKER_ENDPOINT,
// KAFKA_GZIP_LEVEL, ...). GET /event-loop-delay answers the event-loop delay since the last such
// GET (and resets it); any other GET answers 200 (the bench's readiness poll).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EnvReader, kafkaConfig } from '../../core/config.js';
import { kafkaTopicName, SOURCES, topicForSource, type Source } from '../../core/domain.js';
import { useKafkaGzipLevel } from '../../core/kafka-gzip.js';
import { encodeRequest } from '../../workloads/producer/encode.js';
import { KafkaSink, KafkaUnavailableError, producerSinkOptions } from '../../workloads/producer/kafka-sink.js';
import { decodeText, parseJson, readBody, RequestError, PayloadValidator } from '../../workloads/producer/payload.js';
import { producerSettings } from '../../workloads/producer/settings.js';

/** The client id the messages carry: the forwarder authenticates nobody. */
const CLIENT_ID = 'validating-forwarder';

const r = new EnvReader();
const settings = producerSettings(r);
useKafkaGzipLevel(settings.kafkaGzipLevel);
const sink = new KafkaSink(kafkaConfig(r, 'validating-forwarder'), producerSinkOptions(settings));
await sink.connect();
const validator = new PayloadValidator(settings.limits);
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

function answer(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) }).end(text);
}

async function sync(req: IncomingMessage, res: ServerResponse, source: Source): Promise<void> {
  const raw = await readBody(req, settings.limits.maxBodyBytes);
  const text = await decodeText(raw, header(req, 'content-type'), header(req, 'content-encoding'), settings.limits);
  const body = validator.validate(source, parseJson(text));
  const { key, values } = encodeRequest(CLIENT_ID, source, body, settings.maxMessageBytes, new Date(), text);
  await sink.send(
    kafkaTopicName({ topicPrefix: settings.topicPrefix }, topicForSource(source)),
    values.map((value) => ({ key, value, headers: { 'request-id': body.request_id } })),
  );
  answer(res, 202, { request_id: body.request_id, accepted: body.records.length, messages: values.length });
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    if (req.url === '/event-loop-delay') {
      answer(res, 200, { p50Ms: delay.percentile(50) / 1e6, p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6 });
      delay.reset();
    } else answer(res, 200, { status: 'ok' });
    return;
  }
  const m = /^\/v1\/sync\/([^/?]+)/.exec(req.url ?? '');
  const source = SOURCES.find((s) => s === m?.[1]);
  if (!source) {
    req.resume();
    answer(res, 404, { error: { code: 'UNKNOWN_SOURCE' } });
    return;
  }
  sync(req, res, source).catch((err: unknown) => {
    req.resume();
    if (err instanceof RequestError) answer(res, err.status, { error: { code: err.code, message: err.message } });
    else answer(res, err instanceof KafkaUnavailableError ? 503 : 500, { error: { code: 'FAILED' } });
  });
});
server.keepAliveTimeout = settings.http.keepAliveTimeoutMs;
server.listen(settings.port, '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void sink.close().then(() => process.exit(0));
});
