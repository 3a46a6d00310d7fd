// npm run bench:producer [-- --duration 20 --rounds 4 --open-duration 15 --concurrency 32 --gzip-level 1]
// Load on the real Producer API process: real encrypted tokens, gzip'd 100-record SMS
// batches. In one run, against the same broker:
// 1. open loops at the 1M-DAU peak rate and at twice it, against the Producer API and the
//    validating forwarder in turn: latency from each request's scheduled start, and each
//    process's event-loop delay over the phase, beyond its 10 ms sampling interval (the
//    producer's from its own nodejs_eventloop_lag_* metrics, read and reset at the start and
//    end of the phase; the load generator's own beside it);
// 2. saturation, in rounds (ours, validating forwarder, pass-through forwarder, ours, ...) so a
//    change in the machine's load hits all three: the validating forwarder
//    (test/bench/validating-forwarder.ts: node:http and the product's own body decoding,
//    validation, encoding and Kafka sink; the yardstick doing the same work) and the
//    pass-through forwarder (test/bench/bare-forwarder.ts: gzip'd bodies to Kafka untouched; the
//    floor). CPU ms per request and requests/s for each; ratioToValidatingForwarder;
// 3. a raw kafkajs producer sending the same messages, the client's ceiling.
// Ends with one line of JSON. MOBILEFORGE_NO_START=1: the caller has the test services running.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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
    rounds: { type: 'string', default: '4' },
    'open-duration': { type: 'string', default: '15' },
    concurrency: { type: 'string', default: '32' },
    records: { type: 'string', default: '100' },
    'gzip-level': { type: 'string', default: '1' },
  },
});
const GZIP_LEVEL = Number(values['gzip-level']);
/** Saturated seconds per side, over all rounds. */
const DURATION_MS = Number(values.duration) * 1000;
const ROUNDS = Number(values.rounds);
const OPEN_MS = Number(values['open-duration']) * 1000;
const CONCURRENCY = Number(values.concurrency);
const RECORDS = Number(values.records);
const root = packageRoot();
const log = (m: string) => process.stderr.write(`[bench:producer] ${m}\n`);

if (process.env.MOBILEFORGE_NO_START !== '1')
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

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

