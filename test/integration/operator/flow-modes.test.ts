// Consumer lag where the operator does not manage the topics (strimzi and unmanaged topic
// modes), against a real Kafka broker and a real API server: the topics are made here, as
// Strimzi's topic operator or the team owning them would; the operator only reads offsets
// (nothing of the pipeline's appears on Kafka unless made here) and reports lag in status and
// the LAG column, and Lagging, as in admin mode (admin-topics.test.ts). The Strimzi pipeline
// reaches Kafka as the production sample does, over TLS with SCRAM-SHA-512 (the broker's
// SASL_SSL listener, its CA and user in Secrets). A Kafka that refuses the login, whose
// certificate the pipeline cannot verify, or that cannot be reached makes Lagging Unknown,
// saying what to fix, and leaves Ready alone.
//
// Every pipeline here has a topic prefix of its own, so its topics and consumer groups are
// never those of another suite or a demo using the same broker.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import type { Admin } from 'kafkajs';
import type { SyncPipeline } from '../../../operator/api/v1alpha1.js';
import { pipeline } from '../../support/fixtures.js';
import { installPipelineCrd, installUpstreamCrds } from '../../support/kube.js';
import { OperatorProcess } from '../../support/operator-process.js';
import {
  createSecret,
  kubectlApply,
  kubectlRun,
  prepareOperatorNamespace,
  simulateKafkaTopicsReady,
  teardownOperatorNamespace,
} from '../../support/operator-env.js';
import { connectKafkaAdmin, kafkaBrokers, requireKube, testKafka, testKubeConfig, uniqueName } from '../../support/services.js';
import { waitFor } from '../../support/wait.js';

let kc: k8s.KubeConfig;
let ns: string | undefined;
let operator: OperatorProcess | undefined;
let admin: Admin | undefined;
/** What this suite made on the shared broker, removed in afterAll whatever happened. */
const made = { topics: new Set<string>(), groups: new Set<string>() };

type Mode = 'strimzi' | 'unmanaged';
const get = (name: string) => JSON.parse(kubectlRun(['get', 'syncpipeline', name, '-n', ns!, '-o', 'json'])) as SyncPipeline;
const condition = (name: string, type: string) => get(name).status?.conditions?.find((c) => c.type === type);

type Kafka = SyncPipeline['spec']['kafka'];
/** The broker's SASL_SSL listener, its CA and SCRAM user (Secrets made in beforeAll), as the production sample reaches Kafka. */
const overTls = (user = 'kafka-user'): Partial<Kafka> => ({
  bootstrapServers: (process.env.KAFKA_SASL_BROKERS ?? '').split(','),
  tls: { enabled: true, caSecretRef: { name: 'kafka-ca' } },
  sasl: { mechanism: 'scram-sha-512', credentialsSecretRef: { name: user } },
});

function apply(name: string, mode: Mode, topicPrefix: string, kafka: Partial<Kafka> = {}): void {
  const p = pipeline(
    {
      dau: 25_000,
      environment: 'dev',
      kafka: {
        bootstrapServers: kafkaBrokers(),
        topicPrefix,
        topicManagement: { mode, ...(mode === 'strimzi' ? { strimziClusterName: 'test-kafka' } : {}) },
        ...kafka,
      },
    },
    name,
  );
  kubectlApply({ ...p, metadata: { name, namespace: ns } });
}

/** The broker's topics that carry `prefix`. */
async function topicsWith(prefix: string): Promise<string[]> {
  return (await admin!.listTopics()).filter((t) => t.startsWith(prefix)).sort();
}

