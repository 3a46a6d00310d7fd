// npm run calibrate [-- --profile production|dev-uat|all --step-seconds 8 --consumer-records 120000 --rounds 3
//                       --broker-seconds 20 --broker-only --write]
// Measures the per-replica capacity the sizing model uses (operator/model/sizing/capacity.ts): for each
// environment profile, what one Producer API process and one process of each consumer (sms,
// events, common) sustain when held to the profile's CPU request, against the local test
// services (Kafka, PostgreSQL, FerretDB). The CPU limit is a real one: each measured process
// runs in a cgroup of its own whose CFS quota is the request (cgroup v1 cpu.cfs_quota_us, or
// cgroup v2 cpu.max), which needs root. With --write it rewrites operator/model/sizing/capacity-data.ts
// with the figures and their provenance (machine, date, command, versions) under a new version
// id. Ends with one line of JSON.
//
// Producer: open-loop load (requests start on schedule, latency counted from the scheduled
// start) of gzip'd SMS batches of the workload model's mean records per request; the rate is
// doubled while p99 < 50 ms and nothing fails, then bisected. Its capacity is the highest rate
// that passed. Consumers: a topic pre-filled with messages of the consumer's own sources
// (docs/workload-model.md sizes), then drained by one process; its capacity is the drain rate,
// from the first message it counts to the last offset it commits.
//
// Kafka broker: the product's own messages (splitIntoMessages of each consumer's record shapes,
// mixed as the workload model mixes the sources) sent as gzip'd record batches with acks=all to
// a topic of replication factor 1 by several clients as fast as the broker acknowledges, for
// --broker-seconds; its capacity is the bytes appended to the partition logs per second (read
// from the log directory, so compression and batch overhead count as the broker sees them).
//
// Every measurement runs --rounds times (default 3): the figure recorded is the median round's,
// with the lowest and highest round beside it (spread). --broker-only measures the broker
// alone; with --write it then replaces only the broker figure in capacity-data.ts.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { CompressionTypes, logLevel } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { AUDIT_TOPIC } from '../../core/domain.js';
import { ensureProducerTopics } from '../support/producer-topics.js';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { packageRoot } from '../../operator/util/repo-root.js';
import { podResourcesFor } from '../../operator/model/sizing/profile.js';
import { parseQuantity } from '../../core/quantity.js';
import {
  CALIBRATION,
  componentLoad,
  producerRecordsPerRequest,
  type Calibration,
  type ProfileName,
  type ProfileCapacity,
} from '../../operator/model/sizing/capacity.js';
import type { Spread } from '../../operator/model/sizing/types.js';
import { medianRound } from '../../operator/model/sizing/rounds.js';
import { cacheDir, useTestServices } from '../support/endpoints.js';
import { SyncClient } from '../../workloads/client/sync-client.js';
import { migrateInsights } from '../../core/insights-schema.js';
import { migrateMongo, migrateSync } from '../../core/sync-schema.js';
import { MESSAGE_VERSION, messageKey, splitIntoMessages } from '../../core/message.js';
import type { SplitConsumer, Source } from '../../core/domain.js';
import { stampedName, staleNames } from '../support/leftovers.js';

