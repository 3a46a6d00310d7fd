// Autoscaling on a real node, by the autoscalers a platform team installs: the HPA controller
// reading pod CPU from metrics-server scales the Producer API out under load and back in after
// it; KEDA reads the SMS consumer group's lag from Kafka and scales the SMS consumer out while a
// backlog drains, and back in. Meanwhile the operator leaves `replicas` to them: the node's
// API server audit log shows no write of the operator's to any Deployment of the pipeline,
// while it does show the autoscalers' writes to the scale subresource. Short stabilisation
// windows and small CPU requests (spec overrides) keep it within minutes on a 2-vCPU node.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Db, MongoClient } from 'mongodb';
import type pg from 'pg';
import type { Kafka } from 'kafkajs';
import { SyncClient } from '../../workloads/client/sync-client.js';
import { COLLECTIONS } from '../../core/sync-schema.js';
import { CONSUMER_GROUPS } from '../../core/domain.js';
import { connectKafkaAdmin, connectMongo, connectPg, testKafka, uniqueName } from '../support/services.js';
import { sleep, waitFor } from '../support/wait.js';
import {
  auditMark,
  auditSince,
  type AuditEvent,
  OPERATOR_NAMESPACE,
  createDatabaseSecrets,
  imageTag,
  installOperator,
  nodeGetJson,
  nodeKubectl,
  nodePipeline,
  createTestNamespace,
  removeTestNamespace,
  upiSms,
  writeSmsBacklog,
} from './support.js';
import type { SyncPipeline } from '../../operator/api/v1alpha1.js';

const ns = uniqueName('e2e-scale');
const name = 'scaler';
const databases = { insights: uniqueName('e2e_scale_insights').replace(/-/g, '_'), sync: uniqueName('e2e_scale_sync').replace(/-/g, '_') };
const mongoDatabase = uniqueName('e2e_scale').replace(/-/g, '_');
const client = { id: 'acme-scale', token: randomUUID() };
const OPERATOR_USER = `system:serviceaccount:${OPERATOR_NAMESPACE}:mobileforge-mobileforge-operator`;
const HPA_CONTROLLER_USER = 'system:serviceaccount:kube-system:horizontal-pod-autoscaler';
const MAX = { producer: 3, sms: 3 };
const STABILISATION_SECONDS = 20;
/** The pipeline's SMS topic on Kafka, under its prefix (nodePipeline's default). */
const smsTopic = `${ns}.sms_batched`;

let pgAdmin: pg.Client;
let mongo: MongoClient;
let db: Db;
let kafka: Kafka;
let sync: SyncClient;
let auditFrom = 0;

// A CPU request small enough that one busy process is many times its target: CPU (producer)
// and lag (SMS consumer) scale them, with the default metrics (no memory target).
const resources = { requests: { cpu: '100m', memory: '384Mi' }, limits: { cpu: '500m', memory: '1Gi' } };

function scalingPipeline(tag: string): SyncPipeline {
  const p = nodePipeline({ name, namespace: ns, tag, databases, mongoDatabase, postgresSecret: 'pg', mongoSecret: 'mongo' });
  p.spec.autoscaling = {
    engine: 'keda',
    cpuTargetUtilization: 50,
    scaleDownStabilizationSeconds: STABILISATION_SECONDS,
    pollingIntervalSeconds: 5,
    cooldownPeriodSeconds: 30,
    lagThresholds: { sms_batched: 20 },
  };
  p.spec.producer = { resources, minReplicas: 1, maxReplicas: MAX.producer };
  p.spec.consumers = {
    sms: { resources, minReplicas: 1, maxReplicas: MAX.sms },
    events: { resources, minReplicas: 1, maxReplicas: 1 },
    common: { resources, minReplicas: 1, maxReplicas: 1 },
  };
  return p;
}

interface Deployment {
  metadata: { name: string };
  spec: { replicas?: number };
  status: { readyReplicas?: number; replicas?: number };
}
const deployment = (component: string): Deployment => nodeGetJson<Deployment>(['get', 'deployment', `${name}-${component}`, '-n', ns]);
const replicas = (component: string): number => deployment(component).spec.replicas ?? 1;

/** The audit log's completed write requests to this namespace's Deployments since `from` (an audit mark). */
function deploymentWrites(from = auditFrom): AuditEvent[] {
  return auditSince(from, (e) => e.stage === 'ResponseComplete' && e.objectRef?.resource === 'deployments' && e.objectRef.namespace === ns);
}

