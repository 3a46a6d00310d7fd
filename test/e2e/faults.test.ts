// Faults a production cluster lives with, under steady signed load through the producer's
// Service, every record counted by id at the end (none lost, none stored twice). The cluster is
// production's shape: two nodes (the `node2` test service joins the node's cluster) and three
// Kafka brokers (the `kafka3` test service), both started for this suite and stopped after it;
// the pipeline is a production one (two producers spread across the nodes, disruption budgets,
// topics at replication factor 3 with min.insync.replicas 2). A broker is stopped and started
// again, a node is drained, a node is lost, each while the load runs.
//
// One change to the production pipeline, through the spec's overrides: its pods tolerate an
// unreachable or not-ready node for 10 s instead of Kubernetes' default 300 s, so that a lost
// node's pods are replaced within the test's patience, not five minutes later. The producers'
// spread across the nodes is the rendered one (a rule across nodes for a production Producer API).
// Where pods must be for a case (a producer and consumers on the node to drain or lose), they
// are moved there by cordoning the other node and deleting them, as an operator of the cluster
// would.
//
// The load: a few senders, each sending SMS batches with ids of its own through the producer's
// Service on a new connection each time, one attempt at a time; an answer other than 202 (or no answer) is counted and the
// same batch sent again, as the SDK does (same request id, same record ids: the sinks' keys make
// a second delivery a no-op).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { Agent } from 'node:http';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import type pg from 'pg';
import { SyncClient } from '../../workloads/client/sync-client.js';
import { COLLECTIONS } from '../../core/sync-schema.js';
import { kafkaTopicName, TOPICS } from '../../core/domain.js';
import { errorMessage } from '../../core/errors.js';
import { packageRoot } from '../../operator/util/repo-root.js';
import { connectMongo, connectPg, testKafka, uniqueName } from '../support/services.js';
import { sleep } from '../support/wait.js';
import {
  auditMark,
  auditSince,
  createDatabaseSecrets,
  createTestNamespace,
  imageTag,
  installOperator,
  nodeGetJson,
  nodeKubectl,
  nodePipeline,
  removeTestNamespace,
  smsBatch,
  waiterWithState,
} from './support.js';
import type { SyncPipeline } from '../../operator/api/v1alpha1.js';

const root = packageRoot();
const infra = join(root, 'test', 'infra', 'infra.sh');
const ns = uniqueName('e2e-faults');
const name = 'acme';
const prefix = `${ns}.`;
const databases = { insights: uniqueName('e2e_faults_insights').replace(/-/g, '_'), sync: uniqueName('e2e_faults_sync').replace(/-/g, '_') };
const mongoDatabase = uniqueName('e2e_faults').replace(/-/g, '_');
const client = { id: 'acme-faults', token: randomUUID() };
const RECORDS_PER_BATCH = 10;
const SMALL = { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '500m', memory: '384Mi' } };

function need(v: string): string {
  const value = process.env[v];
  if (!value) throw new Error(`${v} is not set: the fault suite starts the three-broker Kafka with \`bash test/infra/infra.sh up kafka3\``);
  return value;
}

let pgAdmin: pg.Client;
let mongo: MongoClient;
let db: Db;
let admin: Admin;
let sync: SyncClient;
/** The load of a case that failed midway: stopped in afterAll, so that Jest can exit. */
let activeLoad: { stop: () => Promise<LoadFigures> } | undefined;

const note = (m: string): void => {
  process.stdout.write(`[faults] ${m}\n`);
};
const describeState = (): string =>
  `${nodeKubectl(['get', 'pods,deployments', '-n', ns, '-o', 'wide'])}\n${nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'yaml'])}`;
const waitWithState = waiterWithState(describeState, 1000);
const topics = (): string[] => TOPICS.map((t) => kafkaTopicName({ topicPrefix: prefix }, t));