/** What this run's databases and topics are named after (with the time it began). */
const TAG_PREFIX = 'cal';
/** A calibration takes under an hour; what an earlier run left this much later is a leftover. */
const LEFTOVER_AGE_MS = 6 * 3_600_000;

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'all' },
    'step-seconds': { type: 'string', default: '8' },
    'consumer-records': { type: 'string', default: '120000' },
    rounds: { type: 'string', default: '3' },
    'broker-seconds': { type: 'string', default: '20' },
    'broker-only': { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const BROKER_MS = Number(values['broker-seconds']) * 1000;
const BROKER_ONLY = values['broker-only'];
const STEP_MS = Number(values['step-seconds']) * 1000;
const CONSUMER_RECORDS = Number(values['consumer-records']);
const PROFILES: ProfileName[] = BROKER_ONLY ? [] : values.profile === 'all' ? ['production', 'dev-uat'] : [values.profile as ProfileName];
const P99_LIMIT_MS = 50;
const root = packageRoot();
const log = (m: string) => process.stderr.write(`[calibrate] ${m}\n`);
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- CPU limit: a cgroup per measured process -------------------------------------------------
// As Kubernetes does for a pod whose limit is its request: the request is guaranteed (the
// highest CPU weight, so neighbours on a shared machine do not take it) and is also the
// ceiling (the CFS quota), so the figure is what one replica of that size carries.
const MAX_SHARES_V1 = 262_144;
const MAX_WEIGHT_V2 = 10_000;
interface CpuLimit {
  readonly method: string;
  /** Command and arguments that run `node args` inside the cgroup from its first instruction. */
  wrap(args: string[]): [string, string[]];
  /** Periods throttled so far (the quota was hit), for the report. */
  throttled(): number;
  remove(): void;
}

function cpuLimit(name: string, cores: number): CpuLimit {
  const period = 100_000;
  const quota = Math.round(cores * period);
  const v1 = '/sys/fs/cgroup/cpu';
  const v2 = '/sys/fs/cgroup';
  let dir: string;
  let method: string;
  if (existsSync(`${v1}/cpu.cfs_quota_us`)) {
    dir = `${v1}/mobileforge-calibrate-${process.pid}-${name}`;
    mkdirSync(dir);
    writeFileSync(`${dir}/cpu.cfs_period_us`, String(period));
    writeFileSync(`${dir}/cpu.cfs_quota_us`, String(quota));
    writeFileSync(`${dir}/cpu.shares`, String(MAX_SHARES_V1));
    method = `cgroup v1 cpu.cfs_quota_us=${quota} per cpu.cfs_period_us=${period}, cpu.shares=${MAX_SHARES_V1}`;
  } else if (existsSync(`${v2}/cgroup.controllers`) && readFileSync(`${v2}/cgroup.controllers`, 'utf8').split(/\s+/).includes('cpu')) {
    dir = `${v2}/mobileforge-calibrate-${process.pid}-${name}`;
    mkdirSync(dir);
    writeFileSync(`${dir}/cpu.max`, `${quota} ${period}`);
    writeFileSync(`${dir}/cpu.weight`, String(MAX_WEIGHT_V2));
    method = `cgroup v2 cpu.max="${quota} ${period}", cpu.weight=${MAX_WEIGHT_V2}`;
  } else {
    throw new Error('no writable cpu cgroup (v1 /sys/fs/cgroup/cpu or v2 with the cpu controller): run as root on a host that mounts one');
  }
  return {
    method,
    wrap: (args) => ['sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec "$0" "$@"`, process.execPath, ...args]],
    throttled: () => Number(/nr_throttled (\d+)/.exec(readFileSync(`${dir}/cpu.stat`, 'utf8'))?.[1] ?? 0),
    remove: () => rmdirSync(dir),
  };
}

// A failed run must not leave a measured process running (nor its cgroup behind).
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

const cpuSeconds = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const rssMb = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
  await exited;
}

// The load generator (this process) and the local services this run started (Kafka, FerretDB,
// PostgreSQL: found through their pid files) get the highest CPU weight too, without a quota:
// on a machine shared with other work they stand for dedicated servers, and must not be what
// limits the measured process. They go back to the root group at the end.
const V1_ROOT = '/sys/fs/cgroup/cpu';
const priorityGroup = existsSync(`${V1_ROOT}/cpu.shares`) ? `${V1_ROOT}/mobileforge-calibrate-${process.pid}-services` : undefined;
const prioritised: number[] = [];
function servicePids(): number[] {
  const run = process.env.MOBILEFORGE_RUN ?? join(cacheDir(), 'run');
  const pgdata = process.env.MF_PGDATA ?? '/var/tmp/mobileforge-sync/pg';
  const read = (f: string) => (existsSync(f) ? Number(readFileSync(f, 'utf8').split('\n')[0]) : 0);
  const roots = [read(`${run}/kafka/pid`), read(`${run}/ferretdb/pid`), read(`${pgdata}/postmaster.pid`)].filter((p) => p > 0);
  // PostgreSQL's backends are the postmaster's children.
  const children = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return roots.includes(Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]));
      } catch {
        return false;
      }
    })
    .map(Number);
  return [...roots, ...children];
}
if (priorityGroup) {
  mkdirSync(priorityGroup);
  writeFileSync(`${priorityGroup}/cpu.shares`, String(MAX_SHARES_V1));
  for (const pid of [process.pid, ...servicePids()]) {
    try {
      writeFileSync(`${priorityGroup}/cgroup.procs`, String(pid));
      prioritised.push(pid);
    } catch {
      /* gone */
    }
  }
  log(`${prioritised.length} processes (this one, Kafka, FerretDB, PostgreSQL) at the highest CPU weight`);
}
const unprioritise = () => {
  if (!priorityGroup || !existsSync(priorityGroup)) return;
  for (const pid of readFileSync(`${priorityGroup}/cgroup.procs`, 'utf8').split('\n').filter(Boolean)) {
    try {
      writeFileSync(`${V1_ROOT}/cgroup.procs`, pid);
    } catch {
      /* gone */
    }
  }
  rmdirSync(priorityGroup);
};
process.on('exit', unprioritise);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

