// The production sample's shape on a real node: what a platform team copies from
// config/samples/production.yaml, with only the addresses, pod sizes and the replica ceiling
// adapted to one 2-vCPU node. Kafka over TLS with SCRAM-SHA-512 (credentials and CA from
// Secrets), PostgreSQL with sslMode verify-full and a private CA, the MongoDB-wire server through
// a connection-string Secret over TLS with that CA, environment production in region india
// (two producer replicas at least, spread and disruption budgets), KEDA on Kafka lag through the
// rendered TriggerAuthentication, maintenance scheduled in Asia/Kolkata. The test services'
// private CA signs every server certificate (test/infra).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import type { Db, MongoClient } from 'mongodb';
import type { SyncPipeline } from '../../operator/api/v1alpha1.js';
import { SyncClient, type SyncBatch } from '../../workloads/client/sync-client.js';
import { COLLECTIONS } from '../../core/sync-schema.js';
import { connectMongo, connectPg, testKafka, uniqueName } from '../support/services.js';
import {
  WORKLOAD_IMAGE,
  createTestNamespace,
  imageTag,
  installOperator,
  nodeGetJson,
  nodeKubectl,
  podReady,
  removeTestNamespace,
  smsBatch,
  writeSmsBacklog,
  type PodList,
  waiterWithState,
} from './support.js';

const ns = uniqueName('e2e-prod');
const name = 'acme';
const instance = `app.kubernetes.io/instance=${name}`;
const prefix = `${ns}.`;
const role = uniqueName('e2e_prod_role').replace(/-/g, '_');
const databases = { insights: uniqueName('e2e_prod_insights').replace(/-/g, '_'), sync: uniqueName('e2e_prod_sync').replace(/-/g, '_') };
const mongoDatabase = uniqueName('e2e_prod').replace(/-/g, '_');
const client = { id: 'acme-prod', token: randomUUID() };
const SMALL = { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '500m', memory: '384Mi' } };
const MAX_SMS = 2;

function need(v: string): string {
  const value = process.env[v];
  if (!value) throw new Error(`${v} is not set: the test services in production shape (TLS, SCRAM) are started by \`npm run infra:up\``);
  return value;
}

let pgAdmin: pg.Client;
let mongo: MongoClient;
let db: Db;
let sync: SyncClient;

const get = (): SyncPipeline => nodeGetJson<SyncPipeline>(['get', 'syncpipeline', name, '-n', ns]);
const condition = (type: string) => get().status?.conditions?.find((c) => c.type === type);
const pods = (selector = instance): PodList['items'] =>
  nodeGetJson<PodList>(['get', 'pods', '-n', ns, '-l', selector]).items.filter((p) => !p.metadata.deletionTimestamp);
const replicas = (component: string): number =>
  nodeGetJson<{ spec: { replicas?: number } }>(['get', 'deployment', `${name}-${component}`, '-n', ns]).spec.replicas ?? 1;
const describeState = (): string =>
  `${nodeKubectl(['get', 'pods,jobs,deployments,scaledobjects', '-n', ns, '-o', 'wide'])}\n${nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'yaml'])}`;

const waitWithState = waiterWithState(describeState);