/** A node gone quiet is given up on after 10 s (Kubernetes' default: 300 s). */
const TOLERATIONS = ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'].map((key) => ({
  key,
  operator: 'Exists' as const,
  effect: 'NoExecute' as const,
  tolerationSeconds: 10,
}));
/** A production pipeline on the three brokers, small pods: two producers behind the Service. */
function faultsPipeline(tag: string): SyncPipeline {
  const p = nodePipeline({ name, namespace: ns, tag, databases, mongoDatabase, postgresSecret: 'pg', mongoSecret: 'mongo', topicPrefix: prefix });
  p.spec.environment = 'production';
  p.spec.kafka = { ...p.spec.kafka, bootstrapServers: need('NODE_KAFKA3_BROKERS').split(','), replicationFactor: 3 };
  const one = { resources: SMALL, minReplicas: 1, maxReplicas: 1, tolerations: TOLERATIONS };
  p.spec.producer = { ...one, minReplicas: 2, maxReplicas: 2 };
  p.spec.consumers = { sms: one, events: one, common: one };
  return p;
}

// ------------------------------------------------------------------ the nodes
interface Pod {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { phase?: string; conditions?: { type: string; status: string }[] };
}
const COMPONENT = 'app.kubernetes.io/component';
/** The pipeline's running pods (its Jobs' aside), by component and node. */
const pipelinePods = (): Pod[] =>
  nodeGetJson<{ items: Pod[] }>(['get', 'pods', '-n', ns, '-l', `app.kubernetes.io/instance=${name}`]).items.filter(
    (p) => !p.metadata.deletionTimestamp && !p.metadata.labels?.['job-name'],
  );
const ready = (p: Pod): boolean => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const onNode = (node: string): Pod[] => pipelinePods().filter((p) => p.spec.nodeName === node);
const placement = (): string =>
  pipelinePods()
    .map((p) => `${p.metadata.labels?.[COMPONENT] ?? '?'}@${p.spec.nodeName ?? '-'}${ready(p) ? '' : '(not ready)'}`)
    .sort()
    .join(' ');
interface DeploymentStatus {
  metadata: { name: string };
  spec: { replicas?: number };
  status: { readyReplicas?: number; updatedReplicas?: number; replicas?: number };
}
/** Every Deployment of the pipeline with all its replicas ready and no extra pod. */
const allAvailable = (): boolean =>
  nodeGetJson<{ items: DeploymentStatus[] }>(['get', 'deployments', '-n', ns, '-l', `app.kubernetes.io/instance=${name}`]).items.every(
    (d) => (d.status.readyReplicas ?? 0) === (d.spec.replicas ?? 1) && (d.status.replicas ?? 0) === (d.spec.replicas ?? 1),
  ) && pipelinePods().every(ready);
const producersReady = (): number => pipelinePods().filter((p) => p.metadata.labels?.[COMPONENT] === 'producer' && ready(p)).length;
/**
 * Puts the pipeline's pods of `components` that run on the first node onto the second: the first
 * node cordoned while they are deleted and replaced, then uncordoned.
 */
