// The product as a platform team meets it, on a real node: the operator installed by its Helm
// chart runs as a pod from the image built from Dockerfile.operator; a pipeline's migration Job,
// CronJob and Deployments run as pods from the image built from Dockerfile.workload, through
// the real Job, Deployment and CronJob controllers, the scheduler, the kubelet's probes and
// kube-proxy. Nothing here writes a status by hand. The steps run in order on one pipeline.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Db, MongoClient } from 'mongodb';
import { SyncClient, type SyncBatch } from '../../workloads/client/sync-client.js';
import { COLLECTIONS } from '../../core/sync-schema.js';
import { connectMongo, connectPg, uniqueName } from '../support/services.js';
import { sleep, waitFor } from '../support/wait.js';
import {
  OPERATOR_NAMESPACE,
  allRolledOut,
  createDatabaseSecrets,
  OPERATOR_RELEASE,
  WORKLOAD_IMAGE,
  imageTag,
  installOperator,
  nodeGetJson,
  nodeKubectl,
  nodePipeline,
  podReady,
  createTestNamespace,
  removeTestNamespace,
  retagOnNode,
  type PodList,
  smsBatch,
  waiterWithState,
} from './support.js';

const ns = uniqueName('e2e');
const name = 'acme';
const instance = `app.kubernetes.io/instance=${name}`;
/** Before any record of the suite: a rewind to here reads everything again. */
const suiteStart = new Date(Date.now() - 1000).toISOString();
const role = uniqueName('e2e_role').replace(/-/g, '_');
const databases = { insights: uniqueName('e2e_insights').replace(/-/g, '_'), sync: uniqueName('e2e_sync').replace(/-/g, '_') };
const mongoDatabase = uniqueName('e2e').replace(/-/g, '_');
const client = { id: 'acme-e2e', token: randomUUID() };
let tag: string;
let pgAdmin: pg.Client;
let pgSync: pg.Client | undefined;
let mongo: MongoClient;
let db: Db;
let sync: SyncClient;

interface Deployment {
  metadata: { name: string; generation: number };
  spec: { template: { metadata: { annotations?: Record<string, string> }; spec: { containers: { image: string }[] } } };
  status: { readyReplicas?: number; updatedReplicas?: number; replicas?: number; observedGeneration?: number; unavailableReplicas?: number };
}
interface Job {
  metadata: { name: string; creationTimestamp: string };
  status: { succeeded?: number; completionTime?: string };
}

const pods = (selector = instance): PodList['items'] =>
  nodeGetJson<PodList>(['get', 'pods', '-n', ns, '-l', selector]).items.filter((p) => !p.metadata.deletionTimestamp);
const deployments = (): Deployment[] => nodeGetJson<{ items: Deployment[] }>(['get', 'deployments', '-n', ns, '-l', instance]).items;
const jobs = (): Job[] => nodeGetJson<{ items: Job[] }>(['get', 'jobs', '-n', ns, '-l', instance]).items;
const pipelineReady = (): boolean =>
  nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']) === 'True';
/** Every Deployment rolled out: its pods are the current template's and ready through their probes. */
const rolledOut = (): boolean => allRolledOut(deployments(), 4);
const describeState = (): string =>
  `${nodeKubectl(['get', 'pods,jobs,deployments', '-n', ns, '-o', 'wide'])}\n${nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'yaml'])}`;

const waitWithState = waiterWithState(describeState, 500);

function sms(requestId: string, n: number): SyncBatch {
  return smsBatch(requestId, n, { userId: `user-${requestId.length % 7}` });
}
function events(requestId: string, n: number): SyncBatch {
  return {
    request_id: requestId,
    user_id: 'user-ev',
    sdk_version: '2.4.0',
    device: { device_id: 'd-1', android_id: 'a-1' },
    records: Array.from({ length: n }, (_, i) => ({ event_type: 'app_open', event_value: `${requestId}-${i}`, timestamp: Date.now() })),
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  p.catch(() => undefined); // a request abandoned here may still fail later
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('request timed out')), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** As the SDK does: retry a batch with the same request_id (a fresh token each time) until accepted. */
async function deliver(source: 'sms' | 'events', batch: SyncBatch, deadlineMs = 90000): Promise<number> {
  const until = Date.now() + deadlineMs;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      // An SDK gives up on a request after a while: a connection to a pod that was deleted
      // under it may never answer (its address is gone from the bridge).
      const r = await withTimeout(sync.send(source, batch), 10000);
      if (r.status === 202) return attempts;
      if (r.status < 500) throw new Error(`batch ${batch.request_id} refused: ${r.status} ${JSON.stringify(r.body)}`);
    } catch (err) {
      if (err instanceof Error && err.message.includes('refused:')) throw err;
    }
    if (Date.now() > until) throw new Error(`batch ${batch.request_id} not accepted after ${attempts} attempts`);
    await sleep(300);
  }
}