// The producer's own environment, shared with the validating forwarder (which reads the same
// settings: limits, Kafka lanes, gzip level).
const producerEnv = {
  PATH: process.env.PATH,
  LOG_LEVEL: 'warn',
  DI_POSTGRES_HOST: env.PGHOST,
  DI_POSTGRES_PORT: env.PGPORT,
  DI_POSTGRES_USERNAME: env.PGUSER,
  DI_POSTGRES_PASSWORD: env.PGPASSWORD,
  DI_POSTGRES_DATABASE: db,
  DI_POSTGRES_SYNC_DATABASE: db,
  DI_KAFKA_BROKER_ENDPOINT: brokers.join(','),
  KAFKA_GZIP_LEVEL: String(GZIP_LEVEL),
  // Passed through when set, for trying the Kafka lanes (docs/producer.md) on both sides.
  ...(process.env.KAFKA_PRODUCER_LANES ? { KAFKA_PRODUCER_LANES: process.env.KAFKA_PRODUCER_LANES } : {}),
};
const port = await freePort();
const metricsPort = await freePort();
// PRODUCER_NODE_FLAGS passes e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", "--trace-gc" or V8 heap
// settings to the Producer API and the validating forwarder alike.
const nodeFlags = (process.env.PRODUCER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const producer = spawn(process.execPath, [...nodeFlags, `${root}/dist/workloads/producer/main.js`], {
  env: { ...producerEnv, PORT: String(port), METRICS_PORT: String(metricsPort) },
  // --trace-gc writes to stdout: passed through to stderr, the JSON line stays alone on stdout.
  stdio: ['ignore', nodeFlags.length ? process.stderr : 'ignore', 'inherit'],
});
// PRODUCER_NODE_FLAGS_B and/or PRODUCER_B_KAFKA_PRODUCER_LANES: a second Producer API process
// with these node flags or Kafka lanes joins the saturation rounds as `oursB`, for an A/B of a
// setting measured under the same load.
const flagsB = process.env.PRODUCER_NODE_FLAGS_B?.split(' ').filter(Boolean);
const lanesB = process.env.PRODUCER_B_KAFKA_PRODUCER_LANES;
const portB = await freePort();
const producerB =
  flagsB !== undefined || lanesB !== undefined
    ? spawn(process.execPath, [...(flagsB ?? []), `${root}/dist/workloads/producer/main.js`], {
        env: { ...producerEnv, PORT: String(portB), METRICS_PORT: '0', ...(lanesB ? { KAFKA_PRODUCER_LANES: lanesB } : {}) },
        stdio: ['ignore', 'ignore', 'inherit'],
      })
    : undefined;
const validatingPort = await freePort();
const validating = spawn(process.execPath, [...nodeFlags, `${root}/dist/test/bench/validating-forwarder.js`], {
  env: { ...producerEnv, PORT: String(validatingPort), METRICS_PORT: '0' },
  stdio: ['ignore', nodeFlags.length ? process.stderr : 'ignore', 'inherit'],
});
const barePort = await freePort();
const bare = spawn(process.execPath, [`${root}/dist/test/bench/bare-forwarder.js`], {
  env: { PATH: process.env.PATH, PORT: String(barePort), KAFKA_BROKERS: brokers.join(','), TOPIC: 'sms_batched', KAFKA_GZIP_LEVEL: String(GZIP_LEVEL) },
  stdio: ['ignore', 'ignore', 'inherit'],
});
await waitFor(`http://127.0.0.1:${port}/health`);
await waitFor(`http://127.0.0.1:${validatingPort}/`);
await waitFor(`http://127.0.0.1:${barePort}/`);
if (producerB) await waitFor(`http://127.0.0.1:${portB}/health`);

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
const round2 = (x: number) => Math.round(x * 100) / 100;
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

interface Target {
  name: string;
  port: number;
  pid: number;
  /** The process's event-loop delay since the last call (which this call resets). */
  eventLoopDelay: () => Promise<EventLoopDelay>;
}
interface EventLoopDelay {
  p99Ms: number;
  maxMs: number;
}
/**
 * monitorEventLoopDelay samples with a 10 ms timer (prom-client's default, and the forwarder's
 * and this generator's), and its histogram holds each whole interval between two samples: an
 * idle loop reads 10 ms. What is reported is the part beyond it, the time the loop was late.
 */
const SAMPLING_MS = 10;
const late = (ms: number): number => round(Math.max(0, ms - SAMPLING_MS));
/** The producer's, from its default Node metrics (prom-client resets the histogram at each scrape). */
async function producerEventLoopDelay(): Promise<EventLoopDelay> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(text)?.[1] ?? NaN) * 1000;
  return { p99Ms: late(read('nodejs_eventloop_lag_p99_seconds')), maxMs: late(read('nodejs_eventloop_lag_max_seconds')) };
}
async function forwarderEventLoopDelay(): Promise<EventLoopDelay> {
  const d = (await (await fetch(`http://127.0.0.1:${validatingPort}/event-loop-delay`)).json()) as EventLoopDelay;
  return { p99Ms: late(d.p99Ms), maxMs: late(d.maxMs) };
}
const ours: Target = { name: 'Producer API', port, pid: producer.pid!, eventLoopDelay: producerEventLoopDelay };
const validatingForwarder: Target = { name: 'validating forwarder', port: validatingPort, pid: validating.pid!, eventLoopDelay: forwarderEventLoopDelay };
const passThrough: Target = { name: 'pass-through forwarder', port: barePort, pid: bare.pid!, eventLoopDelay: async () => ({ p99Ms: NaN, maxMs: NaN }) };

/** The load generator's own event-loop delay: a stall here would show as the producer's latency. */
const generatorDelay = monitorEventLoopDelay({ resolution: SAMPLING_MS });
generatorDelay.enable();

const oursB: Target | undefined = producerB && {
  name: 'Producer API B',
  port: portB,
  pid: producerB.pid!,
  eventLoopDelay: async () => ({ p99Ms: NaN, maxMs: NaN }),
};

// Warm-up: connections, caches, the JIT, on every side.
for (const t of [ours, validatingForwarder, passThrough, ...(oursB ? [oursB] : [])]) {
  const sdk = new SyncClient({ baseUrl: `http://127.0.0.1:${t.port}`, clientId: client.id, authToken: client.token });
  for (let i = 0; i < 200; i += 8)
    await Promise.all(pool.slice(i, i + 8).map((p) => sdk.send('sms', undefined, { raw: p.gz, headers: { 'content-encoding': 'gzip' } })));
  sdk.close();
}

