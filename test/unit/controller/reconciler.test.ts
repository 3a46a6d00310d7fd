// The reconciler's decisions with its I/O faked through ReconcilerDeps: an in-memory cache that
// the fake writer updates as server-side apply would, and a Kafka admin that keeps topics in a
// map. The integration suites prove the same against a real API server and Kafka; these pin
// down the sequencing (gate, prune, error precedence, events) fast and without services.
import { describe, expect, test } from '@jest/globals';
import { createRequire } from 'node:module';
import type * as k8s from '@kubernetes/client-node';
import { KafkaJSConnectionError, type KafkaConfig } from 'kafkajs';
import type { SyncPipeline, SyncPipelineStatus } from '../../../operator/api/v1alpha1.js';
import type { ObjectRef } from '../../../operator/controller/cluster.js';
import type { Capabilities } from '../../../operator/model/objects/autoscaling.js';
import { Reconciler, type ReconcilerCache, type ReconcilerDeps, type ReconcilerWriter } from '../../../operator/controller/reconciler.js';
import { FlowReadError, TopicAdminPool, type GroupTopics, type TopicAdmin } from '../../../operator/controller/topic-admin.js';
import type { FlowSample } from '../../../operator/model/kafka/flow.js';
import type { GroupState, OffsetCommit } from '../../../operator/model/kafka/layout-switch.js';
import type { TopicOffsets } from '../../../operator/model/kafka/rewind.js';
import type { TopicObservation } from '../../../operator/model/report/status.js';
import type { PipelineEvent } from '../../../operator/model/report/events.js';
import type { DesiredTopic, PartitionCounts } from '../../../operator/model/kafka/topics.js';
import type { TopicName } from '../../../core/domain.js';
import { pipeline } from '../../support/fixtures.js';

