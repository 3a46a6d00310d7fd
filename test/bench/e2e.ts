// npm run bench:e2e [-- --duration 20 --sample 10 --dau 1000000 --mongo-poll-ms 0 --sms-replicas N]
// End-to-end freshness on the local node: the time from the Producer API's 202 to the record
// being readable in MongoDB (SMS) and in PostgreSQL (events), at the peak request rate of
// docs/workload-model.md (India) for `--dau` (default 1M), open loop, through the producer's Service to real pods (the
// operator installed by its chart, one pipeline, the node's autoscalers acting). The request
// mix follows the model: SMS batches of 40 records, event batches of 25, SMS backfill batches of
// 500 (the model's apps_and_device requests are sent as SMS batches of 40). Every `sample`-th
// request is timed: a poller asks PostgreSQL every 100 ms which timed requests are readable (by
// the key of each request's first event), and MongoDB too with --mongo-poll-ms (by the _id of
// each request's first record; see MONGO_POLL_MS for why not by default).
// The consumers' own freshness histograms (from each message's Kafka timestamp to being taken
// and to written), as the test services' Prometheus scraped them, are reported beside, per
// topic: where the time went.
// Ends with one line of JSON.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { logLevel } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { layoutGroups } from '../../operator/model/kafka/layout-switch.js';
import { packageRoot } from '../../operator/util/repo-root.js';
import { peakLoad } from '../../operator/model/sizing/plan.js';
import { useTestServices } from '../support/endpoints.js';
import { instantQuery } from '../support/prometheus.js';
import { SyncClient, type SyncBatch } from '../../workloads/client/sync-client.js';
import { COLLECTIONS, documentId } from '../../core/sync-schema.js';
import { createDatabaseSecrets, createTestNamespace, installOperator, nodeKubectl, nodePipeline } from '../e2e/support.js';
import { resolve } from '../../operator/model/resolve.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    sample: { type: 'string', default: '10' },
    dau: { type: 'string', default: '1000000' },
    'mongo-poll-ms': { type: 'string', default: '0' },
    // A fixed number of SMS consumers (no scaling during the run, so no rebalance); unset: 1-3 by KEDA.
    'sms-replicas': { type: 'string' },
  },
});
const DAU = Number(values.dau);
const DURATION_MS = Number(values.duration) * 1000;
const SAMPLE = Number(values.sample);
const POLL_MS = 100;
// MongoDB is polled only when asked (e.g. 100): FerretDB 1.24, the local MongoDB-wire server,
// answers a find with `$in` with a scan of the whole collection (1.8 s for 150 ids in 50K
// documents), so polling it every 100 ms loads the very store being measured and delays the
// writes. Without it, MongoDB's freshness is the SMS consumers' own histogram (from each
// message's Kafka timestamp, just before the 202, to its insert acknowledged).
const MONGO_POLL_MS = Number(values['mongo-poll-ms']);
const root = packageRoot();
const log = (m: string) => process.stderr.write(`[bench:e2e] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (process.env.MOBILEFORGE_NO_START !== '1') {
  execFileSync('bash', [`${root}/test/infra/infra.sh`, 'up', '--skip-external'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
// Only the test services, whatever the shell's KUBECONFIG or DATABASE_URL says.
useTestServices();
const env = { ...process.env } as Record<string, string>;
Object.assign(process.env, env);
// MOBILEFORGE_NO_START=1: the caller started the services and imported the images
const tag = execFileSync('bash', [`${root}/test/infra/images.sh`, process.env.MOBILEFORGE_NO_START === '1' ? 'tag' : 'load'], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
}).trim();
installOperator(tag);

const run = `b${Date.now().toString(36)}`;
const ns = `bench-e2e-${run}`;
const name = 'fresh';
const databases = { insights: `${run}_insights`, sync: `${run}_sync` };
const pgAdmin = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: 'postgres' });
await pgAdmin.connect();
for (const d of Object.values(databases)) await pgAdmin.query(`CREATE DATABASE ${d}`);
// Other pipelines (a demo left running) share the node's two cores: said, not removed.
const others = nodeKubectl(['get', 'syncpipelines', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}']).trim();
if (others) log(`other pipelines on the node, sharing its cores with this run: ${others}`);
createTestNamespace(ns);
createDatabaseSecrets(ns, { username: env.PGUSER!, password: env.PGPASSWORD! });
const pipeline = nodePipeline({ name, namespace: ns, tag, databases, mongoDatabase: run, postgresSecret: 'pg', mongoSecret: 'mongo' });
// a process may use up to one core; the autoscalers add replicas where the node has room
const busy = { requests: { cpu: '250m', memory: '320Mi' }, limits: { cpu: '1', memory: '512Mi' } };
// Its own topics and groups, deleted with it: a run never starts behind an earlier run's
// backlog (or a test's leftovers).
pipeline.spec.kafka = { ...pipeline.spec.kafka!, topicPrefix: `${run}.` };
pipeline.spec.autoscaling = { engine: 'keda' };
pipeline.spec.producer = { resources: busy, minReplicas: 1, maxReplicas: 2 };
pipeline.spec.consumers = {
  sms: {
    resources: busy,
    minReplicas: Number(values['sms-replicas'] ?? 1),
    maxReplicas: Number(values['sms-replicas'] ?? 3),
  },
  events: { resources: busy, minReplicas: 1, maxReplicas: 2 },
  common: { resources: busy, minReplicas: 1, maxReplicas: 1 },
};
nodeKubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(pipeline));
const ready = () => nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']) === 'True';
for (const until = Date.now() + 240000; !ready(); await sleep(1000)) if (Date.now() > until) throw new Error('the pipeline did not become Ready');

const client = { id: 'acme-bench', token: randomUUID() };
const insights = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: databases.insights });
await insights.connect();
await insights.query(`INSERT INTO clients (client_id, auth_token, geography) VALUES ($1, $2, 'india')`, [client.id, client.token]);
await insights.end();
const syncDb = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: databases.sync });
await syncDb.connect();
const mongo = new MongoClient(env.MONGODB_URI!);
await mongo.connect();
const sms = mongo.db(run).collection<{ _id: string }>(COLLECTIONS.sms);
const ip = nodeKubectl(['get', 'service', `${name}-producer`, '-n', ns, '-o', 'jsonpath={.spec.clusterIP}']);
const sdk = new SyncClient({ baseUrl: `http://${ip}:8000`, clientId: client.id, authToken: client.token });

/** Users of the requests: `user-N` from the request id, as `batch` builds them. */
const userOf = (id: string) => `user-${id.length % 50}`;
/** The MongoDB _id of a request's first SMS record (the consumer's deterministic id), and back. */
const byFirstDocument = new Map<string, string>();
function firstDocument(requestId: string): string {
  const id = documentId([client.id, userOf(requestId), requestId, 'sms', 0, 0]);
  byFirstDocument.set(id, requestId);
  return id;
}

type Kind = 'sms' | 'events' | 'backfill';
/** The model's India mix per 133 requests: 70 SMS (60 + the 10 device requests), 60 events, 3 backfill. */
const kindOf = (i: number): Kind => (i % 133 < 70 ? 'sms' : i % 133 < 130 ? 'events' : 'backfill');
function batch(id: string, kind: Kind): SyncBatch {
  const base = { request_id: id, user_id: userOf(id), sdk_version: '2.4.0', device: { device_id: 'd-1', android_id: 'a-1' } };
  if (kind === 'events') {
    return { ...base, records: Array.from({ length: 25 }, (_, i) => ({ event_type: 'app_open', event_value: `${id}-${i}`, timestamp: Date.now() })) };
  }
  return {
    ...base,
    records: Array.from({ length: kind === 'sms' ? 40 : 500 }, (_, i) => ({
      id: `${id}-${i}`,
      sender: 'AX-HDFCBK',
      body: `Rs.${i}.00 debited from a/c XXXX${i % 97} on 26-11-26 to VPA XXXXXXXX@ybl (UPI Ref No XXXXXXXX${i}). Not you? Call 1800XXXXXXX`,
      timestamp: 1764000000000 + i,
      type: 'inbox',
    })),
  };
}

// warm-up: connections, caches, the consumers' first fetch
await sdk.send('sms', batch(`${run}-warm`, 'sms'));
const peak = peakLoad(DAU, 'india');
log(
  `open loop at the ${DAU.toLocaleString('en-US')}-DAU peak (India): ${peak.requestsPerSecond} requests/s for ${DURATION_MS / 1000} s, every ${SAMPLE}th request timed`,
);

const accepted = new Map<string, { at: number; sink: 'mongo' | 'pg' }>();
const fresh = { mongo: [] as number[], pg: [] as number[] };
let sent = 0;
let failed = 0;
/** Failed requests by HTTP status, or the client's error (code or message) when no answer came. */
const failures: Record<string, number> = {};
const fail = (why: string) => {
  failed++;
  failures[why] = (failures[why] ?? 0) + 1;
};
let loadDone = false;
/**
 * One poller per sink, each asking every POLL_MS which of its timed requests are readable now.
 * Independent loops: a slow read on one store (FerretDB scans a collection for an `$in` on _id)
 * must not delay noticing the other's records.
 */
function poll(sink: 'mongo' | 'pg', everyMs: number, readable: (ids: string[]) => Promise<string[]>): Promise<void> {
  return (async () => {
    for (;;) {
      const pending = [...accepted.entries()].filter(([, v]) => v.sink === sink).map(([k]) => k);
      const seen = pending.length ? await readable(pending) : [];
      const now = performance.now();
      for (const id of seen) {
        fresh[sink].push(now - accepted.get(id)!.at);
        accepted.delete(id);
      }
      if (loadDone && ![...accepted.values()].some((v) => v.sink === sink)) return;
      await sleep(everyMs);
    }
  })();
}
const pollers = Promise.all([
  // By primary key: a request is readable once the first of its records is (they are inserted
  // together).
  poll('mongo', MONGO_POLL_MS, async (ids) =>
    (await sms.find({ _id: { $in: ids.map(firstDocument) } }, { projection: { _id: 1 } }).toArray()).map((d) => byFirstDocument.get(String(d._id))!),
  ),
  // By the identity key of each request's first event (client, user, record key).
  poll('pg', POLL_MS, async (ids) =>
    (
      await syncDb.query<{ id: string }>(
        'SELECT sync_request_id AS id FROM sync_events_log WHERE client_id = $1 AND user_id = ANY($2) AND record_key = ANY($3)',
        [client.id, [...new Set(ids.map(userOf))], ids.map((id) => `${id}:events:0:0`)],
      )
    ).rows.map((r) => r.id),
  ),
]);

/** Messages the pipeline's consumer groups have not committed yet, over all their topics. */
const kafkaAdmin = new Kafka({ clientId: 'bench-e2e', brokers: env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).admin();
await kafkaAdmin.connect();
async function backlog(): Promise<number> {
  let total = 0;
  for (const g of layoutGroups(resolve(pipeline)).split) {
    for (const topic of g.topics) {
      const ends = await kafkaAdmin.fetchTopicOffsets(topic);
      const [committed] = await kafkaAdmin.fetchOffsets({ groupId: g.group, topics: [topic] });
      for (const e of ends) {
        const offset = Number(committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? -1);
        total += Number(e.high) - (offset >= 0 ? offset : Number(e.low));
      }
    }
  }
  return total;
}

const t0 = performance.now();
const inFlight: Promise<void>[] = [];
for (let i = 0; ; i++) {
  const due = t0 + (i * 1000) / peak.requestsPerSecond;
  if (due - t0 >= DURATION_MS) break;
  const wait = due - performance.now();
  if (wait > 1) await sleep(wait);
  const kind = kindOf(i);
  const timed = i % SAMPLE === 0;
  const id = `${run}-${timed ? 't' : 'u'}-${i}`;
  sent++;
  inFlight.push(
    sdk.send(kind === 'events' ? 'events' : 'sms', batch(id, kind)).then(
      (r) => {
        if (r.status !== 202) fail(String(r.status));
        else if (timed && (kind === 'events' || MONGO_POLL_MS > 0)) accepted.set(id, { at: performance.now(), sink: kind === 'events' ? 'pg' : 'mongo' });
      },
      (err: unknown) => fail(err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message.slice(0, 60)) : 'error'),
    ),
  );
}
await Promise.all(inFlight);
const loadSeconds = (performance.now() - t0) / 1000;
loadDone = true;
// unref'd: once the pollers are done, this deadline must not keep the process alive
const deadline = new Promise<boolean>((r) => setTimeout(() => r(true), 300000).unref());
const timedOut = await Promise.race([pollers.then(() => false), deadline]);
// The consumers' figures count only what they have written: wait for every group to catch up.
let left = await backlog();
for (const until = Date.now() + 300000; left > 0 && Date.now() < until; left = await backlog()) await sleep(1000);
await kafkaAdmin.disconnect();
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!) : null;
};
const breakdown = await consumersFreshness();
const replicas = nodeKubectl(['get', 'deployments', '-n', ns, '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.replicas} {end}']).trim();
log(`sent ${sent} requests in ${loadSeconds.toFixed(1)} s (${failed} failed: ${JSON.stringify(failures)}); replicas now: ${replicas}`);
if (MONGO_POLL_MS > 0) log(`MongoDB (SMS): ${fresh.mongo.length} timed requests, p50 ${pct(fresh.mongo, 50)} ms, p99 ${pct(fresh.mongo, 99)} ms`);
else log('MongoDB (SMS): not polled (--mongo-poll-ms 0); see the SMS consumers below');
log(`PostgreSQL (events): ${fresh.pg.length} timed requests, p50 ${pct(fresh.pg, 50)} ms, p99 ${pct(fresh.pg, 99)} ms`);
for (const [topic, b] of Object.entries(breakdown)) {
  log(
    `consumers, ${topic}: waiting p50 ${b.waitP50Ms} / p99 ${b.waitP99Ms} ms, readable p50 ${b.freshP50Ms} / p99 ${b.freshP99Ms} ms (${b.messages} messages)`,
  );
}
if (timedOut) log(`${accepted.size} timed requests still not readable after 300 s`);
if (left > 0) log(`${left} messages still not consumed after 300 s more: the consumers' figures leave them out`);