// ---- services --------------------------------------------------------------------------------
// MOBILEFORGE_NO_START=1: the services are already running (and shared), start nothing.
if (process.env.MOBILEFORGE_NO_START !== '1')
  execFileSync('bash', [`${root}/test/infra/infra.sh`, 'up', 'postgres', 'kafka', 'mongo'], { stdio: ['ignore', 'ignore', 'inherit'] });
// Only the test services, whatever the shell's KUBECONFIG or DATABASE_URL says.
useTestServices();
const env = { ...process.env } as Record<string, string>;
const brokers = env.KAFKA_BROKERS!.split(',');
const tag = stampedName(TAG_PREFIX);
const pgConf = { host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD };
const admin0 = new pg.Client({ ...pgConf, database: 'postgres' });
await admin0.connect();
const mongo = new MongoClient(env.MONGODB_URI!);
await mongo.connect();
const kafka = new Kafka({ clientId: 'calibrate', brokers, logLevel: logLevel.NOTHING });
const kadmin = kafka.admin();
await kadmin.connect();
await sweepLeftovers();
await admin0.query(`CREATE DATABASE ${tag}`);
await admin0.end();
const pgc = new pg.Client({ ...pgConf, database: tag });
await pgc.connect();
// This connection is idle after the set-up: a restart of a shared PostgreSQL (other test runs on
// the machine) must not end the run; the measured workloads reconnect on their own.
pgc.on('error', (err) => log(`PostgreSQL connection lost (${err.message}); the run goes on`));
await migrateInsights(pgc);
await migrateSync(pgc);

/**
 * The databases and topics of calibration runs that ended without removing them (a crash, a
 * stop): those of runs begun more than 6 hours ago, by the time in their names.
 */
async function sweepLeftovers(): Promise<void> {
  const now = Date.now();
  const pgDbs = (await admin0.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname);
  const mongoDbs = (await mongo.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name);
  const topics = await kadmin.listTopics();
  const stale = {
    pg: staleNames(pgDbs, TAG_PREFIX, now, LEFTOVER_AGE_MS),
    mongo: staleNames(mongoDbs, TAG_PREFIX, now, LEFTOVER_AGE_MS),
    topics: staleNames(topics, TAG_PREFIX, now, LEFTOVER_AGE_MS),
  };
  for (const d of stale.pg) await admin0.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
  for (const d of stale.mongo) await mongo.db(d).dropDatabase();
  if (stale.topics.length) await kadmin.deleteTopics({ topics: stale.topics });
  const n = stale.pg.length + stale.mongo.length + stale.topics.length;
  if (n) log(`removed what earlier runs left: ${n} (databases ${[...stale.pg, ...stale.mongo].join(', ') || 'none'}; topics ${stale.topics.length})`);
}

const workloadEnv = (extra: Record<string, string>): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  LOG_LEVEL: 'warn',
  DI_POSTGRES_HOST: env.PGHOST!,
  DI_POSTGRES_PORT: env.PGPORT!,
  DI_POSTGRES_USERNAME: env.PGUSER!,
  DI_POSTGRES_PASSWORD: env.PGPASSWORD!,
  DI_POSTGRES_DATABASE: tag,
  DI_POSTGRES_SYNC_DATABASE: tag,
  DI_KAFKA_BROKER_ENDPOINT: brokers.join(','),
  ...extra,
});

