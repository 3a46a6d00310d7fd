// npm run bench:producer [-- --duration 20 --concurrency 32 --gzip-level 1]
// Load on the real Producer API process: real encrypted tokens, gzip'd 100-record SMS
// batches, fixed concurrency; then, in the same run against the same broker, a raw kafkajs
// producer sending the same messages (same settings: idempotent, acks=all, gzip), as the
// client ceiling, and a bare forwarder (node:http + one kafkajs producer passing the same gzip'd
// bodies through without auth, parsing or validation) under the same load: the yardstick,
// ratioToBareForwarder. Prints throughput, latency, the producer's CPU and RSS, the ratios, and
// what that means in DAU (docs/workload-model.md). Ends with one line of JSON.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { CompressionTypes, logLevel } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { AUDIT_TOPIC } from '../../core/domain.js';
import { ensureProducerTopics } from '../support/producer-topics.js';
import pg from 'pg';
import { packageRoot } from '../../operator/util/repo-root.js';
import { peakLoad, WORKLOAD_MODEL } from '../../operator/model/sizing/plan.js';
import { useTestServices } from '../support/endpoints.js';
import { SyncClient, type SyncBatch } from '../../workloads/client/sync-client.js';
import { migrateInsights } from '../../core/insights-schema.js';
import { useKafkaGzipLevel } from '../../core/kafka-gzip.js';
import { messageKey, splitIntoMessages, MESSAGE_VERSION } from '../../core/message.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '32' },
    records: { type: 'string', default: '100' },
    'gzip-level': { type: 'string', default: '1' },
  },
});
const GZIP_LEVEL = Number(values['gzip-level']);
const DURATION_MS = Number(values.duration) * 1000;
const CONCURRENCY = Number(values.concurrency);
const RECORDS = Number(values.records);
const root = packageRoot();
const log = (m: string) => process.stderr.write(`[bench:producer] ${m}\n`);

execFileSync('bash', [`${root}/test/infra/infra.sh`, 'up', 'postgres', 'kafka'], { stdio: ['ignore', 'ignore', 'inherit'] });
// Only the test services, whatever the shell's KUBECONFIG or DATABASE_URL says.
useTestServices();
const env = { ...process.env } as Record<string, string>;
const brokers = env.KAFKA_BROKERS!.split(',');
const db = `bench_${Date.now().toString(36)}`;
const admin0 = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: 'postgres' });
await admin0.connect();
await admin0.query(`CREATE DATABASE ${db}`);
await admin0.end();
const pgc = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: db });
await pgc.connect();
await migrateInsights(pgc);
const client = { id: `bench-${Date.now().toString(36)}`, token: randomUUID() };
await pgc.query(`INSERT INTO clients (client_id, auth_token, geography) VALUES ($1, $2, 'india')`, [client.id, client.token]);

const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
const kadmin = kafka.admin();
await kadmin.connect();
await ensureProducerTopics(kadmin);

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
// PRODUCER_NODE_FLAGS passes e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to the producer for profiling.
const nodeFlags = (process.env.PRODUCER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const producer = spawn(process.execPath, [...nodeFlags, `${root}/dist/workloads/producer/main.js`], {
  env: {
    PATH: process.env.PATH,
    PORT: String(port),
    // Not scraped here: any free port (several may run side by side).
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
    DI_POSTGRES_HOST: env.PGHOST,
    DI_POSTGRES_PORT: env.PGPORT,
    DI_POSTGRES_USERNAME: env.PGUSER,
    DI_POSTGRES_PASSWORD: env.PGPASSWORD,
    DI_POSTGRES_DATABASE: db,
    DI_POSTGRES_SYNC_DATABASE: db,
    DI_KAFKA_BROKER_ENDPOINT: brokers.join(','),
    KAFKA_GZIP_LEVEL: String(GZIP_LEVEL),
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
  } catch {
    /* starting */
  }
  await new Promise((r) => setTimeout(r, 100));
}

const smsRecord = (u: number, i: number) => ({
  id: `${u}-${i}`,
  sender: 'AX-HDFCBK',
  body: `Rs.${(i * 37) % 9000}.00 debited from a/c XXXX${u % 10000} on 26-11-26 to VPA XXXXXXXX@ybl (UPI Ref No XXXXXXXX${i}). Not you? Call 1800XXXXXXX`,
  timestamp: 1764000000000 + i * 1000,
  type: 'inbox',
});
const makeBatch = (n: number): SyncBatch => ({
  request_id: randomUUID(),
  user_id: `user-${n % 5000}`,
  sdk_version: '2.4.0',
  device: { device_id: `d-${n}`, android_id: `a-${n}` },
  records: Array.from({ length: RECORDS }, (_, i) => smsRecord(n, i)),
});

const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 1/100 s
};
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const round = (x: number) => Math.round(x * 10) / 10;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};