// Phase 1: open loops (requests start on schedule whether or not earlier ones finished;
// latency counts from the scheduled start, so queueing shows in p99).
interface OpenLoop {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  failed: number;
  cpuCores: number;
  eventLoopDelay: EventLoopDelay;
  generatorEventLoopDelay: EventLoopDelay;
}
async function openLoop(t: Target, rate: number): Promise<OpenLoop> {
  const sdk = new SyncClient({ baseUrl: `http://127.0.0.1:${t.port}`, clientId: client.id, authToken: client.token });
  const latencies: number[] = [];
  let failed = 0;
  await t.eventLoopDelay();
  generatorDelay.reset();
  const cpu0 = cpuSeconds(t.pid);
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; ; i++) {
    const due = t0 + (i * 1000) / rate;
    if (due - t0 >= OPEN_MS) break;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const body = pool[i % POOL]!.gz;
    inFlight.push(
      sdk.send('sms', undefined, { raw: body, headers: { 'content-encoding': 'gzip' } }).then(
        (r) => {
          latencies.push(performance.now() - due);
          if (r.status !== 202) failed++;
        },
        () => void failed++,
      ),
    );
  }
  await Promise.all(inFlight);
  const cpu = (cpuSeconds(t.pid) - cpu0) / ((performance.now() - t0) / 1000);
  const eventLoopDelay = await t.eventLoopDelay();
  const generatorEventLoopDelay = { p99Ms: late(generatorDelay.percentile(99) / 1e6), maxMs: late(generatorDelay.max / 1e6) };
  sdk.close();
  return {
    requestsPerSec: rate,
    p50Ms: round(pct(latencies, 50)),
    p99Ms: round(pct(latencies, 99)),
    maxMs: round(Math.max(...latencies)),
    failed,
    cpuCores: round2(cpu),
    eventLoopDelay,
    generatorEventLoopDelay,
  };
}
const peak = peakLoad(1_000_000, 'india');
const openLoops: Record<string, { ours: OpenLoop; validatingForwarder: OpenLoop }> = {};
for (const [label, rate] of [
  ['atOneMillionDauPeak', peak.requestsPerSecond],
  ['atTwiceThePeak', 2 * peak.requestsPerSecond],
] as const) {
  log(`open loop at ${rate} requests/s for ${OPEN_MS / 1000} s: the Producer API, then the validating forwarder`);
  const o = await openLoop(ours, rate);
  const v = await openLoop(validatingForwarder, rate);
  openLoops[label] = { ours: o, validatingForwarder: v };
  log(`  ours p50 ${o.p50Ms} p99 ${o.p99Ms} ms, event-loop delay p99 ${o.eventLoopDelay.p99Ms} max ${o.eventLoopDelay.maxMs} ms; validating p99 ${v.p99Ms} ms`);
}

