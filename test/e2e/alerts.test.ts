// The shipped alert rules and dashboard against a real Prometheus that scrapes the real pods on
// the node (test/infra/prometheus.sh: Kubernetes service discovery through the node's API
// server). The rules are the shipped expressions with short `for:` durations, so an alert
// fires within a minute rather than ten; the operator reads lag every 5 s. Under load, the SMS
// consumer is stopped through the pipeline (minReplicas 0, autoscaling none) and the lag alert
// fires, then clears when it is back; Kafka refused to the pods makes the Producer API answer
// 503 and the Kafka alert fire. Every dashboard query is evaluated while traffic flows.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import type { MongoClient } from 'mongodb';
import { SyncClient } from '../../workloads/client/sync-client.js';
import { packageRoot } from '../../operator/util/repo-root.js';
import { connectMongo, connectPg, uniqueName } from '../support/services.js';
import { sleep, waitFor } from '../support/wait.js';
import { dashboardQueries, instantQuery, rulesWithFor } from '../support/prometheus.js';
import {
  createDatabaseSecrets,
  imageTag,
  installOperator,
  nodeGetJson,
  nodeKubectl,
  nodePipeline,
  podReady,
  createTestNamespace,
  removeTestNamespace,
  type PodList,
  smsBatch,
  waiterWithState,
} from './support.js';

const ns = uniqueName('e2e-alerts');
const name = 'alerts';
const instance = `app.kubernetes.io/instance=${name}`;
const role = uniqueName('e2e_alerts_role').replace(/-/g, '_');
const databases = { insights: uniqueName('e2e_al_ins').replace(/-/g, '_'), sync: uniqueName('e2e_al_sync').replace(/-/g, '_') };
const mongoDatabase = uniqueName('e2e_al').replace(/-/g, '_');
const client = { id: 'alerts-e2e', token: randomUUID() };
const prometheus = () => {
  const url = process.env.PROMETHEUS_URL;
  if (!url) throw new Error('PROMETHEUS_URL is not set: start it with `bash test/infra/infra.sh up node prometheus`');
  return url;
};
const rulesDir = mkdtempSync(join(tmpdir(), 'mf-e2e-rules-'));
let pgAdmin: pg.Client;
let mongo: MongoClient;

interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}
async function firing(alertname: string): Promise<Alert[]> {
  const res = (await (await fetch(`${prometheus()}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } };
  return res.data.alerts.filter(
    (a) => a.labels.alertname === alertname && a.state === 'firing' && (a.labels.pipeline === name || a.labels.pipeline === undefined),
  );
}

/** (Re)loads test/infra's Prometheus with these rule files (PROMETHEUS_RULE_FILES), or the shipped ones. */
function loadRules(files?: string): void {
  execFileSync('bash', [join(packageRoot(), 'test', 'infra', 'infra.sh'), 'up', 'prometheus'], {
    env: { ...process.env, ...(files ? { PROMETHEUS_RULE_FILES: files } : {}) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

type Pod = PodList['items'][number] & { status: { podIP?: string } };
const pods = (selector: string): Pod[] =>
  nodeGetJson<{ items: Pod[] }>(['get', 'pods', '-n', ns, '-l', selector]).items.filter((p) => !p.metadata.deletionTimestamp);
const pipelineReady = (): boolean =>
  nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']) === 'True';
const describeState = (): string =>
  `${nodeKubectl(['get', 'pods,deployments', '-n', ns, '-o', 'wide'])}\n${nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'yaml'])}`;
const waitWithState = waiterWithState(describeState);

/** Sync traffic from a few concurrent "devices" (a few requests a second each) until stopped; counts answers by status. */
class Load {
  readonly statuses = new Map<number | string, number>();
  private stopped = false;
  private running: Promise<void> | undefined;
  constructor(
    private readonly client: () => SyncClient,
    private readonly devices = 3,
    private readonly prefix = 'l',
  ) {}
  start(): void {
    let n = 0;
    this.running = (async () => {
      await Promise.all(
        Array.from({ length: this.devices }, async (_, k) => {
          while (!this.stopped) {
            const id = `${this.prefix}-${k}-${n++}`;
            const status = await this.client()
              .send('sms', smsBatch(id, 10))
              .then((r) => r.status)
              .catch(() => 'error');
            this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
            await sleep(400);
          }
        }),
      );
    })();
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}

let producer: SyncClient;
let load: Load;

beforeAll(async () => {
  const tag = imageTag();
  installOperator(tag, ['--set', 'operator.flowIntervalSeconds=5']);
  writeFileSync(join(rulesDir, 'rules.yaml'), rulesWithFor('15s'));
  loadRules(join(rulesDir, 'rules.yaml'));
  pgAdmin = await connectPg();
  await pgAdmin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw-${role}'`);
  for (const d of Object.values(databases)) await pgAdmin.query(`CREATE DATABASE ${d} OWNER ${role}`);
  mongo = await connectMongo();
  createTestNamespace(ns);
  createDatabaseSecrets(ns, { username: role, password: `pw-${role}` });
  const p = nodePipeline({ name, namespace: ns, tag, databases, mongoDatabase, postgresSecret: 'pg', mongoSecret: 'mongo' });
  // fixed replicas, so that minReplicas alone stops a consumer
  p.spec.autoscaling = { engine: 'none' };
  nodeKubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(p));
  await waitWithState('the pipeline Ready', () => pipelineReady(), 180000);
  const insights = await connectPg(databases.insights);
  await insights.query(`INSERT INTO clients (client_id, auth_token, geography) VALUES ($1, $2, 'other')`, [client.id, client.token]);
  await insights.end();
  // straight to the producer pod: when Kafka is away it is not Ready, so its Service has no endpoint
  const producerIp = () => pods(`${instance},app.kubernetes.io/component=producer`).find(podReady)?.status.podIP ?? '';
  const ip = await waitWithState('a ready producer pod', () => producerIp() || undefined, 60000);
  producer = new SyncClient({ baseUrl: `http://${ip}:8000`, clientId: client.id, authToken: client.token, retries: 0, timeoutMs: 15000 });
  load = new Load(() => producer);
  load.start();
}, 360000);