// The load generator shares the two cores with the producer and the broker: it must not be
// what limits the run. Bodies are built and gzip'd before the clock starts (a pool cycled
// through; the producer keeps no per-request_id state, so reuse changes nothing for it); each
// request still gets a freshly encrypted token, as an SDK sends. The ceiling phase likewise
// sends messages built before its clock starts.
const POOL = Math.max(CONCURRENCY * 8, 512);
const pool = Array.from({ length: POOL }, (_, i) => {
  const batch = makeBatch(i + 1);
  return { batch, gz: gzipSync(Buffer.from(JSON.stringify(batch))) };
});

// Phase 0: the 1M-DAU peak as an open-loop rate (requests start on schedule whether or not
// earlier ones finished; latency counts from the scheduled start, so queueing shows in p99).
const peak = peakLoad(1_000_000, 'india');
const sdk0 = new SyncClient({ baseUrl: `http://127.0.0.1:${port}`, clientId: client.id, authToken: client.token });
await sdk0.send('sms', makeBatch(0)); // warm-up: connections, caches
log(`Producer API at the 1M-DAU peak: ${peak.requestsPerSecond} requests/s for ${DURATION_MS / 1000} s`);
const atPeak: number[] = [];
let peakFailed = 0;
const cpuPeak0 = cpuSeconds(producer.pid!);
const tp = performance.now();
const inFlightAtPeak: Promise<void>[] = [];
for (let i = 0; ; i++) {
  const due = tp + (i * 1000) / peak.requestsPerSecond;
  if (due - tp >= DURATION_MS) break;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  const body = pool[i % POOL]!.gz;
  inFlightAtPeak.push(
    sdk0.send('sms', undefined, { raw: body, headers: { 'content-encoding': 'gzip' } }).then((r) => {
      atPeak.push(performance.now() - due);
      if (r.status !== 202) peakFailed++;
    }),
  );
}
await Promise.all(inFlightAtPeak);
const peakCpu = (cpuSeconds(producer.pid!) - cpuPeak0) / ((performance.now() - tp) / 1000);
sdk0.close();
const atPeakResult = {
  requestsPerSec: peak.requestsPerSecond,
  recordsPerSec: peak.requestsPerSecond * RECORDS,
  p50Ms: round(pct(atPeak, 50)),
  p99Ms: round(pct(atPeak, 99)),
  failed: peakFailed,
  producerCpuCores: round(peakCpu),
};

// Phase 1: through the Producer API, saturated; then, the same closed loop of the same gzip'd
// bodies against the bare forwarder (test/bench/bare-forwarder.ts: node:http and one kafkajs
// producer, no auth, parsing or validation), the yardstick the Producer API is measured by.
interface Saturated {
  requestsPerSec: number;
  recordsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  cpuCores: number;
  rssMb: number;
  generatorCpuCores: number;
}
async function saturate(target: number, pid: number): Promise<Saturated> {
  const sdk = new SyncClient({ baseUrl: `http://127.0.0.1:${target}`, clientId: client.id, authToken: client.token });
  await sdk.send('sms', makeBatch(0)); // warm-up: connections, caches
  let next = 0;
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const cpu0 = cpuSeconds(pid);
  const gen0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() - t0 < DURATION_MS) {
        const body = pool[next++ % POOL]!.gz;
        const s = performance.now();
        const r = await sdk.send('sms', undefined, { raw: body, headers: { 'content-encoding': 'gzip' } });
        latencies.push(performance.now() - s);
        if (r.status === 202) ok++;
        else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const gen = process.cpuUsage(gen0);
  const result = {
    requestsPerSec: ok / elapsed,
    recordsPerSec: (ok * RECORDS) / elapsed,
    p50Ms: pct(latencies, 50),
    p99Ms: pct(latencies, 99),
    failed,
    cpuCores: (cpuSeconds(pid) - cpu0) / elapsed,
    rssMb: rssMb(pid),
    generatorCpuCores: (gen.user + gen.system) / 1e6 / elapsed,
  };
  sdk.close();
  return result;
}
log(`Producer API: ${CONCURRENCY} concurrent clients, ${RECORDS}-record SMS batches, ${DURATION_MS / 1000} s`);
const ours = await saturate(port, producer.pid!);
const generatorCpu = ours.generatorCpuCores;

const barePort = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => resolve(p));
  });
});
const bare = spawn(process.execPath, [`${root}/dist/test/bench/bare-forwarder.js`], {
  env: { PATH: process.env.PATH, PORT: String(barePort), KAFKA_BROKERS: brokers.join(','), TOPIC: 'sms_batched', KAFKA_GZIP_LEVEL: String(GZIP_LEVEL) },
  stdio: ['ignore', 'ignore', 'inherit'],
});
for (let i = 0; i < 100; i++) {
  try {
    if ((await fetch(`http://127.0.0.1:${barePort}/`)).ok) break;
  } catch {
    /* starting */
  }
  await new Promise((r) => setTimeout(r, 100));
}
log(`bare forwarder: the same ${CONCURRENCY} clients and bodies, no auth, parsing or validation`);
const bareResult = await saturate(barePort, bare.pid!);
bare.kill('SIGTERM');