/** Kafka's errors as kafkajs makes them from a response's error code. */
const { createErrorFromCode } = createRequire(import.meta.url)('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): Error };

const key = (apiVersion: string, kind: string, namespace: string | undefined, name: string) => `${apiVersion}|${kind}|${namespace ?? ''}|${name}`;

class FakeCache implements ReconcilerCache {
  readonly objects = new Map<string, k8s.KubernetesObject>();
  put(o: k8s.KubernetesObject): void {
    this.objects.set(key(o.apiVersion!, o.kind!, o.metadata?.namespace, o.metadata!.name!), o);
  }
  pipeline(namespace: string, name: string): SyncPipeline | undefined {
    return this.get<k8s.KubernetesObject>('mobileforge.credeau.com/v1alpha1', 'MobileForgeSyncPipeline', name, namespace) as SyncPipeline | undefined;
  }
  pipelines(): SyncPipeline[] {
    return this.list<k8s.KubernetesObject>('mobileforge.credeau.com/v1alpha1', 'MobileForgeSyncPipeline') as SyncPipeline[];
  }
  get<T extends k8s.KubernetesObject>(apiVersion: string, kind: string, name: string, namespace?: string): T | undefined {
    return this.objects.get(key(apiVersion, kind, namespace, name)) as T | undefined;
  }
  list<T extends k8s.KubernetesObject>(apiVersion: string, kind: string, namespace?: string): T[] {
    return [...this.objects.values()].filter(
      (o) => o.apiVersion === apiVersion && o.kind === kind && (!namespace || o.metadata?.namespace === namespace),
    ) as T[];
  }
  secret(namespace: string, name: string): k8s.V1Secret | undefined {
    return this.get<k8s.V1Secret>('v1', 'Secret', name, namespace);
  }
  configMap(namespace: string, name: string): k8s.V1ConfigMap | undefined {
    return this.get<k8s.V1ConfigMap>('v1', 'ConfigMap', name, namespace);
  }
}

/** Applies land in the cache (as the watch would deliver them); `refuse` makes the API server say no. */
class FakeWriter implements ReconcilerWriter {
  readonly applied: string[] = [];
  readonly deleted: string[] = [];
  readonly statuses: SyncPipelineStatus[] = [];
  readonly events: PipelineEvent[] = [];
  refuse = new Set<string>();
  constructor(private readonly cache: FakeCache) {}
  async apply<T extends k8s.KubernetesObject>(obj: T): Promise<T> {
    if (this.refuse.has(obj.kind!)) throw new Error(`${obj.kind} is forbidden`);
    this.applied.push(`${obj.kind}/${obj.metadata!.name}`);
    this.cache.put(obj);
    return obj;
  }
  async delete(ref: ObjectRef): Promise<void> {
    this.deleted.push(`${ref.kind}/${ref.name}`);
    this.cache.objects.delete(key(ref.apiVersion, ref.kind, ref.namespace, ref.name));
  }
  async writeStatus(p: SyncPipeline, status: SyncPipelineStatus): Promise<void> {
    this.statuses.push(status);
    this.cache.put({ ...p, status } as k8s.KubernetesObject);
  }
  async setFinalizers(p: SyncPipeline, finalizers: string[]): Promise<void> {
    this.cache.put({ ...p, metadata: { ...p.metadata, finalizers } } as k8s.KubernetesObject);
  }
  async recordEvent(_p: SyncPipeline, e: PipelineEvent): Promise<void> {
    this.events.push(e);
  }
}

class FakeKafka implements TopicAdmin {
  readonly topics = new Map<string, number>();
  down = false;
  /** Every request made, by method: what a pipeline asked of Kafka. */
  readonly calls: string[] = [];
  async partitions(names: TopicName[]): Promise<PartitionCounts> {
    this.calls.push('partitions');
    if (this.down) throw new Error('Connection error: ECONNREFUSED');
    return Object.fromEntries(names.filter((n) => this.topics.has(n)).map((n) => [n, this.topics.get(n)!]));
  }
  async ensure(topics: DesiredTopic[]): Promise<TopicObservation[]> {
    this.calls.push('ensure');
    if (this.down) throw new Error('Connection error: ECONNREFUSED');
    for (const t of topics) this.topics.set(t.name, Math.max(this.topics.get(t.name) ?? 0, t.partitions));
    return topics.map((t) => ({ name: t.name, partitions: this.topics.get(t.name)!, replicationFactor: t.replicationFactor, ready: true }));
  }
  async delete(names: TopicName[]): Promise<void> {
    this.calls.push('delete');
    for (const n of names) this.topics.delete(n);
  }
  /** Records behind per topic for every group, and records ever produced. */
  behind = 0;
  produced = 0;
  /** What the next readings of the offsets fail with. */
  flowError: unknown;
  async flow(groups: GroupTopics[]): Promise<Omit<FlowSample, 'at'>> {
    this.calls.push('flow');
    if (this.flowError) throw this.flowError;
    return { lag: Object.fromEntries(groups.map((g) => [g.consumer, Object.fromEntries(g.topics.map((t) => [t, this.behind]))])), produced: this.produced };
  }
  /** Consumer groups: members, and committed offsets by topic and partition. */
  readonly groups = new Map<string, { members: number; committed: Record<string, Record<number, number>> }>();
  async groupStates(groups: { group: string; topics: readonly string[] }[]): Promise<GroupState[]> {
    if (this.down) throw new Error('Connection error: ECONNREFUSED');
    return groups.map(({ group, topics }) => {
      const g = this.groups.get(group);
      return { group, members: g?.members ?? 0, committed: Object.fromEntries(topics.filter((t) => g?.committed[t]).map((t) => [t, g!.committed[t]!])) };
    });
  }
  async commitOffsets(commits: readonly OffsetCommit[]): Promise<void> {
    this.calls.push('commitOffsets');
    for (const c of commits) {
      const g = this.groups.get(c.group) ?? { members: 0, committed: {} };
      if (g.members > 0) throw new Error(`group ${c.group} has members`);
      g.committed[c.topic] = { ...g.committed[c.topic], ...Object.fromEntries(c.partitions.map((p) => [p.partition, p.offset])) };
      this.groups.set(c.group, g);
    }
  }
  /** Per topic and partition, the first offset at or after each asked time (here: one offset for every time). */
  readonly atTime = new Map<string, Record<number, number>>();
  async offsetsAt(topics: readonly string[]): Promise<TopicOffsets> {
    this.calls.push('offsetsAt');
    if (this.down) throw new Error('Connection error: ECONNREFUSED');
    return Object.fromEntries(topics.filter((t) => this.atTime.has(t)).map((t) => [t, this.atTime.get(t)!]));
  }
  async close(): Promise<void> {}
}

function setup(
  p: SyncPipeline = pipeline({ dau: 60_000 }),
  caps: Capabilities = { keda: true },
  clock = { ms: Date.parse('2026-01-01T00:00:00Z') },
  deps: Partial<ReconcilerDeps> = {},
) {
  const cache = new FakeCache();
  cache.put(p as unknown as k8s.KubernetesObject);
  for (const name of ['pg-creds', 'mongo-creds']) cache.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'sync' } });
  const writer = new FakeWriter(cache);
  const kafka = new FakeKafka();
  const configs: KafkaConfig[] = [];
  const reconciler = new Reconciler({
    cache,
    client: writer,
    topics: new TopicAdminPool((c) => (configs.push(c), kafka)),
    secrets: { values: async () => undefined },
    capabilities: () => caps,
    now: () => new Date(clock.ms),
    flowIntervalMs: 30_000,
    laggingAfterMs: 60_000,
    pendingRequeueMs: 1234,
    ...deps,
  });
  const current = () => cache.pipeline('sync', p.metadata.name)!;
  const condition = (type: string) => current().status?.conditions?.find((c) => c.type === type);
  const succeedMigration = () => {
    const job = cache.list<k8s.V1Job>('batch/v1', 'Job', 'sync')[0]!;
    cache.put({ ...job, status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } } as k8s.KubernetesObject);
  };
  return { cache, writer, kafka, reconciler, current, condition, succeedMigration, clock };
}