async function moveToSecondNode(components: string[], count = Infinity): Promise<void> {
  const first = need('NODE_NAME');
  const pods = onNode(first)
    .filter((p) => components.includes(p.metadata.labels?.[COMPONENT] ?? ''))
    .slice(0, count);
  if (!pods.length) return;
  nodeKubectl(['cordon', first]);
  try {
    nodeKubectl(['delete', 'pod', '-n', ns, '--wait=false', ...pods.map((p) => p.metadata.name)]);
    await waitWithState('the moved pods running on the second node', () => allAvailable() && producersReady() === 2, 180000);
  } finally {
    nodeKubectl(['uncordon', first]);
  }
}
const nodeReady = (node: string): boolean => nodeKubectl(['get', 'node', node, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']) === 'True';
/**
 * Evictions of this suite's pods since `from` (a byte offset of the node's audit log), by the
 * API server's answer: 201 evicted, 429 refused by a disruption budget.
 */
function evictions(from: number): Record<string, number> {
  return auditSince(
    from,
    (e) => e.verb === 'create' && e.objectRef?.resource === 'pods' && e.objectRef.subresource === 'eviction' && e.objectRef.namespace === ns,
  ).reduce<Record<string, number>>((m, e) => ({ ...m, [String(e.responseStatus?.code)]: (m[String(e.responseStatus?.code)] ?? 0) + 1 }), {});
}

/** Stores what the load was given: every accepted record by id, nothing twice. */
async function expectEveryRecordOnce(figures: LoadFigures): Promise<{ stored: number; expected: number }> {
  const expected = figures.accepted.length * RECORDS_PER_BATCH;
  await waitWithState('every accepted record stored', async () => (await storedRecords(figures.accepted)) >= expected, 180000);
  const stored = await storedRecords(figures.accepted);
  const distinct = (await db.collection(COLLECTIONS.sms).distinct('id', { request_id: { $in: figures.accepted } })).length;
  expect({ stored, distinct }).toEqual({ stored: expected, distinct: expected });
  return { stored, expected };
}

// ------------------------------------------------------------------ the load
interface LoadFigures {
  accepted: string[];
  non202: Record<string, number>;
  attempts: number;
  slowestMs: number;
}
/**
 * Steady signed load until stopped: `senders` loops, each sending a batch about every
 * `intervalMs`, each batch retried until it is accepted. What they saw is in the figures.
 */
function startLoad(tag: string, senders: number, intervalMs: number): { stop: () => Promise<LoadFigures>; figures: LoadFigures } {
  const figures: LoadFigures = { accepted: [], non202: {}, attempts: 0, slowestMs: 0 };
  let running = true;
  const loop = async (sender: number): Promise<void> => {
    for (let n = 0; running; n++) {
      const id = `${tag}-${sender}-${n}`;
      const started = Date.now();
      for (;;) {
        figures.attempts++;
        let outcome: string;
        try {
          const res = await sync.send('sms', smsBatch(id, RECORDS_PER_BATCH));
          if (res.status === 202) break;
          outcome = `HTTP ${res.status}${res.body.error ? ` ${res.body.error.code}` : ''}`;
        } catch (err) {
          outcome = errorMessage(err).slice(0, 60);
        }
        figures.non202[outcome] = (figures.non202[outcome] ?? 0) + 1;
        if (!running) return; // stopped: a batch never accepted is not counted as sent
        await sleep(250);
      }
      figures.accepted.push(id);
      figures.slowestMs = Math.max(figures.slowestMs, Date.now() - started);
      await sleep(Math.max(0, intervalMs - (Date.now() - started)));
    }
  };
  const loops = Array.from({ length: senders }, (_, i) => loop(i));
  const load = {
    figures,
    stop: async () => {
      running = false;
      activeLoad = undefined;
      await Promise.all(loops);
      return figures;
    },
  };
  activeLoad = load;
  return load;
}
const nonAccepted = (f: LoadFigures): number => Object.values(f.non202).reduce((a, b) => a + b, 0);
const storedRecords = (ids: string[]): Promise<number> => db.collection(COLLECTIONS.sms).countDocuments({ request_id: { $in: ids } });

// ------------------------------------------------------------------ Kafka
interface PartitionState {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}
async function partitions(): Promise<PartitionState[]> {
  const meta = await admin.fetchTopicMetadata({ topics: topics() });
  return meta.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr })));
}
const kafka3 = (action: 'stop' | 'start', broker: number): void => {
  execFileSync('bash', [infra, 'kafka3', action, String(broker)], { stdio: ['ignore', 'ignore', 'inherit'] });
};