// Phase 2: the same messages straight from kafkajs, same settings, coalesced the same way;
// twice: kafkajs as shipped (its async gzip at zlib's default level), then with the producer's
// own codec (gzip level GZIP_LEVEL, small batches on the calling thread), the strict ceiling.
const receivedAt = new Date().toISOString();
const prebuilt = pool.map(({ batch: b }) => ({
  key: messageKey(client.id, b.user_id),
  value: splitIntoMessages(
    {
      v: MESSAGE_VERSION,
      request_id: b.request_id,
      client_id: client.id,
      user_id: b.user_id,
      source: 'sms',
      sdk_version: b.sdk_version,
      device: b.device,
      received_at: receivedAt,
    },
    b.records,
    900_000,
  )[0]!,
}));
async function rawCeiling(): Promise<{ requestsPerSec: number; recordsPerSec: number; cpuCores: number }> {
  const raw = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await raw.connect();
  let sent = 0;
  let next = 0;
  const c0 = process.cpuUsage();
  const t1 = performance.now();
  while (performance.now() - t1 < DURATION_MS) {
    const messages = Array.from({ length: CONCURRENCY }, () => prebuilt[next++ % POOL]!);
    await raw.sendBatch({ topicMessages: [{ topic: 'sms_batched', messages }], acks: -1, compression: CompressionTypes.GZIP });
    sent += messages.length;
  }
  const s = (performance.now() - t1) / 1000;
  const c = process.cpuUsage(c0);
  await raw.disconnect();
  return { requestsPerSec: sent / s, recordsPerSec: (sent * RECORDS) / s, cpuCores: (c.user + c.system) / 1e6 / s };
}
log('raw kafkajs ceiling, as shipped: the same messages, idempotent, acks=all, gzip');
const ceilingDefault = await rawCeiling();
log(`raw kafkajs ceiling with the producer's codec: gzip level ${GZIP_LEVEL}`);
useKafkaGzipLevel(GZIP_LEVEL);
const ceiling = await rawCeiling();

// Leave the shared local topic small: other suites and runs read it.
for (const topic of ['sms_batched', AUDIT_TOPIC])
  await kadmin.deleteTopicRecords({
    topic,
    partitions: (await kadmin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, offset: o.high })),
  });

producer.kill('SIGTERM');
await kadmin.disconnect();
await pgc.end();
// The run's database goes with it (FORCE: the stopping producer may still hold connections).
const admin1 = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: 'postgres' });
await admin1.connect();
await admin1.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
await admin1.end();

const perDauPeak = (perDay: number) => (perDay / 86_400) * WORKLOAD_MODEL.peakFactor;
const dauByRequests = Math.floor(ours.requestsPerSec / perDauPeak(WORKLOAD_MODEL.india.requestsPerDauDay));
const dauByRecords = Math.floor(ours.recordsPerSec / perDauPeak(WORKLOAD_MODEL.india.recordsPerDauDay));
const result = {
  bench: 'producer',
  durationS: DURATION_MS / 1000,
  concurrency: CONCURRENCY,
  recordsPerRequest: RECORDS,
  gzipLevel: GZIP_LEVEL,
  atOneMillionDauPeak: atPeakResult,
  ours: {
    requestsPerSec: round(ours.requestsPerSec),
    recordsPerSec: Math.round(ours.recordsPerSec),
    p50Ms: round(ours.p50Ms),
    p99Ms: round(ours.p99Ms),
    failed: ours.failed,
    producerCpuCores: round(ours.cpuCores),
    producerRssMb: Math.round(ours.rssMb),
    loadGeneratorCpuCores: round(generatorCpu),
  },
  bareForwarder: {
    requestsPerSec: round(bareResult.requestsPerSec),
    recordsPerSec: Math.round(bareResult.recordsPerSec),
    p50Ms: round(bareResult.p50Ms),
    p99Ms: round(bareResult.p99Ms),
    failed: bareResult.failed,
    cpuCores: round(bareResult.cpuCores),
    rssMb: Math.round(bareResult.rssMb),
  },
  ceiling: {
    requestsPerSec: round(ceiling.requestsPerSec),
    recordsPerSec: Math.round(ceiling.recordsPerSec),
    cpuCores: round(ceiling.cpuCores),
    codec: `gzip level ${GZIP_LEVEL}, sync below 128 KiB (the producer's)`,
  },
  ceilingKafkajsDefaults: {
    requestsPerSec: round(ceilingDefault.requestsPerSec),
    recordsPerSec: Math.round(ceilingDefault.recordsPerSec),
    cpuCores: round(ceilingDefault.cpuCores),
    codec: 'kafkajs as shipped (async gzip, level 6)',
  },
  ratioToBareForwarder: Math.round((ours.requestsPerSec / bareResult.requestsPerSec) * 100) / 100,
  ratio: Math.round((ours.recordsPerSec / ceiling.recordsPerSec) * 100) / 100,
  ratioToKafkajsDefaults: Math.round((ours.recordsPerSec / ceilingDefault.recordsPerSec) * 100) / 100,
  dau: { model: 'docs/workload-model.md, India profile, peak = 3x average', byRequests: dauByRequests, byRecords: dauByRecords },
  targets: { requestsPerSec: 460, recordsPerSec: 21000, p99Ms: 50, ratioToBareForwarder: 0.6, ratio: 0.7 },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
