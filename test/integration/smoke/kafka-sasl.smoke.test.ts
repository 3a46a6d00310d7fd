// Kafka as production runs it: SASL_SSL with SCRAM-SHA-512 and a server certificate from a
// private CA (test/infra's test CA), on the listener beside the plaintext one the other suites use.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import { logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import { Kafka } from '../../../core/kafka.js';
import { uniqueName } from '../../support/services.js';

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; start the test services with \`npm run infra:up\``);
  return v;
}
const brokers = (): string[] => need('KAFKA_SASL_BROKERS').split(',');
const ca = (): string => readFileSync(need('KAFKA_CA_FILE'), 'utf8');
const password = (): string => readFileSync(need('KAFKA_SCRAM_PASSWORD_FILE'), 'utf8').trim();

function saslKafka(overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'mobileforge-smoke-sasl',
    brokers: brokers(),
    ssl: { ca: [ca()] },
    sasl: { mechanism: 'scram-sha-512', username: need('KAFKA_SCRAM_USERNAME'), password: password() },
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 2, initialRetryTime: 200 },
    ...overrides,
  });
}

/** The messages of an error and of every error it wraps (kafkajs nests the socket's error). */
function messages(err: unknown): string {
  const out: string[] = [];
  for (let e = err as { message?: string; cause?: unknown; originalError?: unknown } | undefined; e && out.length < 10;) {
    out.push(e.message ?? String(e));
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return out.join(' <- ');
}

async function connectError(kafka: Kafka): Promise<unknown> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return undefined;
  } catch (err) {
    return err;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

let admin: Admin;
const topic = uniqueName('smoke-sasl');
const group = uniqueName('smoke-sasl-group');

beforeAll(async () => {
  admin = saslKafka().admin();
  await admin.connect();
});
afterAll(async () => {
  await admin?.deleteGroups([group]).catch(() => undefined);
  await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin?.disconnect();
});

test('a SCRAM-SHA-512 client over TLS, trusting the test CA, creates a topic, produces and consumes', async () => {
  await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
  const kafka = saslKafka();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const sent = Array.from({ length: 10 }, (_, i) => ({ key: `user-${i % 3}`, value: `m${i}` }));
  await producer.send({ topic, acks: -1, messages: sent });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${seen.length}/${sent.length} within 60 s`)), 60000);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          seen.push(message.value?.toString() ?? '');
          if (seen.length === sent.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  expect(seen.sort()).toEqual(sent.map((m) => m.value).sort());
});

test('a wrong password is refused with an authentication error', async () => {
  const err = await connectError(saslKafka({ sasl: { mechanism: 'scram-sha-512', username: need('KAFKA_SCRAM_USERNAME'), password: 'not-the-password' } }));
  expect(err).toMatchObject({ name: 'KafkaJSSASLAuthenticationError' });
  expect(messages(err)).toMatch(/SCRAM SHA512 authentication failed/i);
});

test('a client that does not trust the test CA is refused with a certificate error', async () => {
  const err = await connectError(saslKafka({ ssl: true, retry: { retries: 0 } }));
  expect(messages(err)).toMatch(/unable to verify the first certificate|self-signed certificate/);
});

test("the broker's certificate also names the node bridge's address, where pods reach it", async () => {
  const [host, port] = brokers()[0]!.split(':') as [string, string];
  const cert = await new Promise<PeerCertificate>((resolve, reject) => {
    const socket = connect({ host, port: Number(port), ca: ca() }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    }).on('error', reject);
  });
  expect(checkServerIdentity(need('NODE_IP'), cert)).toBeUndefined();
  expect(checkServerIdentity('127.0.0.1', cert)).toBeUndefined();
  expect(checkServerIdentity('kafka.example.com', cert)?.message).toMatch(/is not in the cert's altnames/);
});