function secret(secretName: string, data: Record<string, string>): void {
  nodeKubectl(
    ['apply', '-n', ns, '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: secretName }, type: 'Opaque', stringData: data }),
  );
}

/** The production sample, with the node's addresses, small pods and a low replica ceiling. */
function productionPipeline(tag: string): SyncPipeline {
  return {
    apiVersion: 'mobileforge.credeau.com/v1alpha1',
    kind: 'MobileForgeSyncPipeline',
    metadata: { name, namespace: ns },
    spec: {
      dau: 5000,
      environment: 'production',
      region: 'india',
      image: { repository: WORKLOAD_IMAGE, tag, pullPolicy: 'IfNotPresent' },
      kafka: {
        bootstrapServers: need('NODE_KAFKA_SASL_BROKERS').split(','),
        // one broker here; production's default of 3 is refused by this cluster (InsufficientBrokers)
        replicationFactor: 1,
        topicPrefix: prefix,
        // no Strimzi topic operator can be had here: the operator creates the topics itself
        // (admin mode), over the same TLS and SCRAM connection
        topicManagement: { mode: 'admin', deleteTopicsOnDeletion: true },
        tls: { enabled: true, caSecretRef: { name: 'kafka-cluster-ca-cert' } },
        sasl: { mechanism: 'scram-sha-512', credentialsSecretRef: { name: 'acme-kafka-user' } },
      },
      postgres: {
        host: need('NODE_PGHOST'),
        port: Number(need('PGPORT')),
        database: databases.insights,
        syncDatabase: databases.sync,
        sslMode: 'verify-full',
        ca: { secretRef: { name: 'db-ca-bundle' } },
        credentialsSecretRef: { name: 'acme-postgres' },
      },
      mongodb: {
        uriSecretRef: { name: 'acme-documentdb' },
        database: mongoDatabase,
        retryWrites: false,
        tls: { enabled: true, ca: { secretRef: { name: 'db-ca-bundle' } } },
      },
      producer: { resources: SMALL, minReplicas: 2, maxReplicas: 2 },
      consumers: {
        sms: { resources: SMALL, minReplicas: 1, maxReplicas: MAX_SMS },
        events: { resources: SMALL, minReplicas: 1, maxReplicas: 1 },
        common: { resources: SMALL, minReplicas: 1, maxReplicas: 1 },
      },
      autoscaling: {
        engine: 'keda',
        pollingIntervalSeconds: 5,
        cooldownPeriodSeconds: 30,
        scaleDownStabilizationSeconds: 20,
        lagThresholds: { sms_batched: 20 },
      },
      maintenance: { schedule: '30 1 * * *', timeZone: 'Asia/Kolkata', partitionRetentionDays: 180, resources: SMALL },
    },
  };
}

beforeAll(async () => {
  const tag = imageTag();
  installOperator(tag);
  pgAdmin = await connectPg();
  await pgAdmin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw-${role}'`);
  for (const d of Object.values(databases)) await pgAdmin.query(`CREATE DATABASE ${d} OWNER ${role}`);
  mongo = await connectMongo();
  db = mongo.db(mongoDatabase);
  createTestNamespace(ns);
  secret('kafka-cluster-ca-cert', { 'ca.crt': readFileSync(need('KAFKA_CA_FILE'), 'utf8') });
  secret('acme-kafka-user', { username: need('KAFKA_SCRAM_USERNAME'), password: readFileSync(need('KAFKA_SCRAM_PASSWORD_FILE'), 'utf8').trim() });
  // one bundle for both databases, as the RDS bundle serves RDS and DocumentDB
  secret('db-ca-bundle', { 'ca.crt': readFileSync(need('PG_CA_FILE'), 'utf8') });
  secret('acme-postgres', { username: role, password: `pw-${role}` });
  secret('acme-documentdb', { uri: need('NODE_MONGODB_TLS_URI') });
  nodeKubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(productionPipeline(tag)));
}, 300000);

afterAll(async () => {
  sync?.close();
  removeTestNamespace(ns);
  for (const d of Object.values(databases)) await pgAdmin?.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => undefined);
  await pgAdmin?.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await pgAdmin?.end();
  await db?.dropDatabase().catch(() => undefined);
  await mongo?.close();
}, 300000);