/**
 * Where the time went, as the consumers saw it: their freshness histograms (from each message's
 * Kafka timestamp to being taken, and to written), as the test services' Prometheus scraped
 * them from every consumer pod of the run every 5 s. max_over_time keeps the last counts of a
 * pod the autoscalers removed; histogram_quantile interpolates within the buckets.
 */
async function consumersFreshness(): Promise<
  Record<string, { messages: number; waitP50Ms: number; waitP99Ms: number; freshP50Ms: number; freshP99Ms: number }>
> {
  await sleep(12_000); // two scrapes: the last writes' counts reach Prometheus
  const last = (series: string, by = 'topic') => `sum by (${by}) (max_over_time(${series}{namespace="${ns}"}[30m]))`;
  const byTopic = async (expr: string): Promise<Map<string, number>> => {
    const r = await instantQuery(env.PROMETHEUS_URL!, expr);
    if (r.status !== 'success') throw new Error(`Prometheus refused ${expr}: ${r.error}`);
    return new Map(r.data!.result.map((x) => [x.metric.topic!, Number(x.value[1])]));
  };
  const quantileMs = async (metric: string, q: number) => {
    const seconds = await byTopic(`histogram_quantile(${q}, ${last(`${metric}_bucket`, 'topic, le')})`);
    return (topic: string) => Math.round((seconds.get(topic) ?? 0) * 1000);
  };
  const messages = await byTopic(last('consumer_record_freshness_seconds_count'));
  const [waitP50, waitP99, freshP50, freshP99] = await Promise.all([
    quantileMs('consumer_message_wait_seconds', 0.5),
    quantileMs('consumer_message_wait_seconds', 0.99),
    quantileMs('consumer_record_freshness_seconds', 0.5),
    quantileMs('consumer_record_freshness_seconds', 0.99),
  ]);
  return Object.fromEntries(
    [...messages].map(([topic, n]) => [
      topic,
      { messages: n, waitP50Ms: waitP50(topic), waitP99Ms: waitP99(topic), freshP50Ms: freshP50(topic), freshP99Ms: freshP99(topic) },
    ]),
  );
}