beforeAll(async () => {
  execFileSync('bash', [infra, 'up', '--skip-external', 'kafka3', 'node2'], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (const line of execFileSync('bash', [infra, 'env'], { encoding: 'utf8' }).split('\n')) {
    const m = /^((?:NODE_)?KAFKA3_BROKERS|NODE2_NAME)=(.*)$/.exec(line);
    if (m) process.env[m[1]!] = m[2]!;
  }
  const tag = imageTag();
  installOperator(tag);
  pgAdmin = await connectPg();
  for (const d of Object.values(databases)) await pgAdmin.query(`CREATE DATABASE ${d}`);
  mongo = await connectMongo();
  db = mongo.db(mongoDatabase);
  admin = testKafka('e2e-faults', need('KAFKA3_BROKERS').split(',')).admin();
  await admin.connect();
  createTestNamespace(ns);
  createDatabaseSecrets(ns, { username: need('PGUSER'), password: need('PGPASSWORD') });
  nodeKubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(faultsPipeline(tag)));
  await waitWithState(
    'the pipeline Ready',
    () => nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']) === 'True',
    240000,
  );
  // Ready promises the production floor: two producers, not the one a new Deployment starts with.
  expect(producersReady()).toBe(2);
  await waitWithState('every Deployment whole', () => producersReady() === 2 && allAvailable(), 180000);
  const insights = await connectPg(databases.insights);
  await insights.query(`INSERT INTO clients (client_id, auth_token, geography) VALUES ($1, $2, 'other')`, [client.id, client.token]);
  await insights.end();
  const ip = nodeKubectl(['get', 'service', `${name}-producer`, '-n', ns, '-o', 'jsonpath={.spec.clusterIP}']);
  // A connection per request, as a fleet of phones makes them: the Service spreads them over
  // both producers (a kept-alive connection would stay with one pod and never meet the fault).
  sync = new SyncClient({
    baseUrl: `http://${ip}:8000`,
    clientId: client.id,
    authToken: client.token,
    timeoutMs: 15000,
    agent: new Agent({ keepAlive: false }),
  });
}, 420000);

afterAll(async () => {
  // a sender waiting on a batch nobody accepts gives up with the client's time-out
  if (activeLoad) await Promise.race([activeLoad.stop(), sleep(30000)]);
  sync?.close();
  // every broker and node back before the pipeline's finalizer deletes its topics
  try {
    nodeKubectl(['uncordon', need('NODE2_NAME')]);
  } catch {
    // gone: down below
  }
  for (const b of [1, 2, 3]) {
    try {
      kafka3('start', b);
    } catch {
      // reported by the test that stopped it
    }
  }
  removeTestNamespace(ns);
  await admin?.disconnect();
  for (const d of Object.values(databases)) await pgAdmin?.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => undefined);
  await pgAdmin?.end();
  await db?.dropDatabase().catch(() => undefined);
  await mongo?.close();
  // the three brokers cost about 1 GB: only this suite uses them
  if (process.env.MOBILEFORGE_NO_START !== '1') execFileSync('bash', [infra, 'down', 'kafka3', 'node2'], { stdio: ['ignore', 'ignore', 'inherit'] });
}, 300000);

test('three brokers: every topic at replication factor 3 with min.insync.replicas 2, as production renders them', async () => {
  const state = await partitions();
  expect(new Set(state.map((p) => p.topic))).toEqual(new Set(topics()));
  for (const p of state) {
    expect(p.replicas).toHaveLength(3);
    expect(p.isr).toHaveLength(3);
  }
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics().map((t) => ({ type: 2 /* TOPIC */, name: t, configNames: ['min.insync.replicas'] })),
  });
  for (const r of configs.resources) expect(r.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('2');
}, 60000);

test("two nodes: the producer's replicas spread across them by the topology spread constraint", async () => {
  const producers = pipelinePods().filter((p) => p.metadata.labels?.[COMPONENT] === 'producer');
  note(`placement: ${placement()}`);
  expect(producers).toHaveLength(2);
  expect(new Set(producers.map((p) => p.spec.nodeName))).toEqual(new Set([need('NODE_NAME'), need('NODE2_NAME')]));
  // Pods on one node reach pods on the other and the Service (the workload image's Node fetches them).
  const ip = nodeKubectl(['get', 'service', `${name}-producer`, '-n', ns, '-o', 'jsonpath={.spec.clusterIP}']);
  for (const [from, to] of [
    [producers[0]!, producers[1]!],
    [producers[1]!, producers[0]!],
  ] as const) {
    const podIp = nodeKubectl(['get', 'pod', to.metadata.name, '-n', ns, '-o', 'jsonpath={.status.podIP}']);
    const script = `Promise.all(['http://${podIp}:8000/health','http://${ip}:8000/health'].map((u) => fetch(u).then((r) => r.status))).then((s) => console.log(s.join(',')))`;
    expect(nodeKubectl(['exec', '-n', ns, from.metadata.name, '--', 'node', '-e', script]).trim()).toBe('200,200');
  }
}, 60000);