afterAll(async () => {
  await load?.stop();
  rmSync(rulesDir, { recursive: true, force: true });
  try {
    loadRules();
  } catch {
    // best effort: the node may be down already
  }
  removeTestNamespace(ns);
  for (const d of Object.values(databases)) await pgAdmin?.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => undefined);
  await pgAdmin?.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await pgAdmin?.end();
  await mongo
    ?.db(mongoDatabase)
    .dropDatabase()
    .catch(() => undefined);
  await mongo?.close();
}, 300000);

test('Prometheus finds the pods through the node API server and scrapes them: operator, producer, three consumers', async () => {
  const up = await waitWithState(
    'every pod scraped',
    async () => {
      const r = await instantQuery(prometheus(), `up{pipeline="${name}"} == 1 or up{container="operator"} == 1`);
      const components = [...new Set((r.data?.result ?? []).map((s) => s.metric.component ?? s.metric.container ?? ''))].sort();
      return components.length >= 5 ? components : undefined;
    },
    90000,
  );
  expect(up).toEqual(['consumer-common', 'consumer-events', 'consumer-sms', 'operator', 'producer']);
}, 120000);

test('every dashboard query evaluates; the core panels have data while traffic flows', async () => {
  await waitWithState('records flowing', () => (load.statuses.get(202) ?? 0) > 50, 120000);
  // two scrapes of everything, so that rates exist
  await sleep(15000);
  // Panels that must show data whenever records flow; the others (4xx, 5xx, dead letters,
  // dropped rows, retries) are empty until such a thing happens.
  const core = new Set([
    'Ingest rate by source',
    'Requests by status/202',
    'Request latency',
    'Consumer lag per group',
    'Lag seen by the consumers',
    'Sink writes',
    'Sink write latency',
    'Pods vs autoscaler bounds',
    'Pipelines and reconciles',
  ]);
  const isCore = (q: { panel: string; legend: string }) => core.has(q.panel) || core.has(`${q.panel}/${q.legend}`);
  let broken: string[] = [];
  let empty: { panel: string; legend: string }[] = [];
  const evaluate = async () => {
    broken = [];
    empty = [];
    for (const q of dashboardQueries('1m')) {
      const r = await instantQuery(prometheus(), q.expr);
      if (r.status !== 'success') broken.push(`${q.panel} / ${q.legend}: ${r.error}`);
      else if ((r.data?.result.length ?? 0) === 0) empty.push(q);
    }
    return broken.length === 0 && !empty.some(isCore);
  };
  await waitFor('the core panels with data', evaluate, 90000, 5000).catch(() => undefined);
  expect(broken).toEqual([]);
  expect(empty.filter(isCore).map((q) => `${q.panel} / ${q.legend}`)).toEqual([]);
  process.stdout.write(
    `dashboard queries: ${dashboardQueries().length}, all evaluated; without data here (nothing of the kind happened): ${empty.map((q) => `${q.panel} / ${q.legend}`).join(', ') || 'none'}\n`,
  );
}, 240000);

