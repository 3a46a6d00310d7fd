// Admin-API topic mode against a real Kafka broker: the operator creates the topics, raises
// partitions when the consumers' maxima want more, never lowers them, reports them in status, and
// deletes them on pipeline deletion only when asked (through a finalizer). The pipelines here
// have a topic prefix of their own: the shared Kafka may hold a demo's or another run's
// pipelines, which this suite must neither meet nor disturb.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import type { Admin } from 'kafkajs';
import { readFileSync } from 'node:fs';
import type { SyncPipeline } from '../../../operator/api/v1alpha1.js';
import { pipeline } from '../../support/fixtures.js';
import { installPipelineCrd, installUpstreamCrds } from '../../support/kube.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { createSecret, kubectlApply, kubectlRun, prepareOperatorNamespace, teardownOperatorNamespace } from '../../support/operator-env.js';
import { connectKafkaAdmin, kafkaBrokers, requireKube, testKafka, testKubeConfig, uniqueName } from '../../support/services.js';
import { waitFor } from '../../support/wait.js';

const SEED = ['sms_batched', 'events_log', 'apps_and_device_batched', 'contacts_batched', 'call_logs_batched'];
/** The consumed topics: the seed's and the audit topic, each with a dead-letter topic. */
const CONSUMED = [...SEED, 'usage_audit'];
/** This run's prefix: the suite's pipelines' topics and groups are the seed's names behind it. */
const P = `${uniqueName('topics')}.`;
/** The consumed topics and their dead-letter topics, and the clients topic, under this run's prefix. */
const TOPICS = [...CONSUMED.flatMap((t) => [`${P}${t}`, `${P}${t}.dlq`]), `${P}sync_clients`];
const SMS_TOPIC = `${P}sms_batched`;
const SMS_GROUP = `${P}sms-consumer-group`;
let kc: k8s.KubeConfig;
let ns: string;
let operator: OperatorProcess;
let admin: Admin;

const get = () => JSON.parse(kubectlRun(['get', 'syncpipeline', 'topics', '-n', ns, '-o', 'json'])) as SyncPipeline;
async function partitions(names = TOPICS): Promise<Record<string, number>> {
  const existing = new Set(await admin.listTopics());
  const present = names.filter((t) => existing.has(t));
  if (!present.length) return {};
  const meta = await admin.fetchTopicMetadata({ topics: present });
  // keyed by the seed's name
  return Object.fromEntries(meta.topics.map((t) => [t.name.startsWith(P) ? t.name.slice(P.length) : t.name, t.partitions.length]));
}
function apply(dau: number, extra: Partial<SyncPipeline['spec']['kafka']> = {}, consumers?: SyncPipeline['spec']['consumers']): void {
  const p = pipeline(
    {
      dau,
      environment: 'dev',
      kafka: { bootstrapServers: kafkaBrokers(), topicPrefix: P, topicManagement: { mode: 'admin', deleteTopicsOnDeletion: true }, ...extra },
      ...(consumers ? { consumers } : {}),
    },
    'topics',
  );
  kubectlApply({ ...p, metadata: { name: 'topics', namespace: ns } });
}

beforeAll(async () => {
  kc = await requireKube(testKubeConfig());
  admin = await connectKafkaAdmin();
  await installPipelineCrd(kc);
  await installUpstreamCrds(kc);
  const prepared = await prepareOperatorNamespace(kc, 'topics');
  ns = prepared.ns;
  // Lag read every second, Lagging after 4 s of growth: the flow test runs in seconds, not minutes.
  operator = await OperatorProcess.start({ namespace: ns, kubeconfig: prepared.kubeconfig, env: { FLOW_INTERVAL_SECONDS: '1', LAGGING_AFTER_SECONDS: '4' } });
}, 60000);

afterAll(async () => {
  await teardownOperatorNamespace(kc, ns, [operator]);
  // whatever a failed test left of this run's names (the pipelines' finalizers delete the rest)
  if (!admin) return;
  try {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.includes(P));
    if (groups.length) await admin.deleteGroups(groups);
    const left = (await admin.listTopics()).filter((t) => t.includes(P));
    if (left.length) await admin.deleteTopics({ topics: left });
  } catch {
    // best effort: the names are this run's own and harm no other
  } finally {
    await admin.disconnect();
  }
}, 120000);