// ---- record shapes (docs/workload-model.md) ---------------------------------------------------
const smsRecord = (u: number, i: number) => ({
  id: `${u}-${i}`,
  sender: 'AX-HDFCBK',
  body: `Rs.${(i * 37) % 9000}.00 debited from a/c XXXX${u % 10000} on 26-11-26 to VPA XXXXXXXX@ybl (UPI Ref No XXXXXXXX${i}). Not you? Call 1800XXXXXXX`,
  timestamp: Date.now() - i * 1000,
  type: 'inbox',
});
const eventRecord = (u: number, i: number) => ({
  event_type: 'screen_view',
  event_value: `{"screen":"loan_offer_${i % 12}","user":${u}}`,
  timestamp: Date.now() - i,
});
const appRecord = (u: number, i: number) => ({
  kind: 'app',
  package_name: `com.example.app${(u + i) % 5000}`,
  app_name: `Example App ${i}`,
  version: '4.12.0',
  installed_at: 1764000000000 - i * 86_400_000,
});
const deviceRecord = (u: number) => ({
  kind: 'device',
  manufacturer: 'Xiaomi',
  model: 'Redmi Note 12',
  os: 'android',
  os_version: '14',
  sdk_int: 34,
  screen: '1080x2400',
  ram_mb: 6144,
  storage_gb: 128,
  locale: 'en_IN',
  timezone: 'Asia/Kolkata',
  carrier: 'Jio',
  network: 'wifi',
  battery: 78,
  rooted: false,
  emulator: false,
  build_fingerprint: `Redmi/sky_in/sky:14/UKQ1.230804.001/V816.0.${u % 100}.0.UMWINXM:user/release-keys`.padEnd(300, '.'),
  advertising_id: randomUUID(),
  installed_apps_count: 60,
});

/** Each consumer's messages: its main source at the workload model's records per request. */
const CONSUMER_MESSAGES: Record<SplitConsumer, { source: Source; recordsPerMessage: number; build: (u: number) => Record<string, unknown>[] }> = {
  // SMS: 6 syncs of 40 and 0.3 backfills of 500 a day, i.e. 62 records per request on average.
  sms: { source: 'sms', recordsPerMessage: 62, build: (u) => Array.from({ length: 62 }, (_, i) => smsRecord(u, i)) },
  events: { source: 'events', recordsPerMessage: 25, build: (u) => Array.from({ length: 25 }, (_, i) => eventRecord(u, i)) },
  // apps_and_device, the India profile's only common source: one device record and 60 apps.
  common: { source: 'apps_and_device', recordsPerMessage: 61, build: (u) => [deviceRecord(u), ...Array.from({ length: 60 }, (_, i) => appRecord(u, i))] },
};

// ---- the Producer API -----------------------------------------------------------------------
const client = { id: `${tag}-client`, token: randomUUID() };
await pgc.query(`INSERT INTO clients (client_id, auth_token, geography) VALUES ($1, $2, 'india')`, [client.id, client.token]);
await ensureProducerTopics(kadmin);

const RECORDS_PER_REQUEST = producerRecordsPerRequest('india');
const bodies = Array.from({ length: 1024 }, (_, n) =>
  gzipSync(
    Buffer.from(
      JSON.stringify({
        request_id: randomUUID(),
        user_id: `user-${n}`,
        sdk_version: '2.4.0',
        device: { device_id: `d-${n}`, android_id: `a-${n}` },
        records: Array.from({ length: RECORDS_PER_REQUEST }, (_, i) => smsRecord(n, i)),
      }),
    ),
  ),
);

interface Step {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  cpuCores: number;
  passed: boolean;
}