test('the SMS consumer stopped under load: MobileForgeConsumerLagGrowing fires, and clears once it is back', async () => {
  expect(await firing('MobileForgeConsumerLagGrowing')).toEqual([]);
  const patch = (min: number | null) =>
    nodeKubectl(['patch', 'syncpipeline', name, '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { consumers: { sms: { minReplicas: min } } } })]);
  patch(0);
  await waitWithState('no SMS consumer pod', () => pods(`${instance},app.kubernetes.io/component=consumer-sms`).length === 0, 90000);
  const stoppedAt = Date.now();
  const fired = await waitWithState(
    'the lag alert firing',
    async () => (await firing('MobileForgeConsumerLagGrowing')).find((a) => a.labels.consumer === 'sms'),
    240000,
  );
  process.stdout.write(`lag alert firing ${((Date.now() - stoppedAt) / 1000).toFixed(0)} s after the SMS consumer stopped\n`);
  expect(fired.labels).toMatchObject({ pipeline_namespace: ns, pipeline: name, consumer: 'sms', severity: 'warning' });
  expect(nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'jsonpath={.status.flow.lag}'])).toMatch(/^[1-9]\d{2,}$/);

  patch(null);
  const restoredAt = Date.now();
  await waitWithState('an SMS consumer ready again', () => pods(`${instance},app.kubernetes.io/component=consumer-sms`).some(podReady), 120000);
  await waitWithState('the lag alert cleared', async () => (await firing('MobileForgeConsumerLagGrowing')).length === 0, 240000);
  process.stdout.write(`lag alert cleared ${((Date.now() - restoredAt) / 1000).toFixed(0)} s after the SMS consumer was restored\n`);
}, 600000);

test('Kafka refused to the pods: the Producer API answers 503 and MobileForgeProducerKafkaUnavailable fires', async () => {
  expect(await firing('MobileForgeProducerKafkaUnavailable')).toEqual([]);
  const nodeIp = process.env.NODE_IP!;
  const kafkaPort = process.env.NODE_KAFKA_BROKERS!.split(',')[0]!.split(':')[1]!;
  const rule = [
    'INPUT',
    '-s',
    `${nodeIp.replace(/\.\d+$/, '.0')}/24`,
    '-d',
    nodeIp,
    '-p',
    'tcp',
    '--dport',
    kafkaPort,
    '-j',
    'REJECT',
    '--reject-with',
    'tcp-reset',
  ];
  const before = load.statuses.get(503) ?? 0;
  execFileSync('iptables', ['-w', '-I', ...rule]);
  // Devices retry while the sync fails: more of them during the outage, so the 503s reach
  // the 5xx alert's 5 % of the last 5 minutes' requests sooner.
  const retrying = new Load(() => producer, 9, 'r');
  retrying.start();
  try {
    const cutAt = Date.now();
    await waitWithState('503 answers', () => (load.statuses.get(503) ?? 0) > before + 3, 120000);
    const fired = await waitWithState('the Kafka alert firing', async () => (await firing('MobileForgeProducerKafkaUnavailable'))[0], 240000);
    process.stdout.write(`Kafka alert firing ${((Date.now() - cutAt) / 1000).toFixed(0)} s after Kafka was refused to the pods\n`);
    expect(fired.labels).toMatchObject({ namespace: ns, pipeline: name, severity: 'critical' });
    // The 5xx ratio alert sees the same requests, once 503s are 5 % of the last 5 minutes'
    // (the Kafka alert, at 1 %, comes first).
    await waitWithState('the 5xx alert firing', async () => (await firing('MobileForgeProducerErrors')).length > 0, 300000);
    process.stdout.write(`5xx alert firing ${((Date.now() - cutAt) / 1000).toFixed(0)} s after Kafka was refused to the pods\n`);
  } finally {
    execFileSync('iptables', ['-w', '-D', ...rule]);
    await retrying.stop();
  }
}, 600000);