sdk.close();
await syncDb.end();
// The pipeline's pods go first: FerretDB on SQLite crashes (SIGBUS in its WAL) when a database
// is dropped while a consumer still writes to it.
nodeKubectl(['delete', 'namespace', ns, '--wait=true', '--timeout=180s']);
await mongo.db(run).dropDatabase();
await mongo.close();
for (const d of Object.values(databases)) await pgAdmin.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
await pgAdmin.end();
process.stdout.write(
  `${JSON.stringify({
    bench: 'e2e',
    dau: DAU,
    region: 'india',
    requestsPerSec: peak.requestsPerSecond,
    seconds: Math.round(loadSeconds),
    sent,
    failed,
    failures,
    timedEvery: SAMPLE,
    pollMs: { postgres: POLL_MS, mongo: MONGO_POLL_MS },
    mongo: { timed: fresh.mongo.length, p50Ms: pct(fresh.mongo, 50), p99Ms: pct(fresh.mongo, 99) },
    postgres: { timed: fresh.pg.length, p50Ms: pct(fresh.pg, 50), p99Ms: pct(fresh.pg, 99) },
    unreadable: accepted.size,
    unconsumed: left,
    consumers: breakdown,
    replicas,
    target: { p99Ms: 2000 },
  })}\n`,
);