async function calibrateProducer(profile: ProfileName, cores: number): Promise<ProfileCapacity['producer'] & { steps: Step[]; method: string }> {
  const limit = cpuLimit(`producer-${profile}`, cores);
  const port = await freePort();
  const [cmd, args] = limit.wrap([`${root}/dist/workloads/producer/main.js`]);
  const child = spawn(cmd, args, {
    env: workloadEnv({ PORT: String(port), METRICS_PORT: '0' }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
    } catch {
      /* starting */
    }
    await sleep(100);
  }
  const sdk = new SyncClient({ baseUrl: `http://127.0.0.1:${port}`, clientId: client.id, authToken: client.token });
  const send = (i: number) => sdk.send('sms', undefined, { raw: bodies[i % bodies.length]!, headers: { 'content-encoding': 'gzip' } });
  for (let i = 0; i < 50; i++) await send(i); // warm-up: connections, caches, JIT
  let rss = 0;

  const run = async (rate: number): Promise<Step> => {
    const latencies: number[] = [];
    let failed = 0;
    const inFlight: Promise<void>[] = [];
    const c0 = cpuSeconds(child.pid!);
    const t0 = performance.now();
    for (let i = 0; ; i++) {
      const due = t0 + (i * 1000) / rate;
      if (due - t0 >= STEP_MS) break;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      inFlight.push(
        send(i).then(
          (r) => {
            latencies.push(performance.now() - due);
            if (r.status !== 202) failed++;
          },
          () => {
            latencies.push(performance.now() - due);
            failed++;
          },
        ),
      );
    }
    await Promise.all(inFlight);
    const cpu = (cpuSeconds(child.pid!) - c0) / ((performance.now() - t0) / 1000);
    rss = Math.max(rss, rssMb(child.pid!));
    const s = { requestsPerSecond: rate, p50Ms: round(pct(latencies, 50)), p99Ms: round(pct(latencies, 99)), failed, cpuCores: round(cpu, 2) };
    const passed = s.p99Ms < P99_LIMIT_MS && failed === 0;
    log(
      `producer ${profile} @${cores} core: ${rate} req/s -> p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, failed ${failed}, cpu ${s.cpuCores}: ${passed ? 'pass' : 'fail'}`,
    );
    await sleep(1500);
    return { ...s, passed };
  };
  // A shared machine's neighbours only ever add latency: a rate fails when two runs at it fail.
  const step = async (rate: number): Promise<Step> => {
    const first = await run(rate);
    return first.passed ? first : run(rate);
  };

  const steps: Step[] = [];
  let lo = 0;
  let hi = 0;
  for (let rate = 50; rate <= 6400; rate *= 2) {
    const s = await step(rate);
    steps.push(s);
    if (!s.passed) {
      hi = rate;
      break;
    }
    lo = rate;
  }
  // Bisect to about 5 % of the rate.
  while (hi > 0 && hi - lo > Math.max(5, lo * 0.05)) {
    const mid = Math.round((lo + hi) / 2);
    const s = await step(mid);
    steps.push(s);
    if (s.passed) lo = mid;
    else hi = mid;
  }
  const at = steps.filter((s) => s.passed && s.requestsPerSecond === lo).at(-1);
  const throttled = limit.throttled();
  sdk.close();
  await stop(child);
  limit.remove();
  log(`producer ${profile}: ${lo} req/s (throttled periods: ${throttled})`);
  return {
    requestsPerSecond: lo,
    recordsPerSecond: lo * RECORDS_PER_REQUEST,
    recordsPerRequest: RECORDS_PER_REQUEST,
    p99Ms: at?.p99Ms ?? 0,
    cpuCores: at?.cpuCores ?? 0,
    rssMb: rss,
    steps,
    method: limit.method,
  };
}

// ---- the consumers --------------------------------------------------------------------------
async function calibrateConsumer(profile: ProfileName, cores: number, consumer: SplitConsumer): Promise<ProfileCapacity['consumers'][SplitConsumer]> {
  const shape = CONSUMER_MESSAGES[consumer];
  const topic = `${tag}-${consumer}-${profile}`;
  const group = `${topic}-group`;
  const messages = Math.ceil(CONSUMER_RECORDS / shape.recordsPerMessage);
  await kadmin.createTopics({
    topics: [
      { topic, numPartitions: 4, replicationFactor: 1 },
      { topic: `${topic}.dlq`, numPartitions: 1, replicationFactor: 1 },
    ],
    waitForLeaders: true,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const receivedAt = new Date().toISOString();
  for (let n = 0; n < messages; n += 20) {
    const batch = Array.from({ length: Math.min(20, messages - n) }, (_, k) => {
      const u = n + k;
      const user = `user-${u % 1000}`;
      return {
        key: messageKey(client.id, user),
        value: splitIntoMessages(
          {
            v: MESSAGE_VERSION,
            request_id: `${topic}-${u}`,
            client_id: client.id,
            user_id: user,
            source: shape.source,
            sdk_version: '2.4.0',
            device: { device_id: `d-${u}` },
            received_at: receivedAt,
          },
          shape.build(u),
          900_000,
        )[0]!,
      };
    });
    await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: batch });
  }
  await producer.disconnect();
  const ends = await kadmin.fetchTopicOffsets(topic);
  const total = ends.reduce((n, o) => n + Number(o.high), 0);
  const db = `${tag}_${consumer}_${profile.replace('-', '_')}`;
  await migrateMongo(mongo.db(db));

  const limit = cpuLimit(`${consumer}-${profile}`, cores);
  const [cmd, args] = limit.wrap([`${root}/dist/workloads/consumer/main.js`]);
  const port = await freePort();
  const child = spawn(cmd, args, {
    env: workloadEnv({
      PORT: String(port),
      ENABLED_TOPICS: topic,
      KAFKA_CONSUMER_GROUP: group,
      DI_MONGODB_URI: env.MONGODB_URI!,
      DI_MONGODB_DATABASE: db,
    }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  // Timed from the first message the consumer counts (its /metrics on PORT) to the last offset
  // committed, so start-up and the group join are not part of the rate; the messages counted
  // before the first reading are left out of the work (the figure errs low, not high).
  const consumed = async (): Promise<number> => {
    try {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith('consumer_messages_consumed_total'))
        .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    } catch {
      return 0; // not listening yet
    }
  };
  // The end: every offset committed, which the consumer does only once the records are written.
  const committed = async (): Promise<number> => {
    try {
      const [t] = await kadmin.fetchOffsets({ groupId: group, topics: [topic] });
      return (t?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    } catch (err) {
      // The group coordinator may still be loading the new group: ask again.
      if ((err as { retriable?: boolean }).retriable) return committed();
      throw err;
    }
  };
  let first = await consumed();
  while (first === 0) {
    await sleep(50);
    first = await consumed();
  }
  const c0 = cpuSeconds(child.pid!);
  const t0 = performance.now();
  let rss = 0;
  let done = 0;
  const deadline = t0 + 20 * 60_000;
  while (done < total && performance.now() < deadline) {
    await sleep(100);
    done = await committed();
    rss = Math.max(rss, rssMb(child.pid!));
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (cpuSeconds(child.pid!) - c0) / seconds;
  const throttled = limit.throttled();
  await stop(child);
  limit.remove();
  await kadmin.deleteTopics({ topics: [topic, `${topic}.dlq`] }).catch(() => undefined);
  await mongo
    .db(db)
    .dropDatabase()
    .catch(() => undefined);
  if (done < total) throw new Error(`${consumer} consumer did not drain ${topic} in 20 minutes (${done}/${total} messages)`);
  if (seconds < 5) log(`${consumer} consumer ${profile}: drained in ${round(seconds)} s, too short to be a steady figure: raise --consumer-records`);
  const recordsPerSecond = Math.round(((done - first) * shape.recordsPerMessage) / seconds);
  log(`${consumer} consumer ${profile} @${cores} core: ${recordsPerSecond} records/s, cpu ${round(cpu, 2)}, rss ${rss} MB (throttled periods: ${throttled})`);
  return { recordsPerSecond, recordsPerMessage: shape.recordsPerMessage, cpuCores: round(cpu, 2), rssMb: rss, drainSeconds: round(seconds) };
}

// ---- the Kafka broker -----------------------------------------------------------------------
const BROKER_CLIENTS = 3;
const BROKER_IN_FLIGHT = 4;
const BROKER_BATCH = 20;
const kafkaRun = join(process.env.MOBILEFORGE_RUN ?? join(cacheDir(), 'run'), 'kafka');
const logBytes = (topic: string): number => {
  const dataDir = join(kafkaRun, 'data');
  return readdirSync(dataDir)
    .filter((d) => d.startsWith(`${topic}-`) && /^\d+$/.test(d.slice(topic.length + 1)))
    .flatMap((d) =>
      readdirSync(join(dataDir, d))
        .filter((f) => f.endsWith('.log'))
        .map((f) => statSync(join(dataDir, d, f)).size),
    )
    .reduce((a, b) => a + b, 0);
};

/** The messages the consumers read, in the proportion the workload model sends them (India's sources, by requests). */
function brokerMessages(): { value: string; records: number }[] {
  const shares = (['sms', 'events', 'common'] as const).map((c) => ({ c, requests: componentLoad(1, 'india', c).average.requestsPerSecond }));
  const least = Math.min(...shares.map((x) => x.requests));
  const out: { value: string; records: number }[] = [];
  for (const { c, requests } of shares) {
    const shape = CONSUMER_MESSAGES[c];
    for (let u = 0; u < Math.round((requests / least) * 20); u++) {
      const records = shape.build(u);
      const value = splitIntoMessages(
        {
          v: MESSAGE_VERSION,
          request_id: randomUUID(),
          client_id: client.id,
          user_id: `user-${u}`,
          source: shape.source,
          sdk_version: '2.4.0',
          device: { device_id: `d-${u}` },
          received_at: new Date().toISOString(),
        },
        records,
        900_000,
      )[0]!;
      out.push({ value, records: records.length });
    }
  }
  // Interleaved, as requests of every source arrive together.
  return out
    .map((m, i) => ({ m, k: (i * 7919) % out.length }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.m);
}

async function calibrateBroker(): Promise<Omit<Calibration['broker'], 'provenance' | 'spread'>> {
  const topic = `${tag}-broker`;
  await kadmin.createTopics({ topics: [{ topic, numPartitions: 4, replicationFactor: 1 }], waitForLeaders: true });
  const pool = brokerMessages();
  const kafkaPid = Number(readFileSync(join(kafkaRun, 'pid'), 'utf8').split('\n')[0]);
  const producers = Array.from({ length: BROKER_CLIENTS }, () => kafka.producer({ idempotent: true, maxInFlightRequests: BROKER_IN_FLIGHT }));
  await Promise.all(producers.map((p) => p.connect()));
  let records = 0;
  let json = 0;
  let n = 0;
  const batch = () =>
    Array.from({ length: BROKER_BATCH }, () => {
      const m = pool[n++ % pool.length]!;
      return { m, message: { key: messageKey(client.id, `user-${n % 1000}`), value: m.value } };
    });
  // Warm-up (connections, metadata, the broker's JIT), not counted.
  await Promise.all(producers.map((p) => p.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: batch().map((b) => b.message) })));
  const b0 = logBytes(topic);
  const c0 = cpuSeconds(kafkaPid);
  const t0 = performance.now();
  const lane = async (p: (typeof producers)[number]) => {
    while (performance.now() - t0 < BROKER_MS) {
      const b = batch();
      await p.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: b.map((x) => x.message) });
      records += b.reduce((r, x) => r + x.m.records, 0);
      json += b.reduce((r, x) => r + Buffer.byteLength(x.m.value), 0);
    }
  };
  await Promise.all(producers.flatMap((p) => Array.from({ length: BROKER_IN_FLIGHT }, () => lane(p))));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (cpuSeconds(kafkaPid) - c0) / seconds;
  // Appended bytes reach the segment files when the broker acknowledges: no flush to wait for.
  const bytes = logBytes(topic) - b0;
  await Promise.all(producers.map((p) => p.disconnect()));
  await kadmin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  const result = {
    bytesInPerSecond: Math.round(bytes / seconds),
    recordsPerSecond: Math.round(records / seconds),
    bytesPerRecord: round(bytes / records, 1),
    jsonBytesPerRecord: round(json / records, 1),
    cpuCores: round(cpu, 2),
  };
  log(
    `broker: ${round(result.bytesInPerSecond / 2 ** 20, 2)} MiB/s in, ${result.recordsPerSecond} records/s, ${result.bytesPerRecord} B/record, broker cpu ${result.cpuCores}`,
  );
  return result;
}

// ---- rounds ---------------------------------------------------------------------------------
/** Runs `measure` ROUNDS times: the median round (by `key`) with the spread of `key` over the rounds. */
async function inRounds<T extends object>(what: string, key: keyof T & string, measure: () => Promise<T>): Promise<T & { spread?: Spread }> {
  const results: T[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    log(`${what}: round ${i + 1} of ${ROUNDS}`);
    results.push(await measure());
  }
  const value = (r: T) => r[key] as unknown as number;
  const { median, spread } = medianRound(results, value);
  if (!spread) return median;
  log(`${what}: median ${value(median)} ${key}, rounds ${results.map(value).join(', ')}`);
  return { ...median, spread };
}

// ---- run ------------------------------------------------------------------------------------
const profiles: Partial<Record<ProfileName, ProfileCapacity>> = {};
let method = '';
for (const profile of PROFILES) {
  const cpu = podResourcesFor(profile === 'production' ? 'production' : 'uat').requests.cpu;
  const cores = Number(parseQuantity(cpu).milli) / 1000;
  log(`profile ${profile}: CPU request ${cpu}`);
  const { steps, method: m, ...producer } = await inRounds(`producer ${profile}`, 'requestsPerSecond', () => calibrateProducer(profile, cores));
  method = m.replace(/=\d+/, '=<request x period>');
  log(`producer steps (median round): ${JSON.stringify(steps)}`);
  const consumer = (c: SplitConsumer) => inRounds(`${c} consumer ${profile}`, 'recordsPerSecond', () => calibrateConsumer(profile, cores, c));
  const sms = await consumer('sms');
  const events = await consumer('events');
  const common = await consumer('common');
  profiles[profile] = { cpuRequest: cpu, producer, consumers: { sms, events, common } };
}

const brokerFigure = await inRounds('broker', 'bytesInPerSecond', calibrateBroker);

for (const topic of ['sms_batched', AUDIT_TOPIC])
  await kadmin.deleteTopicRecords({
    topic,
    partitions: (await kadmin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, offset: o.high })),
  });