describe('Reconciler with fake I/O', () => {
  test('first reconcile: the migration Job gates the Deployments; topics are created; not Ready, requeued', async () => {
    const { writer, kafka, reconciler, condition } = setup();
    const result = await reconciler.reconcile('sync', 'test');
    expect(writer.applied.filter((a) => a.startsWith('Job/'))).toHaveLength(1);
    expect(writer.applied.some((a) => a.startsWith('Deployment/'))).toBe(false);
    expect(writer.applied.some((a) => a.startsWith('CronJob/'))).toBe(false);
    expect(writer.applied.some((a) => a.startsWith('HorizontalPodAutoscaler/'))).toBe(true);
    const seed = ['apps_and_device_batched', 'call_logs_batched', 'contacts_batched', 'events_log', 'sms_batched'];
    expect([...kafka.topics.keys()].sort()).toEqual([...seed.flatMap((t) => [t, `${t}.dlq`]), 'sync_clients', 'usage_audit', 'usage_audit.dlq']);
    expect(condition('Migration')?.reason).toBe('MigrationPending');
    expect(condition('Ready')?.status).toBe('False');
    expect(result).toEqual({ requeueAfterMs: 1234 });
    expect(writer.events.map((e) => e.reason)).toEqual(['Created', 'TopicReady']);
    expect(writer.events[1]!.message).toMatch(/^topics ready, with their partitions: sms_batched \(16\), sms_batched.dlq \(1\), events_log \(20\)/);
  });

  test('once the Job succeeds the Deployments and the CronJob follow, with one MigrationSucceeded event', async () => {
    const { writer, reconciler, succeedMigration, condition } = setup();
    await reconciler.reconcile('sync', 'test');
    succeedMigration();
    writer.events.length = 0;
    await reconciler.reconcile('sync', 'test');
    expect(writer.applied.filter((a) => a.startsWith('Deployment/'))).toHaveLength(4);
    expect(writer.applied.filter((a) => a.startsWith('CronJob/'))).toHaveLength(1);
    expect(condition('Migration')?.status).toBe('True');
    expect(writer.events.filter((e) => e.reason === 'MigrationSucceeded')).toHaveLength(1);
    writer.events.length = 0;
    await reconciler.reconcile('sync', 'test');
    expect(writer.events).toEqual([]);
  });

  test('converged: a second reconcile writes nothing at all', async () => {
    const { writer, reconciler, succeedMigration } = setup();
    await reconciler.reconcile('sync', 'test');
    succeedMigration();
    await reconciler.reconcile('sync', 'test');
    await reconciler.reconcile('sync', 'test');
    const writes = [writer.applied.length, writer.deleted.length, writer.statuses.length, writer.events.length];
    await reconciler.reconcile('sync', 'test');
    expect([writer.applied.length, writer.deleted.length, writer.statuses.length, writer.events.length]).toEqual(writes);
  });

  test('India prunes the contacts and call-log KafkaTopics the other region had, and nothing else', async () => {
    const strimzi = pipeline({ dau: 60_000, kafka: { bootstrapServers: ['kafka:9092'], topicManagement: { mode: 'strimzi', strimziClusterName: 'main' } } });
    const { cache, writer, reconciler, current } = setup(strimzi, { keda: true, kafkaTopicApiVersion: 'kafka.strimzi.io/v1' });
    await reconciler.reconcile('sync', 'test');
    expect(writer.applied.filter((a) => a.startsWith('KafkaTopic/'))).toHaveLength(13);
    // someone else's KafkaTopic in the namespace: no instance label, no owner
    cache.put({ apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic', metadata: { name: 'other-team', namespace: 'sync' } });
    cache.put({ ...current(), spec: { ...current().spec, region: 'india' } } as unknown as k8s.KubernetesObject);
    await reconciler.reconcile('sync', 'test');
    expect(writer.deleted.sort()).toEqual([
      'KafkaTopic/test-call-logs-batched',
      'KafkaTopic/test-call-logs-batched-dlq',
      'KafkaTopic/test-contacts-batched',
      'KafkaTopic/test-contacts-batched-dlq',
    ]);
    expect(writer.events.find((e) => e.reason === 'Pruned')?.message).toMatch(/KafkaTopic\/test-call-logs-batched/);
  });

  test('an apply the API server refuses: ApplyFailed condition and event, topics not touched, error thrown for backoff', async () => {
    const { writer, kafka, reconciler, condition } = setup();
    writer.refuse.add('Service');
    await expect(reconciler.reconcile('sync', 'test')).rejects.toThrow(/Service\/sync\/test-producer: Service is forbidden/);
    expect(condition('Ready')?.reason).toBe('ApplyFailed');
    expect(writer.events.filter((e) => e.reason === 'ApplyFailed').length).toBeGreaterThan(0);
    expect(kafka.topics.size).toBe(0);
  });

  test('Kafka unreachable: KafkaUnreachable wins over later failures, and the admin client is evicted', async () => {
    const { writer, kafka, reconciler, condition } = setup();
    kafka.down = true;
    writer.refuse.add('Service');
    await expect(reconciler.reconcile('sync', 'test')).rejects.toThrow(/cannot read topics: Connection error/);
    expect(condition('Ready')?.reason).toBe('KafkaUnreachable');
  });

  test('a second pipeline on the same Kafka with the same names: Conflict, nothing applied, one event; free again once the first is gone', async () => {
    const older = pipeline({ dau: 60_000 }, 'first');
    older.metadata.creationTimestamp = new Date('2025-12-01T00:00:00Z') as unknown as SyncPipeline['metadata']['creationTimestamp'];
    const newer = pipeline({ dau: 60_000 });
    newer.metadata.creationTimestamp = new Date('2025-12-02T00:00:00Z') as unknown as SyncPipeline['metadata']['creationTimestamp'];
    const { cache, writer, kafka, reconciler, condition } = setup(newer);
    cache.put(older as unknown as k8s.KubernetesObject);
    expect(await reconciler.reconcile('sync', 'test')).toEqual({});
    expect(condition('Ready')).toMatchObject({ status: 'False', reason: 'Conflict' });
    expect(condition('Ready')!.message).toMatch(
      /^topics sms_batched, sms_batched.dlq, .* and consumer groups sms-consumer-group, .* already belong to pipeline sync\/first/,
    );
    expect(writer.applied).toEqual([]);
    expect(kafka.topics.size).toBe(0);
    expect(writer.events.map((e) => e.reason)).toEqual(['Conflict']);
    // Waiting writes nothing more.
    const statuses = writer.statuses.length;
    await reconciler.reconcile('sync', 'test');
    expect(writer.statuses).toHaveLength(statuses);
    expect(writer.events).toHaveLength(1);
    // The first pipeline goes away: this one proceeds.
    cache.objects.delete(['mobileforge.credeau.com/v1alpha1', 'MobileForgeSyncPipeline', 'sync', 'first'].join('|'));
    await reconciler.reconcile('sync', 'test');
    expect(condition('Ready')?.reason).not.toBe('Conflict');
    expect(writer.applied.length).toBeGreaterThan(0);
    expect(kafka.topics.has('sms_batched.dlq')).toBe(true);
  });

  test('a missing pipeline is a no-op; a paused one records Paused once and then writes nothing', async () => {
    const { cache, writer, reconciler, current } = setup();
    expect(await reconciler.reconcile('sync', 'absent')).toEqual({});
    cache.put({ ...current(), spec: { ...current().spec, paused: true } } as unknown as k8s.KubernetesObject);
    await reconciler.reconcile('sync', 'test');
    expect(writer.statuses).toHaveLength(1);
    expect(current().status?.conditions?.find((c) => c.type === 'Paused')?.status).toBe('True');
    await reconciler.reconcile('sync', 'test');
    expect(writer.statuses).toHaveLength(1);
    expect(writer.applied).toEqual([]);
  });

  test('lag and produce rate: read every flow interval, a steady lag writes nothing, a growing one sets Lagging (not part of Ready)', async () => {
    const { writer, kafka, reconciler, current, condition, succeedMigration, clock } = setup();
    await reconciler.reconcile('sync', 'test');
    succeedMigration();
    kafka.behind = 50;
    clock.ms += 30_000;
    await reconciler.reconcile('sync', 'test');
    expect(current().status?.flow).toMatchObject({ lag: 50 * 6, groups: [{ consumer: 'sms', group: 'sms-consumer-group', lag: 50 }, {}, {}] });
    expect(condition('Lagging')).toMatchObject({ status: 'False', reason: 'KeepingUp' });

    // A change within the tolerance (100 records or 10 %), not a growing one: nothing to write.
    const writes = writer.statuses.length;
    kafka.behind = 45;
    clock.ms += 30_000;
    await reconciler.reconcile('sync', 'test');
    expect(writer.statuses.length).toBe(writes);

    // Growing for longer than laggingAfterMs: Lagging=True; Ready is unaffected by it.
    for (const behind of [500, 1000, 2000]) {
      kafka.behind = behind;
      kafka.produced += 100_000;
      clock.ms += 30_000;
      await reconciler.reconcile('sync', 'test');
    }
    expect(condition('Lagging')).toMatchObject({ status: 'True', reason: 'LagGrowing' });
    expect(current().status?.flow).toMatchObject({ lag: 2000 * 6, recordsPerMinute: 200_000 });
    expect(condition('Ready')?.reason).not.toBe('LagGrowing');

    // Between reads nothing is read or written.
    const before = writer.statuses.length;
    clock.ms += 1_000;
    kafka.behind = 0;
    await reconciler.reconcile('sync', 'test');
    expect(writer.statuses.length).toBe(before);
  });

  test('a DAU far above the produce rate read over a day sets OverProvisioned (a warning, never the reason for Ready); a corrected DAU starts afresh', async () => {
    const { cache, kafka, reconciler, current, condition, succeedMigration, clock } = setup(pipeline({ dau: 1_000_000 }));
    await reconciler.reconcile('sync', 'test');
    succeedMigration();
    // 1M records per 12 h is about 23 records/s; the model expects 11,817 on average for 1M DAU (other regions)
    kafka.produced += 1_000_000;
    clock.ms += 12 * 3600_000;
    await reconciler.reconcile('sync', 'test');
    expect(current().status?.flow?.recordsPerMinute).toBe(1389);
    expect(condition('OverProvisioned')).toMatchObject({ status: 'False', reason: 'WithinModel' }); // half a day of readings: too soon to tell
    kafka.produced += 1_000_000;
    clock.ms += 12 * 3600_000;
    await reconciler.reconcile('sync', 'test');
    expect(condition('OverProvisioned')).toMatchObject({ status: 'True', reason: 'BeyondModelNeed' });
    expect(condition('OverProvisioned')!.message).toContain(
      'dau 1,000,000: in a day or more of readings the busiest produce rate was about 23 records/s, under a tenth of the 12,000 records/s the model expects on average',
    );
    expect(condition('Ready')?.reason).not.toBe('BeyondModelNeed');

    cache.put({ ...current(), spec: { ...current().spec, dau: 10_000 } } as unknown as k8s.KubernetesObject);
    clock.ms += 30_000;
    await reconciler.reconcile('sync', 'test');
    expect(condition('OverProvisioned')).toMatchObject({ status: 'False', reason: 'WithinModel' });
  });
});

/** A pod of the SMS consumer, as the cache shows one still stopping after its Deployment went. */
const smsConsumerPod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'test-consumer-sms-abc',
    namespace: 'sync',
    labels: { 'app.kubernetes.io/instance': 'test', 'app.kubernetes.io/component': 'consumer-sms' },
  },
};

