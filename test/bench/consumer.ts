// npm run bench:consumer [-- --messages 300 --records 100]
// Pre-fills a topic with SMS batches shaped by docs/workload-model.md, then measures records/s
// into MongoDB for (1) one real consumer process, with its CPU and RSS, and (2) side by side in
// the same run, a raw kafkajs consumer doing insertMany of the same documents into the same
// server: the sink ceiling. Ends with one line of JSON.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { logLevel } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { packageRoot } from '../../operator/util/repo-root.js';
import { useTestServices } from '../support/endpoints.js';
import { MESSAGE_VERSION, messageKey, parseMessage, splitIntoMessages } from '../../core/message.js';
import { COLLECTIONS, documentId, migrateMongo, migrateSync } from '../../core/sync-schema.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '300' }, records: { type: 'string', default: '100' } } });
const MESSAGES = Number(values.messages);
const RECORDS = Number(values.records);
const TOTAL = MESSAGES * RECORDS;
const root = packageRoot();
const log = (m: string) => process.stderr.write(`[bench:consumer] ${m}\n`);

execFileSync('bash', [`${root}/test/infra/infra.sh`, 'up', 'postgres', 'kafka', 'mongo'], { stdio: ['ignore', 'ignore', 'inherit'] });
// Only the test services, whatever the shell's KUBECONFIG or DATABASE_URL says.
useTestServices();
const env = { ...process.env } as Record<string, string>;
const brokers = env.KAFKA_BROKERS!.split(',');
const tag = `bench${Date.now().toString(36)}`;
const topic = `sms-${tag}`;
const pgAdmin = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: 'postgres' });
await pgAdmin.connect();
await pgAdmin.query(`CREATE DATABASE ${tag}`);
await pgAdmin.end();
const pgc = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: tag });
await pgc.connect();
await migrateSync(pgc);
const mongo = new MongoClient(env.MONGODB_URI!);
await mongo.connect();
const oursDb = mongo.db(`${tag}_ours`);
const rawDb = mongo.db(`${tag}_raw`);
await migrateMongo(oursDb);
await migrateMongo(rawDb);

const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({
  topics: [
    { topic, numPartitions: 4, replicationFactor: 1 },
    { topic: `${topic}.dlq`, numPartitions: 1, replicationFactor: 1 },
  ],
  waitForLeaders: true,
});
log(`pre-filling ${topic}: ${MESSAGES} messages x ${RECORDS} SMS records (~300 bytes each, docs/workload-model.md)`);
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const msgs = Array.from({ length: MESSAGES }, (_, n) => {
  const user = `user-${n % 1000}`;
  const records = Array.from({ length: RECORDS }, (_, i) => ({
    id: `${n}-${i}`,
    sender: 'AX-HDFCBK',
    body: `Rs.${i}.00 debited from a/c XXXX${n % 9999} on 26-11-26 to VPA XXXXXXXX@ybl (UPI Ref No XXXXXXXX${i}). Not you? Call 1800XXXXXXX`,
    timestamp: 1764000000000 + i,
    type: 'inbox',
  }));
  return {
    key: messageKey('acme', user),
    value: splitIntoMessages(
      {
        v: MESSAGE_VERSION,
        request_id: `${tag}-${n}`,
        client_id: 'acme',
        user_id: user,
        source: 'sms',
        sdk_version: '2',
        device: {},
        received_at: new Date().toISOString(),
      },
      records,
      900_000,
    )[0]!,
  };
});
// small sends: one record batch per partition must stay under the broker's 1 MB limit
for (let i = 0; i < msgs.length; i += 20) await producer.send({ topic, acks: -1, messages: msgs.slice(i, i + 20) });
await producer.disconnect();

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const until = async (cond: () => Promise<boolean>) => {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 100));
};

// Both phases are timed from their first document to their last: process start-up and the
// group join are not sink throughput.
const firstToLast = async (count: () => Promise<number>): Promise<number> => {
  await until(async () => (await count()) > 0);
  const start = performance.now();
  await until(async () => (await count()) >= TOTAL);
  return (performance.now() - start) / 1000;
};

log('our consumer process');
const consumer = spawn(process.execPath, [`${root}/dist/workloads/consumer/main.js`], {
  env: {
    PATH: process.env.PATH,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    ENABLED_TOPICS: topic,
    KAFKA_CONSUMER_GROUP: `${tag}-ours`,
    DI_KAFKA_BROKER_ENDPOINT: brokers.join(','),
    DI_POSTGRES_HOST: env.PGHOST,
    DI_POSTGRES_PORT: env.PGPORT,
    DI_POSTGRES_USERNAME: env.PGUSER,
    DI_POSTGRES_PASSWORD: env.PGPASSWORD,
    DI_POSTGRES_DATABASE: tag,
    DI_POSTGRES_SYNC_DATABASE: tag,
    DI_MONGODB_URI: env.MONGODB_URI,
    DI_MONGODB_DATABASE: `${tag}_ours`,
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const cpuBefore = await (async () => {
  await until(async () => (await oursDb.collection(COLLECTIONS.sms).estimatedDocumentCount()) > 0);
  return cpuSeconds(consumer.pid!);
})();
const oursS = await firstToLast(() => oursDb.collection(COLLECTIONS.sms).estimatedDocumentCount());
const oursCpu = (cpuSeconds(consumer.pid!) - cpuBefore) / oursS;
const oursRss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${consumer.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
consumer.kill('SIGTERM');

log('raw kafkajs consume + insertMany (the sink ceiling)');
const raw = kafka.consumer({ groupId: `${tag}-raw` });
await raw.connect();
await raw.subscribe({ topic, fromBeginning: true });
// The same consumption settings as ours (workloads/consumer/main.ts): four partitions at once.
await raw.run({
  partitionsConsumedConcurrently: 4,
  eachBatch: async ({ batch }) => {
    const docs = batch.messages.flatMap((m) => {
      const msg = parseMessage(m.value!);
      // The very documents our sink writes (fields, _id), so only the pipeline differs.
      return msg.records.map((r, i) => ({
        ...r,
        client_id: msg.client_id,
        user_id: msg.user_id,
        request_id: msg.request_id,
        sdk_version: msg.sdk_version,
        device: msg.device,
        synced_at: new Date(msg.received_at),
        _id: documentId([msg.client_id, msg.user_id, msg.request_id, msg.source, msg.chunk.index, i]),
      }));
    });
    if (docs.length) await rawDb.collection<{ _id: string }>(COLLECTIONS.sms).insertMany(docs, { ordered: false });
  },
});
const rawS = await firstToLast(() => rawDb.collection(COLLECTIONS.sms).estimatedDocumentCount());
await raw.disconnect();

await admin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
await admin.disconnect();
await oursDb.dropDatabase();
await rawDb.dropDatabase();
await mongo.close();
await pgc.end();

const result = {
  bench: 'consumer',
  sink: env.MONGODB_URI!.includes('57017') ? 'FerretDB 1.24 (SQLite)' : 'MongoDB at MONGODB_URI',
  messages: MESSAGES,
  recordsPerMessage: RECORDS,
  ours: { recordsPerSec: Math.round(TOTAL / oursS), seconds: Number(oursS.toFixed(1)), cpuCores: Number(oursCpu.toFixed(2)), rssMb: Math.round(oursRss) },
  ceiling: { recordsPerSec: Math.round(TOTAL / rawS), seconds: Number(rawS.toFixed(1)) },
  ratio: Number((rawS / oursS).toFixed(2)),
  target: { ratio: 0.85 },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