beforeAll(async () => {
  kc = await requireKube(testKubeConfig());
  admin = await connectKafkaAdmin();
  await installPipelineCrd(kc);
  await installUpstreamCrds(kc);
  const prepared = await prepareOperatorNamespace(kc, 'flow');
  ns = prepared.ns;
  const user = process.env.KAFKA_SCRAM_USERNAME!;
  createSecret(ns, 'kafka-ca', { 'ca.crt': readFileSync(process.env.KAFKA_CA_FILE!, 'utf8') });
  createSecret(ns, 'kafka-user', { username: user, password: readFileSync(process.env.KAFKA_SCRAM_PASSWORD_FILE!, 'utf8').trim() });
  createSecret(ns, 'wrong-user', { username: user, password: 'not-the-password' });
  // Lag read every second, Lagging after 4 s of growth: the test runs in seconds, not minutes.
  operator = await OperatorProcess.start({ namespace: ns, kubeconfig: prepared.kubeconfig, env: { FLOW_INTERVAL_SECONDS: '1', LAGGING_AFTER_SECONDS: '4' } });
}, 60000);

afterAll(async () => {
  // Pipelines first, while the operator still runs (a finalizer would need it), then the rest.
  if (ns) {
    try {
      kubectlRun(['delete', 'syncpipelines', '--all', '-n', ns, '--wait=true', '--timeout=60s']);
    } catch {
      // the namespace's deletion below takes what is left
    }
  }
  await teardownOperatorNamespace(kc, ns, [operator]);
  if (admin) {
    const existing = new Set(await admin.listTopics().catch(() => [] as string[]));
    const topics = [...made.topics].filter((t) => existing.has(t));
    if (topics.length) await admin.deleteTopics({ topics }).catch(() => undefined);
    if (made.groups.size) await admin.deleteGroups([...made.groups]).catch(() => undefined);
    await admin.disconnect();
  }
}, 120000);

test.each(['strimzi', 'unmanaged'] as const)(
  '%s mode: consumer lag and produce rate in status and the LAG column, Lagging while it grows; Kafka only read',
  async (mode) => {
    const prefix = `${uniqueName(`flow-${mode}`)}.`;
    const name = `lag-${mode}`;
    const topic = `${prefix}sms_batched`;
    const group = `${prefix}sms-consumer-group`;
    // Only the SMS topic exists, made here as Strimzi's topic operator (or the team that owns
    // the topics) would: any other topic of the prefix would be one the operator created.
    made.topics.add(topic);
    made.groups.add(group); // the only group: the operator reads offsets, it makes no group
    await admin!.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
    // The group starts at the topic's end (a re-created topic answers "not the leader" for a moment).
    const ends = await waitFor(`${topic} offsets`, () => admin!.fetchTopicOffsets(topic).catch(() => undefined));
    await admin!.setOffsets({ groupId: group, topic, partitions: ends.map((o) => ({ partition: o.partition, offset: o.high })) });

    apply(name, mode, prefix, mode === 'strimzi' ? overTls() : {});
    if (mode === 'strimzi') {
      await waitFor(
        'the KafkaTopics',
        () => kubectlRun(['get', 'kafkatopics', '-n', ns!, '-l', `app.kubernetes.io/instance=${name}`, '-o', 'name']).trim() !== '',
      );
      simulateKafkaTopicsReady(ns!, name);
    }
    const producer = testKafka(`flow-${mode}`).producer();
    await producer.connect();
    try {
      const send = (n: number) => producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ key: `u${i % 7}`, value: `{"n":${i}}` })) });
      await send(250);
      const flow = await waitFor('lag 250 in status', () => {
        const f = get(name).status?.flow;
        return f?.lag === 250 ? f : undefined;
      });
      expect(flow.groups.find((g) => g.consumer === 'sms')).toMatchObject({ group, lag: 250, topics: [{ name: topic, lag: 250 }] });
      const row = kubectlRun(['get', 'syncpipeline', name, '-n', ns!]).split('\n');
      expect(row[0]).toMatch(/\bLAG\b/);
      expect(row[1]!.split(/\s+/)[row[0]!.split(/\s+/).indexOf('LAG')]).toBe('250');
      expect(condition(name, 'Lagging')).toMatchObject({ status: 'False', reason: 'KeepingUp' });

      // Growing reading after reading for longer than LAGGING_AFTER_SECONDS.
      const lagging = await waitFor(
        'Lagging=True',
        async () => {
          await send(400);
          const c = condition(name, 'Lagging');
          return c?.status === 'True' ? c : undefined;
        },
        30000,
        1200,
      );
      expect(lagging.reason).toBe('LagGrowing');
      expect(get(name).status?.flow?.recordsPerMinute).toBeGreaterThan(0);
      // Not part of Ready: Ready's reason is about the objects (here: no kubelet runs the pods).
      expect(condition(name, 'Ready')?.reason).not.toBe('LagGrowing');

      // The group commits everything: lag 0, KeepingUp.
      const end = await admin!.fetchTopicOffsets(topic);
      await admin!.setOffsets({ groupId: group, topic, partitions: end.map((o) => ({ partition: o.partition, offset: o.high })) });
      await waitFor('caught up', () => {
        const s = get(name).status;
        return s?.flow?.groups.find((g) => g.consumer === 'sms')?.lag === 0 && s.conditions?.find((x) => x.type === 'Lagging')?.reason === 'KeepingUp';
      });
    } finally {
      await producer.disconnect();
    }
    // Read, never written: the pipeline's other topics (events, apps, contacts, call logs, the
    // dead-letter topics) were not created, and the SMS topic kept the partitions it was made with.
    expect(await topicsWith(prefix)).toEqual([topic]);
    expect((await admin!.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions).toHaveLength(3);
    // ... and no consumer group of the prefix but the one made here.
    expect((await admin!.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix))).toEqual([group]);
    expect(get(name).status?.topics?.length).toBeGreaterThan(0);
    expect(await operator!.metric('mobileforge_kafka_requests_total', 'api="OffsetFetch"')).toBeGreaterThan(0);
    for (const api of ['CreateTopics', 'CreatePartitions', 'DeleteTopics', 'OffsetCommit'])
      expect(await operator!.metric('mobileforge_kafka_requests_total', `api="${api}"`)).toBe(0);
  },
  90000,
);