describe('switching the consumer layout', () => {
  test('split -> single: the split consumers stop, their groups empty, their offsets are handed over, then the single consumer starts', async () => {
    const { cache, writer, kafka, reconciler, current, condition, succeedMigration } = setup();
    await reconciler.reconcile('sync', 'test');
    succeedMigration();
    await reconciler.reconcile('sync', 'test');
    expect(current().status?.consumerLayout).toBe('split');
    kafka.groups.set('sms-consumer-group', { members: 1, committed: { sms_batched: { 0: 42, 3: 7 } } });
    kafka.groups.set('events-consumer-group', { members: 0, committed: { events_log: { 1: 9 } } });
    // a pod of the SMS consumer, still stopping after its Deployment goes
    const pod = smsConsumerPod;
    cache.put(pod);
    cache.put({ ...current(), spec: { ...current().spec, consumers: { layout: 'single' } } } as unknown as k8s.KubernetesObject);
    writer.applied.length = 0;

    await reconciler.reconcile('sync', 'test');
    expect(writer.deleted.filter((d) => d.startsWith('Deployment/')).sort()).toEqual([
      'Deployment/test-consumer-common',
      'Deployment/test-consumer-events',
      'Deployment/test-consumer-sms',
    ]);
    expect(writer.applied.filter((a) => a.includes('consumer-all'))).toEqual([]);
    expect(condition('AllConsumer')).toMatchObject({ status: 'False', reason: 'SwitchingLayout' });
    expect(condition('AllConsumer')?.message).toMatch(/waiting for the split consumers \(sms, events, common\) to stop/);
    expect(current().status?.consumerLayout).toBe('split');
    // the Deployments are gone, one pod is not
    await reconciler.reconcile('sync', 'test');
    expect(condition('AllConsumer')?.message).toMatch(/waiting for the split consumers \(sms\) to stop/);
    expect(writer.applied.filter((a) => a.includes('consumer-all'))).toEqual([]);

    cache.objects.delete(key('v1', 'Pod', 'sync', pod.metadata.name));
    await reconciler.reconcile('sync', 'test');
    expect(condition('AllConsumer')?.message).toMatch(/waiting for consumer group sms-consumer-group \(1 members\) to be empty/);
    expect(kafka.groups.has('all-consumer-group')).toBe(false);

    kafka.groups.get('sms-consumer-group')!.members = 0;
    await reconciler.reconcile('sync', 'test');
    expect(kafka.groups.get('all-consumer-group')?.committed).toEqual({ sms_batched: { 0: 42, 3: 7 }, events_log: { 1: 9 } });
    expect(writer.applied).toEqual(expect.arrayContaining(['Deployment/test-consumer-all', 'ScaledObject/test-consumer-all']));
    expect(current().status?.consumerLayout).toBe('single');
    expect(writer.events.find((e) => e.reason === 'ConsumerLayoutSwitched')?.message).toMatch(/split -> single: committed offsets handed over on 3 partitions/);
  });

  test('Kafka unreachable at the hand-over: the new consumers wait, and status says why', async () => {
    const { cache, kafka, reconciler, current, condition, succeedMigration, writer } = setup();
    await reconciler.reconcile('sync', 'test');
    succeedMigration();
    await reconciler.reconcile('sync', 'test');
    cache.put({ ...current(), spec: { ...current().spec, consumers: { layout: 'single' } } } as unknown as k8s.KubernetesObject);
    await reconciler.reconcile('sync', 'test'); // the split consumers go
    kafka.down = true;
    await reconciler.reconcile('sync', 'test').catch(() => undefined);
    expect(condition('AllConsumer')?.message).toMatch(/cannot hand the committed offsets over: Connection error/);
    expect(writer.applied).not.toContain('Deployment/test-consumer-all');
    expect(current().status?.consumerLayout).toBe('split');
  });
});