// Phase 2: saturation, the three sides in turn, round after round.
interface Saturated {
  ok: number;
  failed: number;
  seconds: number;
  cpuSeconds: number;
  generatorCpuSeconds: number;
  latencies: number[];
}
async function saturate(t: Target, ms: number, into: Saturated): Promise<void> {
  const sdk = new SyncClient({ baseUrl: `http://127.0.0.1:${t.port}`, clientId: client.id, authToken: client.token });
  let next = 0;
  const cpu0 = cpuSeconds(t.pid);
  const gen0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() - t0 < ms) {
        const body = pool[next++ % POOL]!.gz;
        const s = performance.now();
        const r = await sdk.send('sms', undefined, { raw: body, headers: { 'content-encoding': 'gzip' } });
        into.latencies.push(performance.now() - s);
        if (r.status === 202) into.ok++;
        else into.failed++;
      }
    }),
  );
  into.seconds += (performance.now() - t0) / 1000;
  into.cpuSeconds += cpuSeconds(t.pid) - cpu0;
  const gen = process.cpuUsage(gen0);
  into.generatorCpuSeconds += (gen.user + gen.system) / 1e6;
  sdk.close();
}
const sides = [ours, validatingForwarder, passThrough, ...(oursB ? [oursB] : [])];
const totals = sides.map((): Saturated => ({ ok: 0, failed: 0, seconds: 0, cpuSeconds: 0, generatorCpuSeconds: 0, latencies: [] }));
log(`saturation: ${CONCURRENCY} concurrent clients, ${RECORDS}-record SMS batches, ${ROUNDS} rounds of ${DURATION_MS / ROUNDS / 1000} s per side`);
const perRound: { ours: number; validatingForwarder: number; passThroughForwarder: number; oursB?: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const before = totals.map((x) => ({ ok: x.ok, seconds: x.seconds }));
  for (let i = 0; i < sides.length; i++) await saturate(sides[i]!, DURATION_MS / ROUNDS, totals[i]!);
  const rate = (i: number) => round((totals[i]!.ok - before[i]!.ok) / (totals[i]!.seconds - before[i]!.seconds));
  perRound.push({ ours: rate(0), validatingForwarder: rate(1), passThroughForwarder: rate(2), ...(oursB ? { oursB: rate(3) } : {}) });
  log(`  round ${r + 1}: requests/s ours ${rate(0)}, validating ${rate(1)}, pass-through ${rate(2)}${oursB ? `, ours B ${rate(3)}` : ''}`);
}
const summary = (i: number, pid: number) => {
  const x = totals[i]!;
  return {
    requestsPerSec: round(x.ok / x.seconds),
    recordsPerSec: Math.round((x.ok * RECORDS) / x.seconds),
    cpuMsPerRequest: round2((x.cpuSeconds * 1000) / x.ok),
    cpuCores: round2(x.cpuSeconds / x.seconds),
    p50Ms: round(pct(x.latencies, 50)),
    p99Ms: round(pct(x.latencies, 99)),
    failed: x.failed,
    rssMb: Math.round(rssMb(pid)),
  };
};
const oursResult = { ...summary(0, producer.pid!), loadGeneratorCpuCores: round2(totals[0]!.generatorCpuSeconds / totals[0]!.seconds) };
const validatingResult = summary(1, validating.pid!);
const bareResult = summary(2, bare.pid!);
const oursBResult = producerB && {
  ...summary(3, producerB.pid!),
  nodeFlags: (flagsB ?? []).join(' '),
  kafkaLanes: Number(lanesB ?? process.env.KAFKA_PRODUCER_LANES ?? 1),
};
bare.kill('SIGTERM');
producerB?.kill('SIGTERM');
validating.kill('SIGTERM');

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
  while (performance.now() - t1 < DURATION_MS / ROUNDS) {
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
const dauByRequests = Math.floor(oursResult.requestsPerSec / perDauPeak(WORKLOAD_MODEL.india.requestsPerDauDay));
const dauByRecords = Math.floor(oursResult.recordsPerSec / perDauPeak(WORKLOAD_MODEL.india.recordsPerDauDay));
const result = {
  bench: 'producer',
  durationS: DURATION_MS / 1000,
  rounds: ROUNDS,
  openLoopS: OPEN_MS / 1000,
  concurrency: CONCURRENCY,
  recordsPerRequest: RECORDS,
  gzipLevel: GZIP_LEVEL,
  nodeFlags: nodeFlags.join(' '),
  kafkaLanes: Number(process.env.KAFKA_PRODUCER_LANES ?? 1),
  ...openLoops,
  ours: oursResult,
  validatingForwarder: validatingResult,
  passThroughForwarder: bareResult,
  ...(oursBResult ? { oursB: oursBResult } : {}),
  perRound,
  ratioToValidatingForwarder: round2(oursResult.requestsPerSec / validatingResult.requestsPerSec),
  cpuRatioToValidatingForwarder: round2(validatingResult.cpuMsPerRequest / oursResult.cpuMsPerRequest),
  ratioToPassThroughForwarder: round2(oursResult.requestsPerSec / bareResult.requestsPerSec),
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
  ratio: round2(oursResult.recordsPerSec / ceiling.recordsPerSec),
  dau: { model: 'docs/workload-model.md, India profile, peak = 3x average', byRequests: dauByRequests, byRecords: dauByRecords },
  targets: { ratioToValidatingForwarder: 0.8, cpuMsPerRequest: 0.5, openLoopP99Ms: 50 },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