test('a Kafka that refuses the login, whose certificate the pipeline cannot verify, or that cannot be reached: Lagging Unknown (LagUnreadable) says what to fix; Ready does not depend on it', async () => {
  apply('lag-refused', 'strimzi', `${uniqueName('flow-refused')}.`, overTls('wrong-user'));
  apply('lag-untrusted', 'strimzi', `${uniqueName('flow-untrusted')}.`, { ...overTls(), tls: { enabled: true } });
  // Nothing listens on port 1: the connection is refused at once.
  apply('lag-unreachable', 'unmanaged', `${uniqueName('flow-unreachable')}.`, { bootstrapServers: ['127.0.0.1:1'] });
  const unreadable = (name: string) =>
    waitFor(`Lagging=Unknown for ${name}`, () => {
      const c = condition(name, 'Lagging');
      return c?.status === 'Unknown' ? c : undefined;
    });
  const refused = await unreadable('lag-refused');
  expect(refused.reason).toBe('LagUnreadable');
  expect(refused.message).toMatch(/^cannot read consumer lag: Kafka refused the SCRAM-SHA-512 login with the user and password in Secret wrong-user \(/);
  expect((await unreadable('lag-untrusted')).message).toMatch(
    /^cannot read consumer lag: TLS to Kafka failed \(.*\); give the CA .* in spec\.kafka\.tls\.caSecretRef$/,
  );
  const unreachable = await unreadable('lag-unreachable');
  expect(unreachable.message).toMatch(/^cannot read consumer lag: cannot reach Kafka at 127\.0\.0\.1:1: .*ECONNREFUSED/);
  for (const name of ['lag-refused', 'lag-untrusted', 'lag-unreachable']) {
    expect(get(name).status?.flow).toBeUndefined();
    // Ready is about the objects, as for a pipeline whose Kafka answers: here the migration Job,
    // which no kubelet runs.
    expect(condition(name, 'Ready')?.reason).toMatch(/^Migration(Pending|Running)$/);
  }
}, 60000);