interface Hpa {
  status: {
    currentReplicas?: number;
    desiredReplicas?: number;
    currentMetrics?: {
      type: string;
      resource?: { name: string; current: { averageUtilization?: number } };
      external?: { current: { averageValue?: string } };
    }[];
    conditions?: { type: string; status: string; reason?: string }[];
  };
}
/** What an HPA last saw and decided, one line: why a scale-in has not happened yet. */
function hpaState(hpa: string): string {
  try {
    const { status } = nodeGetJson<Hpa>(['get', 'hpa', hpa, '-n', ns]);
    const metrics = (status.currentMetrics ?? []).map((m) =>
      m.resource ? `${m.resource.name} ${m.resource.current.averageUtilization ?? '?'}%` : `${m.type} ${m.external?.current.averageValue ?? '?'}`,
    );
    const conditions = (status.conditions ?? []).map((c) => `${c.type}=${c.status}(${c.reason ?? ''})`);
    return `${hpa}: ${status.currentReplicas ?? '?'} -> ${status.desiredReplicas ?? '?'} replicas; metrics ${metrics.join(', ')}; ${conditions.join(' ')}`;
  } catch (err) {
    return `${hpa}: ${(err as Error).message}`;
  }
}
/** Waits for a Deployment at `count` replicas; a time-out says what its HPA sees. */
async function waitForReplicas(what: string, component: string, hpa: string, count: number): Promise<void> {
  try {
    await waitFor(what, () => replicas(component) === count, 240000, 2000);
  } catch (err) {
    throw new Error(`${(err as Error).message}; ${hpaState(hpa)}`, { cause: err });
  }
}

const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(0)} s`;
const note = (m: string) => process.stdout.write(`[autoscaling] ${m}\n`);

beforeAll(async () => {
  const tag = imageTag();
  installOperator(tag);
  pgAdmin = await connectPg();
  for (const d of Object.values(databases)) await pgAdmin.query(`CREATE DATABASE ${d}`);
  mongo = await connectMongo();
  db = mongo.db(mongoDatabase);
  kafka = testKafka('e2e-autoscaling');
  createTestNamespace(ns);
  createDatabaseSecrets(ns, { username: process.env.PGUSER!, password: process.env.PGPASSWORD! });
  nodeKubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(scalingPipeline(tag)));
  await waitFor(
    'the pipeline Ready',
    () => nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']) === 'True',
    180000,
    1000,
  );
  const insights = await connectPg(databases.insights);
  await insights.query(`INSERT INTO clients (client_id, auth_token, geography) VALUES ($1, $2, 'other')`, [client.id, client.token]);
  await insights.end();
  const ip = nodeKubectl(['get', 'service', `${name}-producer`, '-n', ns, '-o', 'jsonpath={.spec.clusterIP}']);
  sync = new SyncClient({ baseUrl: `http://${ip}:8000`, clientId: client.id, authToken: client.token });
  // From here on every write to the pipeline's Deployments is the autoscalers' business.
  await waitFor(
    'every Deployment at one ready replica',
    () => ['producer', 'consumer-sms'].every((c) => deployment(c).status.readyReplicas === 1),
    120000,
    1000,
  );
  auditFrom = auditMark();
}, 420000);

afterAll(async () => {
  removeTestNamespace(ns);
  for (const d of Object.values(databases)) await pgAdmin?.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => undefined);
  await pgAdmin?.end();
  await db?.dropDatabase().catch(() => undefined);
  await mongo?.close();
}, 300000);