await kadmin.disconnect();
await mongo.close();
await pgc.end().catch(() => undefined);
unprioritise();

const versions = readFileSync(`${root}/test/infra/versions.env`, 'utf8');
const version = (k: string) => new RegExp(`^${k}=(\\S+)`, 'm').exec(versions)?.[1] ?? 'unknown';
const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { dependencies: Record<string, string> };
const date = new Date().toISOString().slice(0, 10);
const args = process.argv.slice(2).filter((a) => a !== '--write');
const machine = `${process.env.MOBILEFORGE_MACHINE ?? 'unnamed machine'}: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB`;
const command = `npm run calibrate${args.length ? ` -- ${args.join(' ')}` : ''}`;
const broker: Calibration['broker'] = {
  ...brokerFigure,
  provenance: {
    date,
    machine,
    command,
    criterion: `bytes appended to the logs of a 4-partition topic at replication factor 1 while ${BROKER_CLIENTS} clients (${BROKER_IN_FLIGHT} sends in flight each, ${BROKER_BATCH} messages a send, gzip, acks=all) sent as fast as it acknowledged, ${BROKER_MS / 1000} s; client and broker share the machine, so it errs low`,
  },
};
const calibration: Calibration = BROKER_ONLY
  ? { ...CALIBRATION, version: `${date}.${tag}`, broker }
  : {
      version: `${date}.${tag}`,
      provenance: {
        date,
        machine,
        cores: cpus().length,
        command,
        cpuLimit: method,
        criterion: `producer: highest open-loop rate with p99 < ${P99_LIMIT_MS} ms and no failures (${STEP_MS / 1000} s steps); consumers: drain rate of a pre-filled topic (4 partitions), from its first message counted to its last offset committed`,
        versions: {
          node: process.version,
          kafkajs: pkg.dependencies.kafkajs ?? 'unknown',
          kafka: version('KAFKA_VERSION'),
          postgres: version('POSTGRES_MAJOR'),
          ferretdb: version('FERRETDB_VERSION'),
        },
      },
      profiles: profiles as Calibration['profiles'],
      broker,
    };