test('one broker stopped under load: the Producer API keeps answering 202, the consumers keep storing; the broker returns and catches up; nothing lost or doubled', async () => {
  const run = randomUUID().slice(0, 8);
  const smsTopic = kafkaTopicName({ topicPrefix: prefix }, 'sms_batched');
  // The broker leading the SMS topic's first partition: its leadership has to move.
  const victim = (await partitions()).find((p) => p.topic === smsTopic && p.partition === 0)!.leader;
  const load = startLoad(`faults-${run}`, 4, 250);
  await sleep(5000);
  const beforeStop = { ...load.figures, accepted: [...load.figures.accepted] };
  expect(nonAccepted(beforeStop)).toBe(0);

  const stoppedAt = Date.now();
  kafka3('stop', victim);
  note(`broker ${victim} stopped in ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s (controlled shutdown)`);
  // While it is down: the leadership moved, the consumers keep storing what is accepted.
  const down = await waitWithState(
    `the partitions led by the two others, broker ${victim} out of every ISR`,
    async () => {
      const s = await partitions();
      return s.every((p) => p.leader !== victim && !p.isr.includes(victim) && p.isr.length === 2) && s;
    },
    60000,
  );
  expect(down.length).toBeGreaterThan(0);
  const acceptedWhileDown = load.figures.accepted.length;
  await sleep(10000);
  const duringOutage = load.figures.accepted.slice(acceptedWhileDown);
  expect(duringOutage.length).toBeGreaterThan(0);
  await waitWithState(
    'records accepted while the broker was down, stored while it still is',
    async () => (await storedRecords(duringOutage)) === duringOutage.length * RECORDS_PER_BATCH,
    60000,
  );

  const startedAt = Date.now();
  kafka3('start', victim);
  await waitWithState(`broker ${victim} back in every ISR`, async () => (await partitions()).every((p) => p.isr.length === 3), 180000);
  const caughtUpS = (Date.now() - startedAt) / 1000;
  await sleep(5000);
  const figures = await load.stop();
  const outageS = (startedAt - stoppedAt) / 1000;

  const { stored, expected } = await expectEveryRecordOnce(figures);
  note(
    `one broker stopped for ${outageS.toFixed(0)} s under load: ${figures.accepted.length} batches accepted (${figures.attempts} attempts), ` +
      `non-202 answers ${nonAccepted(figures)} ${JSON.stringify(figures.non202)}, slowest batch ${figures.slowestMs} ms; ` +
      `back in every ISR ${caughtUpS.toFixed(1)} s after its start; ${stored} records stored once each of ${expected}`,
  );
  // With RF 3 and min.insync.replicas 2, one broker fewer is no outage for the Producer API.
  expect(figures.non202).toEqual({});
  // The consumers are still the pipeline's: the pipeline Ready again with its lag read.
  await waitWithState(
    'the pipeline Ready',
    () =>
      nodeGetJson<SyncPipeline>(['get', 'syncpipeline', name, '-n', ns]).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
    120000,
  );
}, 600000);