describe('rewinding a consumer by annotation', () => {
  const REWIND = 'mobileforge.credeau.com/rewind';
  const annotate = (current: () => SyncPipeline, value: string | undefined) =>
    ({ ...current(), metadata: { ...current().metadata, annotations: value === undefined ? {} : { [REWIND]: value } } }) as unknown as k8s.KubernetesObject;
  const smsPod = smsConsumerPod;

  async function running() {
    const s = setup();
    await s.reconciler.reconcile('sync', 'test');
    s.succeedMigration();
    await s.reconciler.reconcile('sync', 'test');
    s.writer.applied.length = 0;
    s.writer.deleted.length = 0;
    s.writer.events.length = 0;
    return s;
  }

  test('the consumer stops, its group empties, its offsets go back to the time (never forward), then it starts again; once', async () => {
    const { cache, writer, kafka, reconciler, current, condition } = await running();
    kafka.groups.set('sms-consumer-group', { members: 1, committed: { sms_batched: { 0: 100, 1: 50, 2: 7 } } });
    kafka.atTime.set('sms_batched', { 0: 60, 1: 50, 2: 9, 3: 0 });
    cache.put(smsPod);
    const value = '{"consumer":"sms","toTime":"2025-12-31T10:00:00Z"}';
    cache.put(annotate(current, value));

    await reconciler.reconcile('sync', 'test');
    expect(writer.deleted.filter((d) => d.includes('consumer-sms')).sort()).toEqual([
      'Deployment/test-consumer-sms',
      'PodDisruptionBudget/test-consumer-sms',
      'ScaledObject/test-consumer-sms',
    ]);
    expect(writer.deleted.filter((d) => !d.includes('consumer-sms'))).toEqual([]);
    expect(current().status?.rewind).toMatchObject({ request: value, consumer: 'sms', phase: 'Rewinding' });
    expect(current().status?.rewind?.message).toMatch(/waiting for its pods to stop/);
    expect(condition('SmsConsumer')).toMatchObject({ status: 'False', reason: 'Rewinding' });

    cache.objects.delete(key('v1', 'Pod', 'sync', smsPod.metadata.name));
    await reconciler.reconcile('sync', 'test');
    expect(current().status?.rewind?.message).toMatch(/waiting for consumer group sms-consumer-group \(1 members\) to be empty/);
    expect(kafka.calls).not.toContain('commitOffsets');
    expect(writer.applied.filter((a) => a.includes('consumer-sms'))).toEqual([]);

    kafka.groups.get('sms-consumer-group')!.members = 0;
    await reconciler.reconcile('sync', 'test');
    // partition 0 back to 60; 1 stays; 2 is before the time already (7 < 9); 3 never committed: from the time
    expect(kafka.groups.get('sms-consumer-group')?.committed).toEqual({ sms_batched: { 0: 60, 1: 50, 2: 7, 3: 0 } });
    expect(writer.applied).toEqual(expect.arrayContaining(['Deployment/test-consumer-sms', 'ScaledObject/test-consumer-sms']));
    expect(current().status?.rewind).toMatchObject({ request: value, phase: 'Completed', completionTime: '2026-01-01T00:00:00.000Z' });
    const event = writer.events.find((e) => e.reason === 'ConsumerRewound');
    expect(event?.message).toMatch(
      /^rewound consumer group sms-consumer-group \(sms\) to 2025-12-31T10:00:00Z: 1 partition moved back \(sms_batched\[0\] 100 -> 60\); 2 already at or before that time kept; 1 with nothing committed set to that time; 40 records to read again$/,
    );

    // applied again (Git, a restore): nothing happens
    writer.events.length = 0;
    kafka.calls.length = 0;
    writer.deleted.length = 0;
    await reconciler.reconcile('sync', 'test');
    expect(kafka.calls).not.toContain('commitOffsets');
    expect(writer.deleted).toEqual([]);
    expect(writer.events).toEqual([]);
  });

  test('an invalid request is refused once, with a Warning, and nothing stops', async () => {
    const { cache, writer, reconciler, current } = await running();
    cache.put(annotate(current, '{"consumer":"all","toTime":"2025-12-31T10:00:00Z"}'));
    await reconciler.reconcile('sync', 'test');
    expect(current().status?.rewind).toMatchObject({ phase: 'Failed' });
    expect(current().status?.rewind?.message).toMatch(/consumer must be one of sms, events, common in the split consumer layout \(got "all"\)/);
    expect(writer.deleted).toEqual([]);
    expect(writer.events.filter((e) => e.reason === 'RewindRefused')).toHaveLength(1);
    await reconciler.reconcile('sync', 'test');
    expect(writer.events.filter((e) => e.reason === 'RewindRefused')).toHaveLength(1);
  });

  test('Kafka unreachable: the consumer stays stopped and status says why; the annotation removed, it starts again unrewound', async () => {
    const { cache, writer, kafka, reconciler, current } = await running();
    cache.put(annotate(current, '{"consumer":"events","toTime":"2025-12-31T10:00:00Z"}'));
    await reconciler.reconcile('sync', 'test'); // the Deployment goes
    kafka.down = true;
    await reconciler.reconcile('sync', 'test').catch(() => undefined);
    expect(current().status?.rewind?.message).toMatch(/cannot move the committed offsets: Connection error/);
    kafka.down = false;
    writer.applied.length = 0;
    cache.put(annotate(current, undefined));
    await reconciler.reconcile('sync', 'test');
    expect(writer.applied).toContain('Deployment/test-consumer-events');
    expect(current().status?.rewind).toMatchObject({ phase: 'Failed', message: expect.stringMatching(/removed or changed before the offsets were moved/) });
    expect(kafka.calls).not.toContain('commitOffsets');
  });
});