test('Ready over TLS and SCRAM: the migration Job and a partition Job succeed with verify-full, two producers spread and covered by a disruption budget', async () => {
  await waitWithState('the pipeline Ready', () => condition('Ready')?.status === 'True', 240000);
  const migration = nodeGetJson<{ items: { status: { succeeded?: number } }[] }>([
    'get',
    'jobs',
    '-n',
    ns,
    '-l',
    `${instance},app.kubernetes.io/component=migration`,
  ]);
  expect(migration.items.map((j) => j.status.succeeded)).toEqual([1]);

  // What the CronJob runs at 01:30 India time, run now.
  const cron = nodeGetJson<{ spec: { schedule: string; timeZone?: string } }>(['get', 'cronjob', `${name}-partitions`, '-n', ns]);
  expect(cron.spec).toMatchObject({ schedule: '30 1 * * *', timeZone: 'Asia/Kolkata' });
  nodeKubectl(['create', 'job', '--from', `cronjob/${name}-partitions`, 'partitions-now', '-n', ns]);
  await waitWithState(
    'the partition Job succeeded',
    () => nodeGetJson<{ status: { succeeded?: number } }>(['get', 'job', 'partitions-now', '-n', ns]).status.succeeded === 1,
    180000,
  );

  // production: at least two producers (Ready waits for the HPA to raise the Deployment's first
  // replica to the floor of two), across nodes as a rule (both on this one node: one domain, no
  // skew) and over zones where there are any, a budget that lets a drain take one at a time
  await waitWithState('two producers ready', () => pods(`${instance},app.kubernetes.io/component=producer`).filter(podReady).length === 2, 120000);
  const deployment = nodeGetJson<{ spec: { template: { spec: { topologySpreadConstraints?: { topologyKey: string; whenUnsatisfiable: string }[] } } } }>([
    'get',
    'deployment',
    `${name}-producer`,
    '-n',
    ns,
  ]);
  expect(deployment.spec.template.spec.topologySpreadConstraints?.map((c) => [c.topologyKey, c.whenUnsatisfiable]).sort()).toEqual([
    ['kubernetes.io/hostname', 'DoNotSchedule'],
    ['topology.kubernetes.io/zone', 'ScheduleAnyway'],
  ]);
  const pdb = await waitWithState(
    'the budget counting both',
    () => {
      const got = nodeGetJson<{ status: { disruptionsAllowed?: number; expectedPods?: number } }>(['get', 'pdb', `${name}-producer`, '-n', ns]);
      return got.status.expectedPods === 2 ? got : undefined;
    },
    60000,
  );
  expect(pdb.status).toMatchObject({ expectedPods: 2, disruptionsAllowed: 1 });
  // region india: no contacts or call-log topics at all
  expect(
    get()
      .status?.topics?.map((t) => t.name)
      .filter((t) => /contacts|call_logs/.test(t)),
  ).toEqual([]);
}, 600000);

test('signed traffic through the producer Service lands in MongoDB (TLS) and PostgreSQL (verify-full), every record accounted for by id', async () => {
  const insights = await connectPg(databases.insights);
  await insights.query(`INSERT INTO clients (client_id, auth_token, geography) VALUES ($1, $2, 'india')`, [client.id, client.token]);
  await insights.end();
  const ip = nodeKubectl(['get', 'service', `${name}-producer`, '-n', ns, '-o', 'jsonpath={.spec.clusterIP}']);
  sync = new SyncClient({ baseUrl: `http://${ip}:8000`, clientId: client.id, authToken: client.token });
  const run = randomUUID().slice(0, 8);
  const per = 10;
  const smsIds = Array.from({ length: 30 }, (_, i) => `prod-${run}-s${i}`);
  const eventIds = Array.from({ length: 30 }, (_, i) => `prod-${run}-e${i}`);
  const events = (id: string): SyncBatch => ({
    request_id: id,
    user_id: 'user-ev',
    sdk_version: '2.4.0',
    device: { device_id: 'd-1', android_id: 'a-1' },
    records: Array.from({ length: per }, (_, k) => ({ event_type: 'app_open', event_value: `${id}-${k}`, timestamp: Date.now() })),
  });
  const answers = await Promise.all([...smsIds.map((id) => sync.send('sms', smsBatch(id, per))), ...eventIds.map((id) => sync.send('events', events(id)))]);
  expect(answers.map((a) => a.status).filter((s) => s !== 202)).toEqual([]);

  const syncDb = await connectPg(databases.sync);
  try {
    const smsStored = () => db.collection(COLLECTIONS.sms).distinct('id', { request_id: { $in: smsIds } });
    const eventsStored = async () =>
      (await syncDb.query<{ v: string }>('SELECT DISTINCT event_value AS v FROM sync_events_log WHERE sync_request_id = ANY($1)', [eventIds])).rows.map(
        (r) => r.v,
      );
    await waitWithState('every SMS record in MongoDB', async () => (await smsStored()).length === smsIds.length * per, 120000);
    await waitWithState('every event in PostgreSQL', async () => (await eventsStored()).length === eventIds.length * per, 120000);
    // each record once, by its id
    expect(await db.collection(COLLECTIONS.sms).countDocuments({ request_id: { $in: smsIds } })).toBe(smsIds.length * per);
    const rows = await syncDb.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_events_log WHERE sync_request_id = ANY($1)', [eventIds]);
    expect(rows.rows[0]!.n).toBe(eventIds.length * per);
    expect((await eventsStored()).sort()).toEqual(eventIds.flatMap((id) => Array.from({ length: per }, (_, k) => `${id}-${k}`)).sort());
  } finally {
    await syncDb.end();
  }
}, 300000);