test("creates every topic with the ladder's partitions, and its dead-letter topic, and reports them in status", async () => {
  apply(25_000);
  await waitFor('thirteen topics', async () => Object.keys(await partitions()).length === 13);
  const dlq = Object.fromEntries(CONSUMED.map((t) => [`${t}.dlq`, 1]));
  expect(await partitions()).toEqual({
    sms_batched: 16,
    events_log: 20,
    apps_and_device_batched: 10,
    contacts_batched: 10,
    call_logs_batched: 10,
    usage_audit: 10,
    sync_clients: 1,
    ...dlq,
  });
  // Dead letters are kept two weeks, whatever the broker's default; client records are compacted and kept.
  const configs = await admin.describeConfigs({
    resources: [
      { type: 2, name: `${SMS_TOPIC}.dlq`, configNames: ['retention.ms'] },
      { type: 2, name: `${P}sync_clients`, configNames: ['cleanup.policy', 'retention.ms'] },
    ],
    includeSynonyms: false,
  });
  expect(configs.resources[0]!.configEntries.find((e) => e.configName === 'retention.ms')?.configValue).toBe(String(14 * 86_400_000));
  expect(Object.fromEntries(configs.resources[1]!.configEntries.map((e) => [e.configName, e.configValue]))).toEqual({
    'cleanup.policy': 'compact',
    'retention.ms': '-1',
  });
  const status = await waitFor('topics in status', () => {
    const s = get().status;
    return s?.topics?.length === 13 && s.topics.every((t) => t.ready) ? s : undefined;
  });
  expect(status.topics?.find((t) => t.name === SMS_TOPIC)).toEqual({ name: SMS_TOPIC, partitions: 16, replicationFactor: 1, ready: true });
  expect(status.conditions?.find((c) => c.type === 'Topics')).toMatchObject({ status: 'True', reason: 'TopicsReady' });
  expect(get().metadata.finalizers).toContain('mobileforge.credeau.com/delete-topics');
});

test('consumer lag and produce rate in status and the LAG column; Lagging while it grows, cleared when the group catches up', async () => {
  const producer = testKafka('flow-test').producer();
  await producer.connect();
  try {
    const send = (n: number) => producer.send({ topic: SMS_TOPIC, messages: Array.from({ length: n }, (_, i) => ({ key: `u${i % 7}`, value: `{"n":${i}}` })) });
    // Start the group at the topic's end (a new topic answers "not the leader" for a moment,
    // hence the wait).
    const ends = await waitFor('sms_batched offsets', () => admin.fetchTopicOffsets(SMS_TOPIC).catch(() => undefined));
    await admin.setOffsets({ groupId: SMS_GROUP, topic: SMS_TOPIC, partitions: ends.map((o) => ({ partition: o.partition, offset: o.high })) });
    await send(250);
    const flow = await waitFor('lag 250 in status', () => {
      const f = get().status?.flow;
      return f?.lag === 250 ? f : undefined;
    });
    expect(flow.groups.find((g) => g.consumer === 'sms')).toMatchObject({ group: SMS_GROUP, lag: 250, topics: [{ name: SMS_TOPIC, lag: 250 }] });
    const row = kubectlRun(['get', 'syncpipeline', 'topics', '-n', ns]).split('\n');
    expect(row[0]).toMatch(/\bLAG\b/);
    expect(row[1]!.split(/\s+/)[row[0]!.split(/\s+/).indexOf('LAG')]).toBe('250');

    // Growing reading after reading for longer than LAGGING_AFTER_SECONDS.
    const lagging = await waitFor(
      'Lagging=True',
      async () => {
        await send(400);
        const c = get().status?.conditions?.find((x) => x.type === 'Lagging');
        return c?.status === 'True' ? c : undefined;
      },
      30000,
      1200,
    );
    expect(lagging.reason).toBe('LagGrowing');
    expect(get().status?.flow?.recordsPerMinute).toBeGreaterThan(0);
    // Not part of Ready: Ready's reason is about the objects (here: no kubelet runs the pods).
    expect(get().status?.conditions?.find((x) => x.type === 'Ready')?.reason).not.toBe('LagGrowing');

    // The group commits everything: lag 0, KeepingUp.
    const end = await admin.fetchTopicOffsets(SMS_TOPIC);
    await admin.setOffsets({ groupId: SMS_GROUP, topic: SMS_TOPIC, partitions: end.map((o) => ({ partition: o.partition, offset: o.high })) });
    await waitFor('caught up', () => {
      const s = get().status;
      return s?.flow?.groups.find((g) => g.consumer === 'sms')?.lag === 0 && s.conditions?.find((x) => x.type === 'Lagging')?.reason === 'KeepingUp';
    });
    // What reading the flow costs Kafka is on the operator's /metrics, by Kafka API.
    expect(await operator.metric('mobileforge_kafka_requests_total', 'api="ListOffsets"')).toBeGreaterThan(0);
    expect(await operator.metric('mobileforge_kafka_requests_total', 'api="OffsetFetch"')).toBeGreaterThan(0);
  } finally {
    await producer.disconnect();
  }
});