describe('consumer lag in every topic mode', () => {
  const STRIMZI: Capabilities = { keda: true, kafkaTopicApiVersion: 'kafka.strimzi.io/v1' };
  const inMode = (mode: 'admin' | 'strimzi' | 'unmanaged', kafka: Partial<SyncPipeline['spec']['kafka']> = {}) =>
    pipeline({
      dau: 60_000,
      kafka: {
        bootstrapServers: ['kafka-0:9093'],
        topicPrefix: 'acme.',
        topicManagement: { mode, ...(mode === 'strimzi' ? { strimziClusterName: 'main' } : {}) },
        ...kafka,
      },
    });

  test.each(['strimzi', 'unmanaged'] as const)(
    '%s mode: lag and produce rate read every flow interval, requeued for it, and nothing asked of Kafka but the offsets',
    async (mode) => {
      const { kafka, reconciler, current, condition, clock } = setup(inMode(mode), STRIMZI, undefined, { pendingRequeueMs: 60_000 });
      kafka.behind = 50;
      // Not Ready (no pods run here): looked at again at the flow interval, sooner than the pending one.
      expect(await reconciler.reconcile('sync', 'test')).toEqual({ requeueAfterMs: 30_000 });
      expect(current().status?.flow).toMatchObject({
        lag: 50 * 6,
        groups: [{ consumer: 'sms', group: 'acme.sms-consumer-group', lag: 50, topics: [{ name: 'acme.sms_batched', lag: 50 }] }, {}, {}],
      });
      expect(condition('Lagging')).toMatchObject({ status: 'False', reason: 'KeepingUp' });
      for (const behind of [500, 1000, 2000]) {
        kafka.behind = behind;
        kafka.produced += 30_000;
        clock.ms += 30_000;
        await reconciler.reconcile('sync', 'test');
      }
      expect(condition('Lagging')).toMatchObject({ status: 'True', reason: 'LagGrowing' });
      expect(current().status?.flow).toMatchObject({ lag: 2000 * 6, recordsPerMinute: 60_000 });
      expect(condition('Ready')?.reason).not.toBe('LagGrowing');
      expect(kafka.calls.filter((c) => c !== 'flow')).toEqual([]);
      expect(kafka.topics.size).toBe(0);
    },
  );

  test('Kafka refuses the reading (no ACL for a group): Lagging Unknown names the permission, Ready is untouched, the last figures stay', async () => {
    const { kafka, writer, reconciler, current, condition, clock } = setup(inMode('strimzi'), STRIMZI);
    kafka.behind = 50;
    await reconciler.reconcile('sync', 'test');
    await reconciler.reconcile('sync', 'test'); // the migration Job has been seen: Ready's message settles
    const ready = condition('Ready');
    const flow = current().status?.flow;
    expect(flow?.lag).toBe(300);

    kafka.flowError = new FlowReadError('committed', { group: 'acme.sms-consumer-group', topics: ['acme.sms_batched'] }, createErrorFromCode(30));
    clock.ms += 30_000;
    await reconciler.reconcile('sync', 'test');
    expect(condition('Lagging')).toMatchObject({
      status: 'Unknown',
      reason: 'LagUnreadable',
      message: `cannot read consumer lag: the operator's Kafka user may not read consumer group acme.sms-consumer-group (GROUP_AUTHORIZATION_FAILED): it needs Describe on the pipeline's consumer groups; see the Kafka ACLs in docs/install.md; status.flow is the reading of ${flow!.observedAt}`,
    });
    expect(current().status?.flow).toEqual(flow);
    expect(condition('Ready')).toEqual(ready);

    // Not asked again before an interval has passed; a refusal that stays writes nothing more.
    const reads = kafka.calls.length;
    const writes = writer.statuses.length;
    clock.ms += 1_000;
    await reconciler.reconcile('sync', 'test');
    expect(kafka.calls.length).toBe(reads);
    clock.ms += 30_000;
    await reconciler.reconcile('sync', 'test');
    expect(kafka.calls.length).toBe(reads + 1);
    expect(writer.statuses.length).toBe(writes);

    // The ACL granted: read again at the next interval.
    kafka.flowError = undefined;
    clock.ms += 30_000;
    await reconciler.reconcile('sync', 'test');
    expect(condition('Lagging')).toMatchObject({ status: 'False', reason: 'KeepingUp' });
  });

  test('pipelines on a cluster the operator cannot connect to: one attempt per flow interval for all of them, not one each', async () => {
    const { cache, kafka, reconciler, clock } = setup(inMode('unmanaged'));
    const beta = inMode('strimzi', { topicPrefix: 'beta.' });
    beta.metadata = { ...beta.metadata, name: 'beta', uid: '5d0c2f1e-0b7e-4c8e-a1d4-3f9e2b6c7a10' };
    cache.put(beta as unknown as k8s.KubernetesObject);
    const lagging = (name: string) => cache.pipeline('sync', name)?.status?.conditions?.find((c) => c.type === 'Lagging');
    const both = async () => {
      await reconciler.reconcile('sync', 'test');
      await reconciler.reconcile('sync', 'beta');
    };
    const reads = () => kafka.calls.filter((c) => c === 'flow').length;

    kafka.flowError = new FlowReadError('connect', {}, new KafkaJSConnectionError('Connection timeout'));
    await both();
    expect(reads()).toBe(1);
    for (const name of ['test', 'beta'])
      expect(lagging(name)).toMatchObject({
        status: 'Unknown',
        reason: 'LagUnreadable',
        message: 'cannot read consumer lag: cannot reach Kafka at kafka-0:9093: Connection timeout',
      });
    clock.ms += 30_000;
    await both();
    expect(reads()).toBe(2);

    // Reachable again: each pipeline reads its own offsets.
    kafka.flowError = undefined;
    clock.ms += 30_000;
    await both();
    expect(reads()).toBe(4);
    expect(lagging('beta')).toMatchObject({ status: 'False', reason: 'KeepingUp' });

    // A refusal is about one pipeline's user and names: never taken for another's.
    kafka.flowError = new FlowReadError('committed', { group: 'acme.sms-consumer-group' }, createErrorFromCode(30));
    clock.ms += 30_000;
    await both();
    expect(reads()).toBe(6);
  });

  test('a Kafka Secret without the SASL password: LagUnreadable says so, and Kafka is not asked', async () => {
    const p = inMode('unmanaged', { sasl: { mechanism: 'scram-sha-512', credentialsSecretRef: { name: 'acme-kafka-user' } } });
    const { kafka, reconciler, condition } = setup(p);
    await reconciler.reconcile('sync', 'test');
    expect(condition('Lagging')).toMatchObject({
      status: 'Unknown',
      reason: 'LagUnreadable',
      message: 'cannot read consumer lag: Secret acme-kafka-user lacks the Kafka SASL username or password',
    });
    expect(kafka.calls).toEqual([]);
    expect(condition('Ready')?.reason).not.toBe('KafkaCredentialsMissing');
  });

  test('admin mode with Kafka unreachable: Ready says KafkaUnreachable, Lagging Unknown says the lag is out of reach too', async () => {
    const { kafka, reconciler, condition } = setup(inMode('admin'));
    kafka.down = true;
    await expect(reconciler.reconcile('sync', 'test')).rejects.toThrow(/cannot read topics/);
    expect(condition('Ready')?.reason).toBe('KafkaUnreachable');
    expect(condition('Lagging')).toMatchObject({
      status: 'Unknown',
      reason: 'LagUnreadable',
      message: 'cannot read consumer lag: cannot reach Kafka at kafka-0:9093: Connection error: ECONNREFUSED',
    });
    expect(kafka.calls).toEqual(['partitions']);
  });

  test.each([
    ['admin', 0],
    ['unmanaged', 13],
  ] as const)('deleting a pipeline that holds the delete-topics finalizer, now in %s mode: %d topics left', async (mode, left) => {
    const { cache, kafka, reconciler, current } = setup(inMode('admin', { topicManagement: { mode: 'admin', deleteTopicsOnDeletion: true } }));
    await reconciler.reconcile('sync', 'test');
    expect(kafka.topics.size).toBe(13);
    // Moved to another mode just before its deletion (the finalizer not yet dropped): its topics are no longer the operator's.
    const spec = { ...current().spec, kafka: { ...current().spec.kafka, topicManagement: { mode, deleteTopicsOnDeletion: mode === 'admin' } } };
    const metadata = { ...current().metadata, finalizers: ['mobileforge.credeau.com/delete-topics'], deletionTimestamp: new Date() };
    cache.put({ ...current(), spec, metadata } as unknown as k8s.KubernetesObject);
    await reconciler.reconcile('sync', 'test');
    expect(kafka.topics.size).toBe(left);
    expect(current().metadata.finalizers).toEqual([]);
  });
});