const smsDocs = (prefix: string) => db.collection(COLLECTIONS.sms).countDocuments({ request_id: { $regex: `^${prefix}-` } });
const distinctSmsIds = async (prefix: string) => (await db.collection(COLLECTIONS.sms).distinct('id', { request_id: { $regex: `^${prefix}-` } })).length;
const eventRows = async (prefix: string): Promise<{ rows: number; distinct: number }> => {
  const r = await pgSync!.query<{ rows: number; distinct: number }>(
    `SELECT count(*)::int AS rows, count(DISTINCT event_value)::int AS distinct FROM sync_events_log WHERE sync_request_id LIKE $1`,
    [`${prefix}-%`],
  );
  return r.rows[0]!;
};

/**
 * SMS and event batches of `per` records, `parallel` of each at a time, delivered as the SDK
 * does until `stop()`, which resolves to how many of each were accepted.
 */
function stream(prefix: { sms: string; events: string }, per: number, parallel: number): { sent: () => number; stop: () => Promise<number> } {
  let sent = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const i = sent;
      await Promise.all(
        Array.from({ length: parallel }, (_, k) =>
          deliver('sms', sms(`${prefix.sms}-${i + k}`, per)).then(() => deliver('events', events(`${prefix.events}-${i + k}`, per))),
        ),
      );
      sent = i + parallel;
      await sleep(50);
    }
  })();
  return {
    sent: () => sent,
    stop: async () => {
      stopped = true;
      await loop;
      return sent;
    },
  };
}

/** Every record of a stream stored, each once: MongoDB (SMS) and PostgreSQL (events). */
async function expectStreamStored(prefix: { sms: string; events: string }, total: number, per: number): Promise<void> {
  await waitWithState('every SMS record of the stream in MongoDB', async () => (await smsDocs(prefix.sms)) === total * per, 120000);
  await waitWithState('every event of the stream in PostgreSQL', async () => (await eventRows(prefix.events)).rows === total * per, 60000);
  expect(await distinctSmsIds(prefix.sms)).toBe(total * per);
  expect(await eventRows(prefix.events)).toEqual({ rows: total * per, distinct: total * per });
}