test("raises partitions when the consumers' maxima grow, and never lowers them when they shrink", async () => {
  apply(100_000, {}, { sms: { maxReplicas: 48 }, common: { maxReplicas: 30 } });
  await waitFor('raised partitions', async () => (await partitions()).sms_batched === 48);
  expect(await partitions()).toMatchObject({ sms_batched: 48, events_log: 20, apps_and_device_batched: 30 });
  apply(25_000);
  await waitFor('status reconciled at 25k', () => get().status?.tier === '25k');
  await new Promise((r) => setTimeout(r, 3000));
  expect((await partitions()).sms_batched).toBe(48);
  expect(get().status?.topics?.find((t) => t.name === SMS_TOPIC)?.partitions).toBe(48);
});

test('a second pipeline on the same Kafka with the same names waits with Ready=False Conflict; with a prefix of its own it gets its own topics', async () => {
  const twin = (kafka: Partial<SyncPipeline['spec']['kafka']> = {}) => {
    const p = pipeline(
      {
        environment: 'dev',
        region: 'india',
        kafka: { bootstrapServers: kafkaBrokers(), topicPrefix: P, topicManagement: { mode: 'admin', deleteTopicsOnDeletion: true }, ...kafka },
      },
      'twin',
    );
    kubectlApply({ ...p, metadata: { name: 'twin', namespace: ns } });
  };
  const ready = () =>
    (JSON.parse(kubectlRun(['get', 'syncpipeline', 'twin', '-n', ns, '-o', 'json'])) as SyncPipeline).status?.conditions?.find((c) => c.type === 'Ready');
  twin();
  const c = await waitFor('Ready=False Conflict', () => (ready()?.reason === 'Conflict' ? ready() : undefined));
  expect(c?.message).toMatch(
    new RegExp(
      `^topics ${P}sms_batched, ${P}sms_batched.dlq, .* and consumer groups ${P}sms-consumer-group, .* already belong to pipeline .*/topics: set spec.kafka.topicPrefix`,
    ),
  );
  // Nothing of the waiting pipeline was created: no Job, no Deployment.
  expect(kubectlRun(['get', 'jobs,deployments', '-n', ns, '-l', 'app.kubernetes.io/instance=twin', '-o', 'name']).trim()).toBe('');
  const events = kubectlRun(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=twin,reason=Conflict', '-o', 'name']);
  expect(events.trim().split('\n')).toHaveLength(1);
  // The prefix cannot be added to it (records could be left behind): it is recreated with one.
  kubectlRun(['delete', 'syncpipeline', 'twin', '-n', ns, '--wait=true', '--timeout=60s']);
  twin({ topicPrefix: `twin-${P}` });
  const own = ['sms_batched', 'events_log', 'apps_and_device_batched'].flatMap((t) => [`twin-${P}${t}`, `twin-${P}${t}.dlq`]);
  await waitFor('its own six topics', async () => Object.keys(await partitions(own)).length === 6);
  await waitFor('no longer in conflict', () => ready() !== undefined && ready()?.reason !== 'Conflict');
  kubectlRun(['delete', 'syncpipeline', 'twin', '-n', ns, '--wait=true', '--timeout=60s']);
  await waitFor('its topics deleted with it', async () => Object.keys(await partitions(own)).length === 0, 30000);
  // The first pipeline's topics were never touched.
  expect((await partitions()).sms_batched).toBe(48);
}, 120000);

test('deleting the pipeline deletes its topics when deleteTopicsOnDeletion is set', async () => {
  kubectlRun(['delete', 'syncpipeline', 'topics', '-n', ns, '--wait=true', '--timeout=60s']);
  await waitFor('topics deleted', async () => Object.keys(await partitions()).length === 0, 30000);
});

test('a replication factor the cluster cannot hold is refused clearly, and nothing is created', async () => {
  const p = pipeline(
    { environment: 'production', kafka: { bootstrapServers: kafkaBrokers(), topicPrefix: P, topicManagement: { mode: 'admin' }, replicationFactor: 3 } },
    'wide',
  );
  kubectlApply({ ...p, metadata: { name: 'wide', namespace: ns } });
  const ready = await waitFor('Ready=False InsufficientBrokers', () => {
    const got = JSON.parse(kubectlRun(['get', 'syncpipeline', 'wide', '-n', ns, '-o', 'json'])) as SyncPipeline;
    const c = got.status?.conditions?.find((x) => x.type === 'Ready');
    return c?.reason === 'InsufficientBrokers' ? c : undefined;
  });
  expect(ready.message).toMatch(/^replication factor 3 needs at least 3 brokers, the cluster has 1: add brokers or set spec.kafka.replicationFactor/);
  expect(await partitions()).toEqual({});
  kubectlRun(['delete', 'syncpipeline', 'wide', '-n', ns, '--wait=true', '--timeout=60s']);
});

test('Kafka over TLS with SCRAM-SHA-512: missing credentials, a wrong password and an untrusted certificate each say what to fix; the right ones create the topics', async () => {
  const saslPrefix = `sasl-${P}`;
  const cond = () =>
    (JSON.parse(kubectlRun(['get', 'syncpipeline', 'sasl', '-n', ns, '-o', 'json'])) as SyncPipeline).status?.conditions?.find((c) => c.type === 'Ready');
  const reason = (r: string) => waitFor(r, () => (cond()?.reason === r ? cond() : undefined), 60000);
  const apply = (tls: NonNullable<SyncPipeline['spec']['kafka']['tls']>) =>
    kubectlApply({
      ...pipeline(
        {
          environment: 'dev',
          kafka: {
            bootstrapServers: (process.env.KAFKA_SASL_BROKERS ?? '').split(','),
            topicPrefix: saslPrefix,
            topicManagement: { mode: 'admin', deleteTopicsOnDeletion: true },
            tls,
            sasl: { mechanism: 'scram-sha-512', credentialsSecretRef: { name: 'sasl-user' } },
          },
        },
        'sasl',
      ),
      metadata: { name: 'sasl', namespace: ns },
    });
  const password = readFileSync(process.env.KAFKA_SCRAM_PASSWORD_FILE!, 'utf8').trim();
  createSecret(ns, 'kafka-ca', { 'ca.crt': readFileSync(process.env.KAFKA_CA_FILE!, 'utf8') });
  createSecret(ns, 'sasl-user', { username: process.env.KAFKA_SCRAM_USERNAME! });
  apply({ enabled: true, caSecretRef: { name: 'kafka-ca' } });
  expect((await reason('KafkaCredentialsMissing'))?.message).toContain('Secret sasl-user lacks the Kafka SASL username or password');

  // Both keys, read through the API under the operator's RBAC; Kafka refuses the password.
  createSecret(ns, 'sasl-user', { username: process.env.KAFKA_SCRAM_USERNAME!, password: 'not-the-password' });
  const refused = await reason('KafkaAuthenticationFailed');
  expect(refused?.message).toMatch(/^cannot read topics: Kafka refused the SCRAM-SHA-512 login with the user and password in Secret sasl-user \(/);
  const events = kubectlRun(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=sasl,reason=KafkaAuthenticationFailed', '-o', 'name']);
  expect(events.trim().split('\n')).toHaveLength(1);

  // The right password, but no CA: the system's CAs do not know the brokers' issuer.
  createSecret(ns, 'sasl-user', { username: process.env.KAFKA_SCRAM_USERNAME!, password });
  apply({ enabled: true });
  expect((await reason('KafkaTLSFailed'))?.message).toContain('spec.kafka.tls.caSecretRef');

  // Everything right: the operator creates the topics over TLS and SCRAM.
  apply({ enabled: true, caSecretRef: { name: 'kafka-ca' } });
  const own = [`${saslPrefix}sms_batched`, `${saslPrefix}sms_batched.dlq`];
  await waitFor('its topics created over SASL_SSL', async () => Object.keys(await partitions(own)).length === 2, 60000);
  kubectlRun(['delete', 'syncpipeline', 'sasl', '-n', ns, '--wait=true', '--timeout=60s']);
  await waitFor('its topics deleted with it', async () => Object.keys(await partitions(own)).length === 0, 30000);
}, 240000);