test('the LAG column and status.flow are filled for this pipeline', async () => {
  const flow = await waitWithState('status.flow', () => get().status?.flow, 120000);
  expect(flow.groups.map((g) => g.group).sort()).toEqual([`${prefix}common-consumer-group`, `${prefix}events-consumer-group`, `${prefix}sms-consumer-group`]);
  const [header, row] = nodeKubectl(['get', 'syncpipeline', name, '-n', ns]).split('\n');
  const column = header!.split(/\s+/).indexOf('LAG');
  expect(column).toBeGreaterThan(0);
  expect(row!.split(/\s+/)[column]).toMatch(/^\d+$/);
}, 180000);

test('KEDA reads the lag through the rendered TriggerAuthentication (SCRAM and TLS): the SMS consumer scales out on a backlog and back in', async () => {
  const auth = nodeGetJson<{ spec: { secretTargetRef?: { parameter: string }[] } }>(['get', 'triggerauthentication', `${name}-kafka`, '-n', ns]);
  expect(auth.spec.secretTargetRef?.map((r) => r.parameter).sort()).toEqual(['ca', 'password', 'username']);
  await waitWithState(
    'the SMS ScaledObject Ready',
    () => {
      const so = nodeGetJson<{ status?: { conditions?: { type: string; status: string }[] } }>(['get', 'scaledobject', `${name}-consumer-sms`, '-n', ns]);
      return so.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    },
    120000,
  );
  const backlog = `prodbacklog${Date.now().toString(36)}`;
  const MESSAGES = 3000;
  const RECORDS = 5;
  // the backlog goes in through the loopback listener; KEDA and the consumers read it over TLS
  await writeSmsBacklog(testKafka('e2e-production'), `${prefix}sms_batched`, client.id, backlog, MESSAGES, RECORDS);
  let peak = 1;
  await waitWithState(
    'KEDA adding SMS consumer replicas',
    () => {
      peak = Math.max(peak, replicas('consumer-sms'));
      return peak > 1;
    },
    180000,
  );
  await waitWithState(
    'the backlog in MongoDB',
    async () => (await db.collection(COLLECTIONS.sms).countDocuments({ request_id: { $regex: `^${backlog}-` } })) === MESSAGES * RECORDS,
    400000,
  );
  await waitWithState('the SMS consumer back at one replica', () => replicas('consumer-sms') === 1, 240000);
  expect(peak).toBeLessThanOrEqual(MAX_SMS);
}, 900000);

test('a wrong SCRAM password: the pipeline says Kafka refused its credentials (condition and Event), and recovers once the Secret is fixed', async () => {
  const password = readFileSync(need('KAFKA_SCRAM_PASSWORD_FILE'), 'utf8').trim();
  secret('acme-kafka-user', { username: need('KAFKA_SCRAM_USERNAME'), password: 'not-the-password' });
  const ready = await waitWithState(
    'Ready=False KafkaAuthenticationFailed',
    () => {
      const c = condition('Ready');
      return c?.status === 'False' && c.reason === 'KafkaAuthenticationFailed' ? c : undefined;
    },
    180000,
  );
  expect(ready.message).toMatch(/Secret acme-kafka-user/);
  const events = nodeGetJson<{ items: { reason: string; type: string; message: string }[] }>([
    'get',
    'events',
    '-n',
    ns,
    '--field-selector',
    `involvedObject.kind=MobileForgeSyncPipeline,involvedObject.name=${name}`,
  ]).items;
  expect(events.find((e) => e.reason === 'KafkaAuthenticationFailed')).toMatchObject({ type: 'Warning', message: expect.stringMatching(/SCRAM|SASL/) });

  secret('acme-kafka-user', { username: need('KAFKA_SCRAM_USERNAME'), password });
  await waitWithState('Ready again', () => condition('Ready')?.status === 'True', 300000);
  // and the pods work again, as traffic shows
  const id = `prod-after-${Date.now().toString(36)}`;
  await waitWithState('a batch accepted after the fix', async () => (await sync.send('sms', smsBatch(id, 3))).status === 202, 120000);
  await waitWithState('that batch stored', async () => (await db.collection(COLLECTIONS.sms).countDocuments({ request_id: id })) === 3, 120000);
  expect(pods(`${instance},app.kubernetes.io/component=producer`).every((p) => p.spec.containers[0]!.image === `${WORKLOAD_IMAGE}:${imageTag()}`)).toBe(true);
}, 900000);