beforeAll(async () => {
  tag = imageTag();
  installOperator(tag);
  pgAdmin = await connectPg();
  // The pipeline's own database role, so that its password can be rotated without touching
  // the role other suites use. The forwarder makes pods' connections arrive from loopback.
  await pgAdmin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'first-${role}'`);
  for (const d of Object.values(databases)) await pgAdmin.query(`CREATE DATABASE ${d} OWNER ${role}`);
  mongo = await connectMongo();
  db = mongo.db(mongoDatabase);
  createTestNamespace(ns);
  createDatabaseSecrets(ns, { username: role, password: `first-${role}` });
}, 240000);

afterAll(async () => {
  removeTestNamespace(ns);
  await pgSync?.end();
  for (const d of Object.values(databases)) await pgAdmin?.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => undefined);
  await pgAdmin?.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await pgAdmin?.end();
  await db?.dropDatabase().catch(() => undefined);
  await mongo?.close();
}, 300000);

test('the operator runs as a pod from its Helm chart, with the image built from Dockerfile.operator', () => {
  const op = nodeGetJson<PodList>(['get', 'pods', '-n', OPERATOR_NAMESPACE, '-l', `app.kubernetes.io/instance=${OPERATOR_RELEASE}`]).items.filter(
    (p) => !p.metadata.deletionTimestamp,
  );
  expect(op).toHaveLength(1);
  expect(op[0]!.spec.containers[0]!.image).toBe(`localhost/mobileforge/mobileforge-operator:${tag}`);
  expect(op[0]!.spec.serviceAccountName).toBe('mobileforge-mobileforge-operator');
  expect(podReady(op[0]!)).toBe(true);
});

test('a pipeline becomes Ready on real pods: the migration Job runs first, then four Deployments pass their probes', async () => {
  const started = Date.now();
  nodeKubectl(
    ['apply', '--server-side', '-f', '-'],
    JSON.stringify(nodePipeline({ name, namespace: ns, tag, databases, mongoDatabase, postgresSecret: 'pg', mongoSecret: 'mongo' })),
  );
  await waitWithState('the pipeline Ready', () => pipelineReady(), 120000);
  await waitWithState('every Deployment rolled out', () => rolledOut(), 60000);
  process.stdout.write(`pipeline created -> Ready with all pods ready: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

  const [job] = jobs();
  expect(job?.status.succeeded).toBe(1);
  const migratePods = pods(`job-name=${job!.metadata.name}`);
  expect(migratePods.map((p) => p.status.phase)).toContain('Succeeded');
  // the gate: no Deployment pod existed before the migration finished
  const running = pods().filter((p) => !p.metadata.labels?.['job-name']);
  expect(running).toHaveLength(4);
  for (const p of running) {
    expect(p.spec.containers[0]!.image).toBe(`${WORKLOAD_IMAGE}:${tag}`);
    expect(podReady(p)).toBe(true);
  }
  const rsCreated = nodeGetJson<{ items: { metadata: { creationTimestamp: string } }[] }>(['get', 'replicasets', '-n', ns, '-l', instance]).items.map((r) =>
    Date.parse(r.metadata.creationTimestamp),
  );
  expect(Math.min(...rsCreated)).toBeGreaterThanOrEqual(Date.parse(job!.status.completionTime!) - 1000);

  pgSync = await connectPg(databases.sync);
  const insights = await connectPg(databases.insights);
  await insights.query(`INSERT INTO clients (client_id, auth_token, geography) VALUES ($1, $2, 'other')`, [client.id, client.token]);
  await insights.end();
  const ip = nodeKubectl(['get', 'service', `${name}-producer`, '-n', ns, '-o', 'jsonpath={.spec.clusterIP}']);
  sync = new SyncClient({ baseUrl: `http://${ip}:8000`, clientId: client.id, authToken: client.token });
}, 240000);

test('the partition CronJob runs once as a real Job and succeeds', () => {
  nodeKubectl(['create', 'job', '--from', `cronjob/${name}-partitions`, 'partitions-once', '-n', ns]);
  nodeKubectl(['wait', '--for=condition=complete', 'job/partitions-once', '-n', ns, '--timeout=90s']);
  expect(nodeKubectl(['logs', 'job/partitions-once', '-n', ns])).toContain('partitions maintained');
});

test('signed batches through the producer Service land in MongoDB and PostgreSQL, every record accounted for', async () => {
  const smsN = 40,
    evN = 20,
    per = 5;
  await Promise.all([
    ...Array.from({ length: smsN }, (_, i) => deliver('sms', sms(`s1-${i}`, per))),
    ...Array.from({ length: evN }, (_, i) => deliver('events', events(`e1-${i}`, per))),
  ]);
  await waitWithState('every SMS record in MongoDB', async () => (await smsDocs('s1')) === smsN * per, 60000);
  await waitWithState('every event in PostgreSQL', async () => (await eventRows('e1')).rows === evN * per, 60000);
  expect(await distinctSmsIds('s1')).toBe(smsN * per);
  expect(await eventRows('e1')).toEqual({ rows: evN * per, distinct: evN * per });
  // an unsigned request is refused by the pod, as in production
  expect((await sync.send('sms', sms('bad-1', 1), { token: 'not-a-token' })).status).toBe(401);
}, 180000);