test('the operator sees KEDA as installed: HPA for the producer, KEDA ScaledObjects for the consumers, which KEDA takes on', async () => {
  expect(nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'jsonpath={.status.autoscalingEngine}'])).toBe('keda');
  expect(nodeKubectl(['get', 'hpa', `${name}-producer`, '-n', ns, '-o', 'jsonpath={.spec.maxReplicas}'])).toBe(String(MAX.producer));
  // KEDA answers for each ScaledObject with an HPA of its own over the external metrics API
  await waitFor(
    'the SMS ScaledObject Ready, with the HPA KEDA manages',
    () =>
      nodeKubectl(['get', 'scaledobject', `${name}-consumer-sms`, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']) === 'True' &&
      nodeKubectl(['get', 'hpa', `keda-hpa-${name}-consumer-sms`, '-n', ns, '-o', 'jsonpath={.spec.maxReplicas}']) === String(MAX.sms),
    60000,
    1000,
  );
  expect(nodeKubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes'])).toContain('"usage"');
}, 120000);

test('sustained producer load: the HPA adds producer replicas on CPU, and removes them after the load', async () => {
  const started = Date.now();
  let sent = 0;
  let accepted = 0;
  let stop = false;
  const MAX_REQUESTS = 60000;
  const LOAD_LIMIT_MS = 180000;
  // 16 senders of 20-record SMS batches to the producer's Service on the bridge, until the HPA
  // has added a replica and the load has run a little longer, bounded in time and count.
  const sender = async (k: number) => {
    while (!stop && sent < MAX_REQUESTS && Date.now() - started < LOAD_LIMIT_MS) {
      const id = `load-${k}-${sent++}`;
      try {
        if ((await sync.send('sms', upiSms(id, 20))).status === 202) accepted++;
      } catch {
        await sleep(100); // a pod that is starting or stopping: try the next batch
      }
    }
  };
  const load = Promise.all(Array.from({ length: 16 }, (_, k) => sender(k)));
  let scaledOutAt: number | undefined;
  try {
    await waitFor('the HPA adding producer replicas', () => replicas('producer') > 1, LOAD_LIMIT_MS - 10000, 1000);
    scaledOutAt = Date.now();
    note(`producer scaled out after ${elapsed(started)} of load (${sent} requests so far)`);
    await waitFor('the added producer replicas ready', () => (deployment('producer').status.readyReplicas ?? 0) > 1, 90000, 1000);
  } finally {
    stop = true;
    await load;
  }
  const peak = replicas('producer');
  const loadEnded = Date.now();
  note(`load: ${sent} requests, ${accepted} accepted in ${elapsed(started)}; producer replicas at the end of the load: ${peak}`);
  expect(accepted).toBeGreaterThan(0);
  await waitForReplicas('the producer back at its minimum of one replica', 'producer', `${name}-producer`, 1);
  note(`producer scaled in ${elapsed(loadEnded)} after the load ended (stabilisation window ${STABILISATION_SECONDS} s)`);
  expect(scaledOutAt).toBeDefined();
  expect(peak).toBeGreaterThan(1);
  expect(peak).toBeLessThanOrEqual(MAX.producer);
  const hpaWrites = deploymentWrites().filter((e) => e.user.username === HPA_CONTROLLER_USER && e.objectRef?.name === `${name}-producer`);
  expect(hpaWrites.filter((e) => e.objectRef?.subresource === 'scale').length).toBeGreaterThanOrEqual(2);
}, 600000);

test('a backlog on the SMS topic: KEDA scales the SMS consumer out on lag, the backlog drains, and it scales back in', async () => {
  await waitForReplicas('the SMS consumer at one replica before the backlog', 'consumer-sms', `keda-hpa-${name}-consumer-sms`, 1);
  const admin = await connectKafkaAdmin(kafka);
  const [sms] = (await admin.fetchTopicMetadata({ topics: [smsTopic] })).topics;
  await admin.disconnect();
  // partitions are never fewer than the consumers that may read them
  expect(sms!.partitions.length).toBeGreaterThanOrEqual(MAX.sms);

  // The backlog: SMS batches written as the Producer API writes them, faster than one
  // consumer stores them.
  const MESSAGES = 15000;
  const RECORDS = 5;
  const prefix = `backlog${Date.now().toString(36)}`;
  const started = Date.now();
  await writeSmsBacklog(kafka, smsTopic, client.id, prefix, MESSAGES, RECORDS);
  note(`backlog of ${MESSAGES} messages (${MESSAGES * RECORDS} SMS records) written in ${elapsed(started)}; group ${CONSUMER_GROUPS.sms}`);

  let peak = 1;
  const stored = () => db.collection(COLLECTIONS.sms).countDocuments({ request_id: { $regex: `^${prefix}-` } });
  await waitFor(
    'KEDA adding SMS consumer replicas',
    () => {
      peak = Math.max(peak, replicas('consumer-sms'));
      return peak > 1;
    },
    180000,
    1000,
  );
  const scaledOutAfter = elapsed(started);
  await waitFor(
    'the backlog drained into MongoDB',
    async () => {
      peak = Math.max(peak, replicas('consumer-sms'));
      return (await stored()) === MESSAGES * RECORDS;
    },
    400000,
    2000,
  );
  const drained = Date.now();
  note(`SMS consumer scaled out after ${scaledOutAfter}, to ${peak} replicas; backlog drained after ${elapsed(started)}`);
  await waitForReplicas('the SMS consumer back at one replica', 'consumer-sms', `keda-hpa-${name}-consumer-sms`, 1);
  note(`SMS consumer scaled in ${elapsed(drained)} after the backlog drained`);
  expect(peak).toBeGreaterThan(1);
  // KEDA never asks for more consumers than the topic has partitions
  expect(peak).toBeLessThanOrEqual(Math.min(MAX.sms, sms!.partitions.length));
  const hpaWrites = deploymentWrites().filter((e) => e.user.username === HPA_CONTROLLER_USER && e.objectRef?.name === `${name}-consumer-sms`);
  expect(hpaWrites.filter((e) => e.objectRef?.subresource === 'scale').length).toBeGreaterThanOrEqual(2);
}, 900000);

test('while the autoscalers acted, the operator wrote none of the Deployments (the API server audit log)', () => {
  const writes = deploymentWrites();
  const byUser = writes.reduce<Record<string, number>>((m, e) => ({ ...m, [e.user.username]: (m[e.user.username] ?? 0) + 1 }), {});
  note(`writes to the pipeline's Deployments during the scaling tests, by user: ${JSON.stringify(byUser)}`);
  // the log does record writes to these Deployments, the autoscalers' during the tests and the
  // operator's when it created them...
  expect(writes.length).toBeGreaterThan(0);
  expect(deploymentWrites(0).filter((e) => e.user.username === OPERATOR_USER).length).toBeGreaterThanOrEqual(4);
  // ...and none of them is the operator's
  expect(writes.filter((e) => e.user.username === OPERATOR_USER)).toEqual([]);
});