test('a node drained under load: evictions through the disruption budgets, the pods move to the other node, the producer keeps answering, nothing lost', async () => {
  const node2 = need('NODE2_NAME');
  const other = need('NODE_NAME');
  await waitWithState('every Deployment available', () => allAvailable(), 120000);
  if (!onNode(node2).some((p) => p.metadata.labels?.[COMPONENT]?.startsWith('consumer'))) await moveToSecondNode(['consumer-sms', 'consumer-events']);
  const before = onNode(node2);
  note(`before the drain: ${placement()}`);
  // the node to drain carries a producer and consumers
  expect(before.some((p) => p.metadata.labels?.[COMPONENT] === 'producer')).toBe(true);
  expect(before.some((p) => p.metadata.labels?.[COMPONENT]?.startsWith('consumer'))).toBe(true);
  const run = randomUUID().slice(0, 8);
  const load = startLoad(`drain-${run}`, 4, 250);
  await sleep(5000);
  const t0 = Date.now();
  const auditFrom = auditMark();
  // While the node drains, a producer is always ready somewhere.
  let fewestReadyProducers = Infinity;
  let draining = true;
  const watchProducers = (async () => {
    while (draining) {
      fewestReadyProducers = Math.min(fewestReadyProducers, pipelinePods().filter((p) => p.metadata.labels?.[COMPONENT] === 'producer' && ready(p)).length);
      await sleep(500);
    }
  })();
  // as a platform team drains a node for an upgrade; the eviction API honours the budgets
  nodeKubectl(['drain', node2, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=240s']);
  const drainedS = (Date.now() - t0) / 1000;
  await waitWithState('every Deployment available on the other node', () => allAvailable() && onNode(node2).length === 0, 240000);
  const recoveredS = (Date.now() - t0) / 1000;
  draining = false;
  await watchProducers;
  expect(pipelinePods().every((p) => p.spec.nodeName === other)).toBe(true);
  expect(fewestReadyProducers).toBeGreaterThanOrEqual(1);
  // every pod of the node left through the eviction API (so through the budgets)
  const evicted = evictions(auditFrom);
  expect(evicted['201'] ?? 0).toBeGreaterThanOrEqual(before.length);
  await sleep(5000);
  const figures = await load.stop();
  const { stored, expected } = await expectEveryRecordOnce(figures);
  note(
    `drain of ${node2} (${before.length} of the pipeline's pods): evictions by answer ${JSON.stringify(evicted)}, ` +
      `ready producers never fewer than ${fewestReadyProducers}; drained in ${drainedS.toFixed(0)} s, every Deployment available again ` +
      `${recoveredS.toFixed(0)} s after the drain began; ${figures.accepted.length} batches accepted (${figures.attempts} attempts), ` +
      `non-202 answers ${nonAccepted(figures)} ${JSON.stringify(figures.non202)}, slowest batch ${figures.slowestMs} ms; ` +
      `${stored} records stored once each of ${expected}; after: ${placement()}`,
  );
  nodeKubectl(['uncordon', node2]);
}, 600000);

test('a node lost under load (kubelet, containerd and its containers killed, no drain): its pods replaced on the other node after the taint-based eviction, nothing lost', async () => {
  const node2 = need('NODE2_NAME');
  // Pods back on the second node (after the drain all run on the first): a producer and the
  // SMS and events consumers.
  await moveToSecondNode(['producer'], 1);
  await moveToSecondNode(['consumer-sms', 'consumer-events']);
  expect(
    onNode(node2)
      .map((p) => p.metadata.labels?.[COMPONENT])
      .sort(),
  ).toEqual(['consumer-events', 'consumer-sms', 'producer']);
  const lost = onNode(node2);
  note(`before the loss: ${placement()}`);
  const run = randomUUID().slice(0, 8);
  const load = startLoad(`lost-${run}`, 4, 250);
  await sleep(5000);
  const t0 = Date.now();
  execFileSync('bash', [infra, 'node2', 'lose'], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitWithState(`${node2} NotReady`, () => !nodeReady(node2), 180000);
  const notReadyS = (Date.now() - t0) / 1000;
  await waitWithState('every Deployment available again, its pods on the other node', () => allAvailable() && onNode(node2).length === 0, 300000);
  const recoveredS = (Date.now() - t0) / 1000;
  await sleep(5000);
  const figures = await load.stop();
  const { stored, expected } = await expectEveryRecordOnce(figures);
  note(
    `${node2} lost with ${lost.length} of the pipeline's pods: NotReady after ${notReadyS.toFixed(0)} s, every Deployment available on the other ` +
      `node ${recoveredS.toFixed(0)} s after the loss; ${figures.accepted.length} batches accepted (${figures.attempts} attempts), ` +
      `non-202 answers ${nonAccepted(figures)} ${JSON.stringify(figures.non202)}, slowest batch ${figures.slowestMs} ms; ` +
      `${stored} records stored once each of ${expected}`,
  );
  // back, as after a reboot: the node Ready again, its old pods cleaned up
  execFileSync('bash', [infra, 'node2', 'restore'], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitWithState(`${node2} Ready again`, () => nodeReady(node2), 180000);
}, 900000);