test('a consumer pod and a producer pod deleted mid-stream lose nothing and duplicate nothing', async () => {
  const per = 4;
  const consumerPod = pods(`${instance},app.kubernetes.io/component=consumer-sms`)[0]!.metadata.name;
  const producerPod = pods(`${instance},app.kubernetes.io/component=producer`)[0]!.metadata.name;
  const gone = (pod: string) => nodeKubectl(['get', 'pod', pod, '-n', ns, '--ignore-not-found', '-o', 'name']).trim() === '';
  // Traffic flows until both pods are gone for good and a little after, so that each
  // deletion happens mid-stream whatever the timing.
  const prefix = { sms: 's2', events: 'e2' };
  const traffic = stream(prefix, per, 4);
  const sent = traffic.sent;
  await waitFor('some of the stream sent', () => sent() >= 40, 60000);
  nodeKubectl(['delete', 'pod', consumerPod, '-n', ns, '--wait=false']);
  await waitFor('the consumer pod gone', () => gone(consumerPod), 60000, 500);
  // batches keep arriving while the replacement consumer starts and joins the group
  const atConsumerGone = sent();
  await waitFor('more of the stream sent after the consumer pod went', () => sent() >= atConsumerGone + 20, 60000);
  nodeKubectl(['delete', 'pod', producerPod, '-n', ns, '--wait=false']);
  await waitFor('the producer pod gone', () => gone(producerPod), 60000, 500);
  const atProducerGone = sent();
  await waitFor('more of the stream sent through the new producer pod', () => sent() >= atProducerGone + 40, 90000);
  await expectStreamStored(prefix, await traffic.stop(), per);
  // the replacements are new pods, ready through their probes
  await waitWithState('the Deployments whole again', () => rolledOut(), 60000);
  const names = pods().map((p) => p.metadata.name);
  expect(names).not.toContain(consumerPod);
  expect(names).not.toContain(producerPod);
}, 300000);

test('a Secret change rolls the pods, which come up with the rotated password', async () => {
  const before = new Map(deployments().map((d) => [d.metadata.name, d.metadata.generation]));
  await pgAdmin.query(`ALTER ROLE ${role} PASSWORD 'second-${role}'`);
  const secret = nodeKubectl([
    'create',
    'secret',
    'generic',
    'pg',
    '-n',
    ns,
    `--from-literal=username=${role}`,
    `--from-literal=password=second-${role}`,
    '--dry-run=client',
    '-o',
    'json',
  ]);
  nodeKubectl(['apply', '-f', '-'], secret);
  await waitWithState(
    'every Deployment with a new template',
    () => deployments().every((d) => d.metadata.generation > (before.get(d.metadata.name) ?? Infinity)),
    60000,
  );
  await waitWithState('the rolled pods ready', () => rolledOut(), 120000);
  // the new pods reach PostgreSQL with the new password: the producer accepts and records again
  await deliver('events', events('e3-0', 2));
  await waitWithState('the event after the rotation', async () => (await eventRows('e3')).rows === 2, 60000);
}, 240000);

