// The Producer API's yardstick (bench:producer runs it as a process of its own, beside the
// real one): node:http and one idempotent kafkajs producer, nothing else. Every POST's body,
// the same gzip'd bytes the SDK sends, goes to Kafka as it came (no auth, no decompression,
// no parsing, no validation, no audit), with the producer's Kafka settings: acks=all,
// idempotent, gzip at the producer's level; requests arriving while a batch is in flight are
// coalesced into the next one. Answers 202 once Kafka acknowledged. Environment: PORT,
// KAFKA_BROKERS, TOPIC, KAFKA_GZIP_LEVEL.
import { createServer } from 'node:http';
import { CompressionTypes, logLevel, type Message } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { useKafkaGzipLevel } from '../../core/kafka-gzip.js';

const topic = process.env.TOPIC ?? 'sms_batched';
useKafkaGzipLevel(Number(process.env.KAFKA_GZIP_LEVEL ?? '1'));
const kafka = new Kafka({ clientId: 'bare-forwarder', brokers: process.env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();

let queue: { message: Message; done: (ok: boolean) => void }[] = [];
let sending = false;
async function pump(): Promise<void> {
  if (sending) return;
  sending = true;
  while (queue.length > 0) {
    const batch = queue;
    queue = [];
    try {
      await producer.sendBatch({ topicMessages: [{ topic, messages: batch.map((b) => b.message) }], acks: -1, compression: CompressionTypes.GZIP });
      for (const b of batch) b.done(true);
    } catch {
      for (const b of batch) b.done(false);
    }
  }
  sending = false;
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(200).end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    queue.push({
      message: { value: Buffer.concat(chunks) },
      done: (ok) => res.writeHead(ok ? 202 : 503, { 'content-type': 'application/json' }).end('{}'),
    });
    void pump();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void producer.disconnect().then(() => process.exit(0));
});