if (values.write) {
  if (!BROKER_ONLY && (!profiles.production || !profiles['dev-uat'])) throw new Error('--write needs both profiles (--profile all), or --broker-only');
  const file = `${root}/operator/model/sizing/capacity-data.ts`;
  writeFileSync(
    file,
    [
      '// Generated by `npm run calibrate -- --write` (test/bench/calibrate.ts): measured per-replica capacity',
      '// and its provenance. Re-run the calibration rather than editing the figures (docs/benchmarks.md#calibration).',
      "import type { Calibration } from './types.js';",
      '',
      `export const CALIBRATION: Calibration = ${JSON.stringify(calibration, null, 2)};`,
      '',
    ].join('\n'),
  );
  execFileSync(`${root}/node_modules/.bin/prettier`, ['--write', file], { stdio: 'ignore' });
  log(`wrote ${file} (version ${calibration.version})`);
}
process.stdout.write(`${JSON.stringify({ bench: 'calibrate', ...calibration })}\n`);
// This run's database (each measurement removed its own topics and MongoDB databases).
const admin1 = new pg.Client({ ...pgConf, database: 'postgres' });
await admin1.connect();
await admin1.query(`DROP DATABASE IF EXISTS ${tag} WITH (FORCE)`);
await admin1.end();
process.exit(0);