test('a changed image tag rolls the Deployments through the migration gate', async () => {
  const next = `${tag}-next`;
  retagOnNode(WORKLOAD_IMAGE, tag, next);
  const oldJobs = new Set(jobs().map((j) => j.metadata.name));
  nodeKubectl(['patch', 'syncpipeline', name, '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { image: { tag: next } } })]);
  const job = await waitWithState(
    'a new migration Job that succeeded',
    () => jobs().find((j) => !oldJobs.has(j.metadata.name) && j.metadata.name.includes('migrate') && j.status.succeeded === 1),
    120000,
  );
  await waitWithState(
    'every Deployment on the new tag and ready',
    () => rolledOut() && deployments().every((d) => d.spec.template.spec.containers[0]!.image === `${WORKLOAD_IMAGE}:${next}`),
    120000,
  );
  // the gate: no pod of the new tag started before the new migration finished
  const newRs = nodeGetJson<{ items: { metadata: { creationTimestamp: string }; spec: { template: { spec: { containers: { image: string }[] } } } }[] }>([
    'get',
    'replicasets',
    '-n',
    ns,
    '-l',
    instance,
  ]).items.filter((r) => r.spec.template.spec.containers[0]!.image.endsWith(`:${next}`));
  expect(newRs).toHaveLength(4);
  for (const r of newRs) expect(Date.parse(r.metadata.creationTimestamp)).toBeGreaterThanOrEqual(Date.parse(job.status.completionTime!) - 1000);
}, 300000);

test('the operator pod killed and replaced takes over without rewriting the pipeline', async () => {
  const snapshot = () => {
    const kinds = ['deployments', 'services', 'horizontalpodautoscalers', 'poddisruptionbudgets', 'cronjobs', 'serviceaccounts'];
    const items = nodeGetJson<{ items: { kind: string; metadata: { name: string; generation?: number; resourceVersion: string }; spec?: unknown }[] }>([
      'get',
      kinds.join(','),
      '-n',
      ns,
      '-l',
      instance,
    ]).items;
    // An HPA has no generation, and the HPA controller rewrites its status (current metrics)
    // every sync: its spec is what the operator would rewrite.
    const version = (o: (typeof items)[number]) =>
      o.metadata.generation ?? (o.kind === 'HorizontalPodAutoscaler' ? JSON.stringify(o.spec) : o.metadata.resourceVersion);
    return Object.fromEntries(items.map((o) => [`${o.kind}/${o.metadata.name}`, version(o)]));
  };
  const operatorPods = () => nodeGetJson<PodList>(['get', 'pods', '-n', OPERATOR_NAMESPACE, '-l', `app.kubernetes.io/instance=${OPERATOR_RELEASE}`]).items;
  const leaseHolder = () => nodeKubectl(['get', 'lease', 'mobileforge-operator', '-n', OPERATOR_NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}']);
  const before = snapshot();
  const podsBefore = pods()
    .map((p) => p.metadata.name)
    .sort();
  const [op] = operatorPods();
  expect(leaseHolder()).toBe(op!.metadata.name);
  nodeKubectl(['delete', 'pod', op!.metadata.name, '-n', OPERATOR_NAMESPACE, '--grace-period=0', '--force']);
  // the replacement waits out the dead pod's lease, takes it, reads every pipeline ...
  const successor = await waitFor(
    'a new operator pod holding the lease',
    () => {
      const holder = leaseHolder();
      return holder !== op!.metadata.name && operatorPods().some((p) => p.metadata.name === holder && podReady(p)) ? holder : undefined;
    },
    120000,
    500,
  );
  await sleep(10000);
  // ... and finds nothing to change: no spec rewritten, no pod replaced
  expect(pipelineReady()).toBe(true);
  expect(snapshot()).toEqual(before);
  expect(
    pods()
      .map((p) => p.metadata.name)
      .sort(),
  ).toEqual(podsBefore);
  // while it does act on a change (so the quiet above is not an idle operator)
  nodeKubectl(['patch', 'syncpipeline', name, '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { consumers: { events: { maxReplicas: 3 } } } })]);
  await waitWithState(
    'the new leader applying the change',
    () => nodeKubectl(['get', 'hpa', `${name}-consumer-events`, '-n', ns, '-o', 'jsonpath={.spec.maxReplicas}']) === '3',
    60000,
  );
  expect(leaseHolder()).toBe(successor);
}, 240000);

test('switching to the single consumer layout mid-stream: the split consumers stop, the single one resumes from their offsets', async () => {
  const per = 3;
  const layout = () => nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'jsonpath={.status.consumerLayout}']);
  const consumerDeployments = () =>
    deployments()
      .map((d) => d.metadata.name)
      .filter((n) => n.includes('-consumer-'))
      .sort();
  expect(layout()).toBe('split');
  const prefix = { sms: 's4', events: 'e4' };
  const traffic = stream(prefix, per, 2);
  await waitFor('some of the stream sent', () => traffic.sent() >= 20, 60000);
  // The split consumers' overrides move to the single one: admission refuses the other layout's.
  const sizing = JSON.parse(nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'jsonpath={.spec.consumers.sms}'])) as object;
  const patch = { spec: { consumers: { layout: 'single', sms: null, events: null, common: null, all: sizing } } };
  nodeKubectl(['patch', 'syncpipeline', name, '-n', ns, '--type=merge', '-p', JSON.stringify(patch)]);
  await waitWithState(
    'only the single consumer, ready',
    () => JSON.stringify(consumerDeployments()) === JSON.stringify([`${name}-consumer-all`]) && pipelineReady(),
    180000,
  );
  expect(layout()).toBe('single');
  const atSwitch = traffic.sent();
  await waitFor('more of the stream sent to the single consumer', () => traffic.sent() >= atSwitch + 20, 60000);
  const total = await traffic.stop();
  await expectStreamStored(prefix, total, per);
  // Nothing was read twice: the single consumer's sinks met no record already stored.
  const pod = nodeGetJson<{ items: { status: { podIP: string } }[] }>(['get', 'pods', '-n', ns, '-l', `${instance},app.kubernetes.io/component=consumer-all`])
    .items[0]!;
  const metrics = await (await fetch(`http://${pod.status.podIP}:8000/metrics`)).text();
  const counter = (metric: string) =>
    metrics
      .split('\n')
      .filter((l) => l.startsWith(metric))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  expect(counter('consumer_records_written_total')).toBeGreaterThan(0);
  expect(counter('consumer_records_duplicate_total')).toBe(0);
  const switched = nodeKubectl(['get', 'events', '-n', ns, '--field-selector', 'reason=ConsumerLayoutSwitched', '-o', 'jsonpath={.items[*].message}']);
  expect(switched).toMatch(/split -> single: committed offsets handed over on \d+ partitions/);
  process.stdout.write(`[pipeline] layout switch: ${total} SMS and ${total} event batches streamed across it; ${switched}\n`);
}, 420000);

test('rewinding the consumer to before the first record: it stops, reads everything again, and writes nothing twice', async () => {
  const stored = async () => ({
    sms: await db.collection(COLLECTIONS.sms).countDocuments(),
    events: Number((await pgSync!.query<{ n: string }>('SELECT count(*) AS n FROM sync_events_log')).rows[0]!.n),
  });
  const before = await stored();
  const request = JSON.stringify({ consumer: 'all', toTime: suiteStart });
  nodeKubectl(['annotate', 'syncpipeline', name, '-n', ns, '--overwrite', `mobileforge.credeau.com/rewind=${request}`]);
  const rewind = () =>
    JSON.parse(nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'jsonpath={.status.rewind}']) || '{}') as { phase?: string; request?: string };
  await waitWithState(
    'the rewind completed and the consumer ready again',
    () => rewind().phase === 'Completed' && rewind().request === request && pipelineReady(),
    180000,
  );
  const rewound = nodeKubectl(['get', 'events', '-n', ns, '--field-selector', 'reason=ConsumerRewound', '-o', 'jsonpath={.items[*].message}']);
  expect(rewound).toMatch(new RegExp(`rewound consumer group \\S+ \\(all\\) to ${suiteStart.replace(/\./g, '\\.')}: \\d+ partitions? moved back`));
  const again = Number(/; (\d+) records to read again/.exec(rewound)?.[1]);
  expect(again).toBeGreaterThan(0);
  // The new consumer pod reads it all again: every record met as already stored.
  const pod = nodeGetJson<{ items: { status: { podIP: string } }[] }>(['get', 'pods', '-n', ns, '-l', `${instance},app.kubernetes.io/component=consumer-all`])
    .items[0]!;
  const counter = async (metric: string) =>
    (await (await fetch(`http://${pod.status.podIP}:8000/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith(metric) && /sms_batched"|events_log"/.test(l))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  await waitWithState(
    'every stored SMS and event met again',
    async () => (await counter('consumer_records_duplicate_total')) === before.sms + before.events,
    120000,
  );
  await sleep(3000);
  expect(await counter('consumer_records_written_total')).toBe(0);
  expect(await stored()).toEqual(before);
  process.stdout.write(`[pipeline] rewind: ${rewound}\n`);
}, 300000);

test('deleting the pipeline garbage-collects everything it owned', async () => {
  nodeKubectl(['delete', 'syncpipeline', name, '-n', ns, '--wait=true', '--timeout=60s']);
  await waitWithState(
    'nothing of the pipeline left',
    () => {
      const left = nodeKubectl([
        'get',
        'deployments,replicasets,jobs,cronjobs,services,horizontalpodautoscalers,poddisruptionbudgets,serviceaccounts,pods',
        '-n',
        ns,
        '-l',
        instance,
        '-o',
        'name',
      ]).trim();
      return left === '';
    },
    120000,
  );
  expect(pods()).toHaveLength(0);
}, 180000);
