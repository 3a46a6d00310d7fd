import { describe, expect, test } from '@jest/globals';
import type {
  KubernetesObject,
  V1CronJob,
  V1Deployment,
  V1EnvVar,
  V1Ingress,
  V1Job,
  V1PodDisruptionBudget,
  V1PodSpec,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { render, type RenderInput } from '../../../operator/model/render.js';
import { ENV } from '../../../core/env-contract.js';
import { loadSample, pipeline, SAMPLE_NAMES } from '../../support/fixtures.js';
import type { SyncPipeline } from '../../../operator/api/v1alpha1.js';

const FULL: RenderInput = { capabilities: { keda: true, kafkaTopicApiVersion: 'kafka.strimzi.io/v1' } };
const kinds = (objs: KubernetesObject[]) => objs.map((o) => `${o.kind}/${o.metadata?.name}`);
const deployments = (objs: KubernetesObject[]) => objs.filter((o): o is V1Deployment => o.kind === 'Deployment');
const envOf = (d: V1Deployment): V1EnvVar[] => d.spec!.template.spec!.containers[0]!.env!;
const envMap = (d: V1Deployment) => Object.fromEntries(envOf(d).map((e) => [e.name, e.value ?? e.valueFrom]));

describe('render: golden output of the samples', () => {
  test.each(SAMPLE_NAMES)('%s sample', (name) => {
    const result = render(loadSample(name), FULL);
    expect(result.objects.map((o) => stringify(o, { aliasDuplicateObjects: false })).join('---\n')).toMatchSnapshot();
  });

  test('the strimzi samples with KafkaTopic v1beta2', () => {
    const topics = render(loadSample('uat'), { capabilities: { keda: true, kafkaTopicApiVersion: 'kafka.strimzi.io/v1beta2' } }).objects.filter(
      (o) => o.kind === 'KafkaTopic',
    );
    expect(topics.map((t) => t.apiVersion)).toEqual(Array(9).fill('kafka.strimzi.io/v1beta2'));
    expect(topics).toMatchSnapshot();
  });
});

describe('render: what every pipeline gets', () => {
  const p = pipeline({ region: 'other', kafka: { bootstrapServers: ['k1:9092', 'k2:9092'] } });
  const objs = render(p, FULL).objects;

  test('one Deployment, PDB per component; a Service, ServiceAccount, producer HPA, consumer ScaledObjects, migration Job, maintenance CronJob', () => {
    expect(
      kinds(objs)
        .map((k) => k.replace(/^(Job\/test-migrate-)[0-9a-f]{10}$/, '$1<hash>'))
        .sort(),
    ).toEqual(
      [
        'Job/test-migrate-<hash>',
        'CronJob/test-partitions',
        'ServiceAccount/test-workload',
        'Deployment/test-producer',
        'Deployment/test-consumer-sms',
        'Deployment/test-consumer-events',
        'Deployment/test-consumer-common',
        'PodDisruptionBudget/test-producer',
        'PodDisruptionBudget/test-consumer-sms',
        'PodDisruptionBudget/test-consumer-events',
        'PodDisruptionBudget/test-consumer-common',
        'Service/test-producer',
        'HorizontalPodAutoscaler/test-producer',
        'ScaledObject/test-consumer-sms',
        'ScaledObject/test-consumer-events',
        'ScaledObject/test-consumer-common',
      ].sort(),
    );
  });

  test("consumers get the seed's production split of ENABLED_TOPICS and KAFKA_CONSUMER_GROUP", () => {
    const split = Object.fromEntries(
      deployments(objs)
        .slice(1)
        .map((d) => [d.metadata!.name, [envMap(d)[ENV.enabledTopics], envMap(d)[ENV.consumerGroup]]]),
    );
    expect(split).toEqual({
      'test-consumer-sms': ['sms_batched', 'sms-consumer-group'],
      'test-consumer-events': ['events_log', 'events-consumer-group'],
      // The common consumer also writes the audit rows (usage, unauthorized_requests).
      'test-consumer-common': ['apps_and_device_batched,contacts_batched,call_logs_batched,usage_audit', 'common-consumer-group'],
    });
  });

  test('every DI_* variable of the seed is set; passwords only through secretKeyRef', () => {
    const seedProducer = [
      'DI_POSTGRES_USERNAME',
      'DI_POSTGRES_PASSWORD',
      'DI_POSTGRES_HOST',
      'DI_POSTGRES_PORT',
      'DI_POSTGRES_DATABASE',
      'DI_POSTGRES_SYNC_DATABASE',
      'DI_KAFKA_BROKER_ENDPOINT',
    ];
    const seedConsumer = [
      ...seedProducer,
      'DI_MONGODB_USERNAME',
      'DI_MONGODB_PASSWORD',
      'DI_MONGODB_HOST',
      'DI_MONGODB_PORT',
      'DI_MONGODB_DATABASE',
      'DI_MONGODB_ENABLED_SOURCES',
      'DI_MONGODB_MAX_POOL_SIZE',
      'DI_MONGODB_MIN_POOL_SIZE',
      'DI_MONGODB_SERVER_SELECTION_TIMEOUT_MS',
      'DI_MONGODB_CONNECT_TIMEOUT_MS',
      'DI_MONGODB_SOCKET_TIMEOUT_MS',
      'DI_MONGODB_RETRY_WRITES',
      'DI_MONGODB_WAIT_QUEUE_TIMEOUT_MS',
      'ENABLED_TOPICS',
      'KAFKA_CONSUMER_GROUP',
    ];
    const [producer, ...consumers] = deployments(objs);
    expect(Object.keys(envMap(producer!))).toEqual(expect.arrayContaining(seedProducer));
    for (const c of consumers) expect(Object.keys(envMap(c))).toEqual(expect.arrayContaining(seedConsumer));
    expect(envMap(producer!)[ENV.kafkaBrokers]).toBe('k1:9092,k2:9092');
    expect(envMap(consumers[0]!)).toMatchObject({
      DI_MONGODB_MAX_POOL_SIZE: '100',
      DI_MONGODB_ENABLED_SOURCES: '*',
      DI_MONGODB_RETRY_WRITES: 'true',
      DI_POSTGRES_DATABASE: 'api_insights_db',
    });
    for (const d of deployments(objs)) {
      for (const e of envOf(d).filter((x) => /PASSWORD|USERNAME/.test(x.name))) {
        expect(e.value).toBeUndefined();
        expect(e.valueFrom?.secretKeyRef?.name).toMatch(/-creds$/);
      }
    }
  });

  test('pods are non-root, read-only, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
    for (const d of deployments(objs)) {
      const pod = d.spec!.template.spec!;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext!.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.containers[0]!.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(pod.containers[0]!.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    }
  });

  test('the producer listens on 8000 with /health and /ready probes, and serves metrics on a port of their own (9090)', () => {
    const c = deployments(objs)[0]!.spec!.template.spec!.containers[0]!;
    expect(c.ports).toEqual([
      { name: 'http', containerPort: 8000, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ]);
    expect(envMap(deployments(objs)[0]!)['METRICS_PORT']).toBe('9090');
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/ready', port: 'http' });
  });

  test("the producer's Service exposes only the API port, never the metrics port", () => {
    const lb = render(pipeline({ producer: { service: { type: 'LoadBalancer', port: 443 } } }), FULL).objects.find(
      (o): o is V1Service => o.kind === 'Service',
    )!;
    expect(lb.spec!.type).toBe('LoadBalancer');
    expect(lb.spec!.ports).toEqual([{ name: 'http', port: 443, targetPort: 'http', protocol: 'TCP' }]);
  });

  test('the Ingress routes only the sync API and /health: not /metrics, /ready or /openapi.json', () => {
    const ing = render(pipeline({ producer: { ingress: { enabled: true, host: 'sync.example.com' } } }), FULL).objects.find(
      (o): o is V1Ingress => o.kind === 'Ingress',
    )!;
    const paths = ing.spec!.rules![0]!.http!.paths;
    expect(paths.map((x) => [x.path, x.pathType])).toEqual([
      ['/v1/sync', 'Prefix'],
      ['/health', 'Exact'],
    ]);
    for (const x of paths) expect(x.backend.service).toEqual({ name: 'test-producer', port: { number: 8000 } });
  });

  test('Deployments leave replicas to the autoscaler', () => {
    for (const d of deployments(objs)) expect(d.spec).not.toHaveProperty('replicas');
  });

  test('KEDA triggers: one kafka trigger per topic with group and lag threshold, plus CPU (no memory unless a target is set)', () => {
    const so = objs.find((o) => o.kind === 'ScaledObject' && o.metadata?.name === 'test-consumer-common') as KubernetesObject & {
      spec: { triggers: { type: string; metadata: Record<string, string> }[]; minReplicaCount: number; maxReplicaCount: number };
    };
    expect(so.spec.triggers.map((t) => [t.type, t.metadata.topic ?? t.metadata.value])).toEqual([
      ['kafka', 'apps_and_device_batched'],
      ['kafka', 'contacts_batched'],
      ['kafka', 'call_logs_batched'],
      ['kafka', 'usage_audit'],
      ['cpu', '70'],
    ]);
    expect(so.spec.triggers[0]!.metadata).toMatchObject({ consumerGroup: 'common-consumer-group', lagThreshold: '100', bootstrapServers: 'k1:9092,k2:9092' });
    // Audit rows are small and written in large batches: a higher threshold.
    expect(so.spec.triggers[3]!.metadata).toMatchObject({ consumerGroup: 'common-consumer-group', lagThreshold: '1000' });
    expect([so.spec.minReplicaCount, so.spec.maxReplicaCount]).toEqual([3, 10]);
  });

  test('a memory target, when the spec sets one, reaches the HPA and the ScaledObjects', () => {
    const withMemory = render({ ...p, spec: { ...p.spec, autoscaling: { memoryTargetUtilization: 90 } } }, FULL).objects;
    const hpa = withMemory.find((o) => o.kind === 'HorizontalPodAutoscaler') as KubernetesObject & { spec: { metrics: { resource: { name: string } }[] } };
    expect(hpa.spec.metrics.map((m) => m.resource.name)).toEqual(['cpu', 'memory']);
    const so = withMemory.find((o) => o.kind === 'ScaledObject') as KubernetesObject & {
      spec: { triggers: { type: string; metadata: Record<string, string> }[] };
    };
    expect(so.spec.triggers.filter((t) => t.type === 'memory').map((t) => t.metadata.value)).toEqual(['90']);
  });

  test("children carry the app.kubernetes.io labels and an owner reference, never the pipeline's own labels", () => {
    const tagged: SyncPipeline = {
      ...p,
      metadata: { ...p.metadata, labels: { 'argocd.argoproj.io/instance': 'acme' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    };
    for (const o of render(tagged, FULL).objects) {
      expect(o.metadata?.labels).toMatchObject({
        'app.kubernetes.io/name': 'mobileforge-sync',
        'app.kubernetes.io/instance': 'test',
        'app.kubernetes.io/part-of': 'mobileforge-sync',
        'app.kubernetes.io/managed-by': 'mobileforge-operator',
      });
      expect(o.metadata?.labels?.['app.kubernetes.io/component']).toBeTruthy();
      expect(JSON.stringify(o)).not.toContain('argocd.argoproj.io');
      expect(JSON.stringify(o)).not.toContain('last-applied-configuration');
      expect(o.metadata?.ownerReferences).toEqual([
        expect.objectContaining({ kind: 'MobileForgeSyncPipeline', name: 'test', uid: p.metadata.uid, controller: true }),
      ]);
    }
  });
});

describe('render: decisions', () => {
  test('engine hpa: HPAs for every component, no ScaledObject; never two autoscalers on one Deployment', () => {
    const objs = render(pipeline({ autoscaling: { engine: 'hpa' } }), FULL).objects;
    const scalers = objs.filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject');
    expect(scalers.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'HorizontalPodAutoscaler/test-producer',
      'HorizontalPodAutoscaler/test-consumer-sms',
      'HorizontalPodAutoscaler/test-consumer-events',
      'HorizontalPodAutoscaler/test-consumer-common',
    ]);
  });

  test("scale-down stabilisation: 300 s by default, the spec's window on every HPA and on the HPA KEDA manages", () => {
    type Scaler = KubernetesObject & {
      spec: {
        behavior?: { scaleDown: { stabilizationWindowSeconds: number } };
        advanced?: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: number } } } };
      };
    };
    const windows = (p: SyncPipeline) =>
      (render(p, FULL).objects.filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject') as Scaler[]).map(
        (o) =>
          o.spec.behavior?.scaleDown.stabilizationWindowSeconds ?? o.spec.advanced?.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds,
      );
    expect(windows(pipeline())).toEqual([300, 300, 300, 300]);
    expect(windows(pipeline({ autoscaling: { scaleDownStabilizationSeconds: 20 } }))).toEqual([20, 20, 20, 20]);
    expect(windows(pipeline({ autoscaling: { engine: 'hpa', scaleDownStabilizationSeconds: 0 } }))).toEqual([0, 0, 0, 0]);
  });

  test('KEDA missing: falls back to HPAs and says why', () => {
    const r = render(pipeline(), { capabilities: { keda: false } });
    expect(r.engine).toBe('hpa');
    expect(r.engineFallback).toMatch(/KEDA is not installed/);
    expect(r.objects.some((o) => o.kind === 'ScaledObject')).toBe(false);
  });

  test('engine none: fixed replicas at the minimum, no autoscalers', () => {
    const objs = render(pipeline({ autoscaling: { engine: 'none' }, producer: { minReplicas: 2 } }), FULL).objects;
    expect(objs.some((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject')).toBe(false);
    expect(deployments(objs).map((d) => d.spec!.replicas)).toEqual([2, 4, 3, 3]);
  });

  test('India: common consumer reads only apps_and_device_batched; no contacts or call-logs objects', () => {
    const r = render(
      pipeline({ region: 'india', kafka: { bootstrapServers: ['k:9092'], topicManagement: { mode: 'strimzi', strimziClusterName: 'kc' } } }),
      FULL,
    );
    const text = JSON.stringify(r.objects);
    expect(text).not.toMatch(/contacts|call_logs|call-logs/);
    expect(envMap(deployments(r.objects)[3]!)[ENV.enabledTopics]).toBe('apps_and_device_batched,usage_audit');
  });

  test("the producer is told its pipeline's region (PIPELINE_REGION), so it refuses what the region excludes", () => {
    for (const region of ['india', 'other'] as const) {
      const producer = deployments(render(pipeline({ region }), FULL).objects)[0]!;
      expect(producer.metadata!.name).toBe('test-producer');
      expect(envMap(producer)['PIPELINE_REGION']).toBe(region);
    }
  });

  test('strimzi mode: KafkaTopics labelled for the cluster, owned only when deletion was asked for', () => {
    const kafka = { bootstrapServers: ['k:9092'], topicManagement: { mode: 'strimzi' as const, strimziClusterName: 'prod' } };
    const kept = render(pipeline({ kafka }), FULL).objects.filter((o) => o.kind === 'KafkaTopic');
    // The seed's five, the audit topic, each with its dead-letter topic, and the clients topic.
    expect(kept).toHaveLength(13);
    expect(kept[0]).toMatchObject({
      metadata: { name: 'test-sms-batched', labels: { 'strimzi.io/cluster': 'prod' } },
      spec: { topicName: 'sms_batched', partitions: 16, replicas: 3 },
    });
    expect(kept[1]).toMatchObject({
      metadata: { name: 'test-sms-batched-dlq', labels: { 'strimzi.io/cluster': 'prod' } },
      spec: { topicName: 'sms_batched.dlq', partitions: 1, replicas: 3, config: { 'retention.ms': '1209600000' } },
    });
    expect(kept[0]!.metadata!.ownerReferences).toBeUndefined();
    const owned = render(pipeline({ kafka: { ...kafka, topicManagement: { ...kafka.topicManagement, deleteTopicsOnDeletion: true } } }), FULL).objects.filter(
      (o) => o.kind === 'KafkaTopic',
    );
    expect(owned[0]!.metadata!.ownerReferences).toHaveLength(1);
  });

  test('strimzi mode without a KafkaTopic API: no topics, a reason instead', () => {
    const r = render(pipeline({ kafka: { bootstrapServers: ['k:9092'], topicManagement: { mode: 'strimzi', strimziClusterName: 'x' } } }), {
      capabilities: { keda: true },
    });
    expect(r.objects.some((o) => o.kind === 'KafkaTopic')).toBe(false);
    expect(r.topicsBlocked).toMatch(/no KafkaTopic API/);
  });

  test('topic and group prefixes reach the consumers, the producer, the KEDA triggers and the KafkaTopics; without them, the seed names', () => {
    const env = (r: ReturnType<typeof render>, c: string) =>
      Object.fromEntries(
        (r.objects.find((o) => o.kind === 'Deployment' && o.metadata!.name === `test-${c}`) as V1Deployment).spec!.template.spec!.containers[0]!.env!.map(
          (e) => [e.name, e.value],
        ),
      );
    const kafka = { bootstrapServers: ['k:9092'], topicPrefix: 'uat.', topicManagement: { mode: 'strimzi' as const, strimziClusterName: 'prod' } };
    const r = render(pipeline({ kafka }), FULL);
    expect(env(r, 'consumer-common')).toMatchObject({
      ENABLED_TOPICS: 'uat.apps_and_device_batched,uat.contacts_batched,uat.call_logs_batched,uat.usage_audit',
      KAFKA_CONSUMER_GROUP: 'uat.common-consumer-group',
    });
    expect(env(r, 'producer')).toMatchObject({ KAFKA_TOPIC_PREFIX: 'uat.' });
    const so = r.objects.find((o) => o.kind === 'ScaledObject' && o.metadata!.name === 'test-consumer-sms') as unknown as {
      spec: { triggers: { type: string; metadata: Record<string, string> }[] };
    };
    expect(so.spec.triggers.filter((t) => t.type === 'kafka').map((t) => [t.metadata.topic, t.metadata.consumerGroup])).toEqual([
      ['uat.sms_batched', 'uat.sms-consumer-group'],
    ]);
    expect(r.objects.filter((o) => o.kind === 'KafkaTopic').map((o) => (o as unknown as { spec: { topicName: string } }).spec.topicName)).toContain(
      'uat.events_log.dlq',
    );
    // a group prefix of its own
    const own = render(pipeline({ kafka: { ...kafka, consumerGroupPrefix: 'team-b-' } }), FULL);
    expect(env(own, 'consumer-sms')).toMatchObject({ ENABLED_TOPICS: 'uat.sms_batched', KAFKA_CONSUMER_GROUP: 'team-b-sms-consumer-group' });
    // no prefix: exactly the seed's variables
    const seed = render(pipeline(), FULL);
    expect(env(seed, 'producer')).not.toHaveProperty('KAFKA_TOPIC_PREFIX');
    expect(env(seed, 'consumer-sms')).toMatchObject({ ENABLED_TOPICS: 'sms_batched', KAFKA_CONSUMER_GROUP: 'sms-consumer-group' });
  });

  test('admin mode renders no KafkaTopic objects (the operator uses the admin API)', () => {
    expect(render(pipeline(), FULL).objects.some((o) => o.kind === 'KafkaTopic')).toBe(false);
  });

  test('config hash lands on every pod template; user env is added after ours', () => {
    const r = render(pipeline({ producer: { env: [{ name: 'LOG_LEVEL', value: 'debug' }] } }), { ...FULL, configHash: 'abc123' });
    for (const d of deployments(r.objects)) expect(d.spec!.template.metadata!.annotations).toEqual({ 'mobileforge.credeau.com/config-hash': 'abc123' });
    expect(envOf(deployments(r.objects)[0]!).at(-1)).toEqual({ name: 'LOG_LEVEL', value: 'debug' });
    expect(r.adjusted).toEqual([]);
  });

  test("an env entry naming one of the operator's variables (admitted before admission refused it) never replaces the operator's value, and says so", () => {
    const r = render(
      pipeline({
        producer: {
          env: [
            { name: 'DI_POSTGRES_PORT', value: '6432' },
            { name: 'LOG_LEVEL', value: 'debug' },
            { name: 'KAFKA_TOPIC_PREFIX', value: 'uat.' },
          ],
        },
        consumers: { sms: { env: [{ name: 'DI_POSTGRES_SSLMODE', value: 'disable' }] } },
      }),
      FULL,
    );
    const [producer, sms] = deployments(r.objects);
    expect(envOf(producer!).filter((e) => ['DI_POSTGRES_PORT', 'KAFKA_TOPIC_PREFIX', 'LOG_LEVEL'].includes(e.name))).toEqual([
      { name: 'DI_POSTGRES_PORT', value: '5432' },
      { name: 'LOG_LEVEL', value: 'debug' },
    ]);
    expect(envOf(sms!).filter((e) => e.name === 'DI_POSTGRES_SSLMODE')).toEqual([{ name: 'DI_POSTGRES_SSLMODE', value: 'verify-full' }]);
    expect(r.adjusted).toEqual([
      'producer.env entry DI_POSTGRES_PORT is not applied: the operator sets it from spec.postgres.port',
      'producer.env entry KAFKA_TOPIC_PREFIX is not applied: the operator sets it from spec.kafka.topicPrefix',
      'consumers.sms.env entry DI_POSTGRES_SSLMODE is not applied: the operator sets it from spec.postgres.sslMode',
    ]);
  });

  test('resources come from the environment profile, overridable per value', () => {
    const r = render(pipeline({ environment: 'uat', consumers: { sms: { resources: { limits: { memory: '3Gi' } } } } }), FULL);
    const [producer, sms] = deployments(r.objects);
    expect(producer!.spec!.template.spec!.containers[0]!.resources).toEqual({
      requests: { cpu: '500m', memory: '384Mi' },
      limits: { cpu: '1', memory: '768Mi' },
    });
    expect(sms!.spec!.template.spec!.containers[0]!.resources!.limits).toEqual({ cpu: '1', memory: '3Gi' });
  });
});

describe('render: schema migration Job and partition maintenance CronJob', () => {
  const jobOf = (p: SyncPipeline) => render(p, FULL).objects.find((o): o is V1Job => o.kind === 'Job')!;
  const cronOf = (p: SyncPipeline) => render(p, FULL).objects.find((o): o is V1CronJob => o.kind === 'CronJob')!;
  const podEnv = (pod: V1PodSpec) => Object.fromEntries(pod.containers[0]!.env!.map((e) => [e.name, e.value ?? e.valueFrom]));
  const base = pipeline();

  test('the Job is named by its content: a new image or database re-runs it, sizing and pool settings do not', () => {
    const name = jobOf(base).metadata!.name!;
    expect(name).toMatch(/^test-migrate-[0-9a-f]{10}$/);
    expect(render(base, FULL).migrationJob).toBe(name);
    expect(jobOf(pipeline()).metadata!.name).toBe(name);
    expect(jobOf(pipeline({ image: { ...base.spec.image, tag: 'v2' } })).metadata!.name).not.toBe(name);
    expect(jobOf(pipeline({ postgres: { ...base.spec.postgres, host: 'pg-2' } })).metadata!.name).not.toBe(name);
    expect(jobOf(pipeline({ dau: base.spec.dau * 10 })).metadata!.name).toBe(name);
    expect(jobOf(pipeline({ mongodb: { ...base.spec.mongodb, maxPoolSize: 7 } })).metadata!.name).toBe(name);
  });

  test('the Job runs `migrate` with the database settings only, secrets by reference, retries bounded', () => {
    const job = jobOf(base);
    const pod = job.spec!.template.spec!;
    expect(pod.containers[0]!.args).toEqual(['migrate']);
    expect(pod.containers[0]!.image).toBe(`${base.spec.image.repository}:${base.spec.image.tag}`);
    const env = podEnv(pod);
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([
        'DI_POSTGRES_HOST',
        'DI_POSTGRES_DATABASE',
        'DI_POSTGRES_SYNC_DATABASE',
        'DI_POSTGRES_PASSWORD',
        'DI_MONGODB_HOST',
        'DI_MONGODB_DATABASE',
        'MIGRATE_DAYS_AHEAD',
      ]),
    );
    expect(Object.keys(env)).not.toEqual(expect.arrayContaining(['ENABLED_TOPICS']));
    expect(Object.keys(env).filter((k) => k.startsWith('DI_KAFKA') || k === 'DI_MONGODB_MAX_POOL_SIZE')).toEqual([]);
    expect(env.DI_POSTGRES_PASSWORD).toEqual({ secretKeyRef: expect.objectContaining({ name: expect.stringMatching(/-creds$/) }) });
    expect(env.MIGRATE_DAYS_AHEAD).toBe('10');
    expect(job.spec).toMatchObject({ backoffLimit: 4, activeDeadlineSeconds: 1800 });
    expect(job.spec).not.toHaveProperty('ttlSecondsAfterFinished'); // a deleted Job would be run again
  });

  test("both run with the workloads' pod security and only /tmp writable", () => {
    for (const pod of [jobOf(base).spec!.template.spec!, cronOf(base).spec!.jobTemplate.spec!.template.spec!]) {
      expect(pod.restartPolicy).toBe('Never');
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.serviceAccountName).toBe('test-workload');
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.containers[0]!.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(pod.containers[0]!.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      expect(pod.containers[0]!.resources).toEqual({ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } });
    }
  });

  test('the CronJob runs `partitions` daily, never two at once, with the retention settings', () => {
    const cron = cronOf(base);
    expect(cron.metadata!.name).toBe('test-partitions');
    expect(cron.spec).toMatchObject({ schedule: '15 0 * * *', suspend: false, concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 3600 });
    expect(cron.spec).not.toHaveProperty('timeZone');
    const pod = cron.spec!.jobTemplate.spec!.template.spec!;
    expect(pod.containers[0]!.args).toEqual(['partitions']);
    expect(podEnv(pod)).toMatchObject({ PARTITION_DAYS_AHEAD: '10', PARTITION_RETENTION_DAYS: '90', DI_POSTGRES_HOST: base.spec.postgres.host });
    // The Jobs it creates are not the operator's: no managed-by label, so its caches ignore them.
    expect(cron.spec!.jobTemplate.metadata!.labels).not.toHaveProperty(['app.kubernetes.io/managed-by']);
    expect(cron.metadata!.labels).toHaveProperty(['app.kubernetes.io/managed-by'], 'mobileforge-operator');
  });

  test('spec.maintenance overrides schedule, time zone, suspension, retention, resources and placement', () => {
    const p = pipeline({
      maintenance: {
        schedule: '0 3 * * *',
        timeZone: 'Asia/Kolkata',
        suspend: true,
        partitionDaysAhead: 30,
        partitionRetentionDays: 365,
        resources: { limits: { memory: '1Gi' } },
        nodeSelector: { pool: 'batch' },
        tolerations: [{ key: 'batch', operator: 'Exists' }],
      },
    });
    const cron = cronOf(p);
    expect(cron.spec).toMatchObject({ schedule: '0 3 * * *', timeZone: 'Asia/Kolkata', suspend: true });
    const pod = cron.spec!.jobTemplate.spec!.template.spec!;
    expect(podEnv(pod)).toMatchObject({ PARTITION_DAYS_AHEAD: '30', PARTITION_RETENTION_DAYS: '365' });
    expect(pod.nodeSelector).toEqual({ pool: 'batch' });
    expect(pod.containers[0]!.resources!.limits).toEqual({ cpu: '1', memory: '1Gi' });
    expect(podEnv(jobOf(p).spec!.template.spec!).MIGRATE_DAYS_AHEAD).toBe('30');
  });
});

describe('render: KEDA reads lag from a SASL / private-CA Kafka through a TriggerAuthentication', () => {
  type Trigger = { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } };
  const triggersOf = (objs: KubernetesObject[]) =>
    objs
      .filter((o) => o.kind === 'ScaledObject')
      .flatMap((o) => (o as KubernetesObject & { spec: { triggers: Trigger[] } }).spec.triggers.filter((t) => t.type === 'kafka'));

  test('SCRAM and a CA Secret: one TriggerAuthentication naming the same Secrets; every kafka trigger uses it', () => {
    const objs = render(loadSample('production'), FULL).objects;
    const ta = objs.filter((o) => o.kind === 'TriggerAuthentication') as (KubernetesObject & { spec: { secretTargetRef: unknown[] } })[];
    expect(ta.map((o) => o.metadata?.name)).toEqual(['acme-kafka']);
    expect(ta[0]!.spec.secretTargetRef).toEqual([
      { parameter: 'username', name: 'acme-kafka-user', key: 'username' },
      { parameter: 'password', name: 'acme-kafka-user', key: 'password' },
      { parameter: 'ca', name: 'prod-kafka-cluster-ca-cert', key: 'ca.crt' },
    ]);
    const triggers = triggersOf(objs);
    expect(triggers.length).toBeGreaterThan(0);
    for (const t of triggers) {
      expect(t.authenticationRef).toEqual({ name: 'acme-kafka' });
      expect(t.metadata).toMatchObject({ sasl: 'scram_sha512', tls: 'enable' });
      expect(Object.keys(t.metadata)).not.toEqual(expect.arrayContaining(['username', 'password', 'ca']));
    }
  });

  test('a plain cluster gets no TriggerAuthentication and no auth settings; TLS with a public CA only tls: enable', () => {
    const plain = render(pipeline(), FULL).objects;
    expect(plain.some((o) => o.kind === 'TriggerAuthentication')).toBe(false);
    for (const t of triggersOf(plain)) expect(t).not.toHaveProperty('authenticationRef');
    const tlsOnly = render(pipeline({ kafka: { bootstrapServers: ['k:9093'], tls: { enabled: true } } }), FULL).objects;
    expect(tlsOnly.some((o) => o.kind === 'TriggerAuthentication')).toBe(false);
    for (const t of triggersOf(tlsOnly)) expect(t.metadata.tls).toBe('enable');
    const plainSasl = render(
      pipeline({ kafka: { bootstrapServers: ['k:9092'], sasl: { mechanism: 'plain', credentialsSecretRef: { name: 'u' } } } }),
      FULL,
    ).objects;
    for (const t of triggersOf(plainSasl)) expect(t.metadata.sasl).toBe('plaintext');
  });

  test('without KEDA (engine hpa) there is nothing for KEDA to read: no TriggerAuthentication', () => {
    const p = loadSample('production');
    expect(render({ ...p, spec: { ...p.spec, autoscaling: { engine: 'hpa' } } }, FULL).objects.some((o) => o.kind === 'TriggerAuthentication')).toBe(false);
    expect(render(p, { capabilities: { keda: false } }).objects.some((o) => o.kind === 'TriggerAuthentication')).toBe(false);
  });
});

describe('render: a PodMonitor for the workloads, when asked and when the cluster has the API', () => {
  const monitored = pipeline({ monitoring: { podMonitor: { enabled: true, interval: '15s', labels: { release: 'kube-prometheus-stack' } } } });

  test("it selects the pipeline's pods and scrapes /metrics on the metrics port", () => {
    const r = render(monitored, { capabilities: { keda: true, podMonitor: true } });
    const pm = r.objects.find((o) => o.kind === 'PodMonitor') as KubernetesObject & {
      spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: unknown[] };
    };
    expect(pm.metadata?.name).toBe('test-workloads');
    expect(pm.metadata?.labels).toMatchObject({ release: 'kube-prometheus-stack', 'app.kubernetes.io/managed-by': 'mobileforge-operator' });
    expect(pm.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'mobileforge-sync', 'app.kubernetes.io/instance': 'test' });
    expect(pm.spec.podMetricsEndpoints).toEqual([
      {
        port: 'metrics',
        path: '/metrics',
        interval: '15s',
        // the labels the shipped alert rules and dashboard group by
        relabelings: [
          { sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_instance'], targetLabel: 'pipeline' },
          { sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_component'], targetLabel: 'component' },
        ],
      },
    ]);
    expect(r.monitoring).toEqual({ podMonitor: 'test-workloads' });
    // The pods it selects do serve /metrics on a port named metrics.
    for (const d of deployments(r.objects)) expect(d.spec!.template.spec!.containers[0]!.ports).toContainEqual(expect.objectContaining({ name: 'metrics' }));
  });

  test('not asked: none; asked without the Prometheus Operator: none, and the reason', () => {
    expect(render(pipeline(), { capabilities: { keda: true, podMonitor: true } }).objects.some((o) => o.kind === 'PodMonitor')).toBe(false);
    const r = render(monitored, { capabilities: { keda: true } });
    expect(r.objects.some((o) => o.kind === 'PodMonitor')).toBe(false);
    expect(r.monitoring).toEqual({ blocked: expect.stringContaining('no PodMonitor API') });
  });
});

describe('render: the single consumer layout', () => {
  const single = render(pipeline({ dau: 20_000, environment: 'dev', consumers: { layout: 'single', all: { maxReplicas: 3 } } }), FULL);

  test('one consumer Deployment over every topic in one group, one ScaledObject over all their lag', () => {
    expect(kinds(single.objects).filter((k) => /consumer/.test(k))).toEqual([
      'Deployment/test-consumer-all',
      'PodDisruptionBudget/test-consumer-all',
      'ScaledObject/test-consumer-all',
    ]);
    const env = envMap(deployments(single.objects).find((d) => d.metadata?.name === 'test-consumer-all')!);
    expect(env[ENV.enabledTopics]).toBe('sms_batched,events_log,apps_and_device_batched,contacts_batched,call_logs_batched,usage_audit');
    expect(env[ENV.consumerGroup]).toBe('all-consumer-group');
    const so = single.objects.find((o) => o.kind === 'ScaledObject') as KubernetesObject & {
      spec: { triggers: { type: string; metadata: Record<string, string> }[]; maxReplicaCount: number };
    };
    const kafkaTriggers = so.spec.triggers.filter((t) => t.type === 'kafka');
    expect(kafkaTriggers.map((t) => t.metadata.topic)).toEqual([
      'sms_batched',
      'events_log',
      'apps_and_device_batched',
      'contacts_batched',
      'call_logs_batched',
      'usage_audit',
    ]);
    expect(new Set(kafkaTriggers.map((t) => t.metadata.consumerGroup))).toEqual(new Set(['all-consumer-group']));
    expect(so.spec.maxReplicaCount).toBe(3);
  });

  test('the topics are the same as in the split layout: switching never changes a partition count', () => {
    const split = render(pipeline({ dau: 20_000, environment: 'dev' }), FULL);
    expect(single.topics.map((t) => [t.name, t.partitions])).toEqual(split.topics.map((t) => [t.name, t.partitions]));
    // The clients topic is read by the Producer API replicas, no consumer group.
    expect(new Set(single.topics.map((t) => t.consumer))).toEqual(new Set(['all', undefined]));
  });

  test('engine hpa: one HPA for the single consumer', () => {
    const hpa = render(pipeline({ dau: 20_000, environment: 'dev', consumers: { layout: 'single' }, autoscaling: { engine: 'hpa' } }), FULL);
    expect(kinds(hpa.objects).filter((k) => k.startsWith('HorizontalPodAutoscaler'))).toEqual([
      'HorizontalPodAutoscaler/test-producer',
      'HorizontalPodAutoscaler/test-consumer-all',
    ]);
  });
});

describe('render: availability in production', () => {
  const byKind = <T extends KubernetesObject>(objs: KubernetesObject[], kind: string) => objs.filter((o): o is T => o.kind === kind);
  const producerHpa = (objs: KubernetesObject[]) =>
    byKind<V2HorizontalPodAutoscaler>(objs, 'HorizontalPodAutoscaler').find((h) => h.metadata!.name === 'test-producer')!;

  test('the Producer API runs at least 2 replicas even where the spec asks for 1, and the raise is said', () => {
    const asked = pipeline({ dau: 20_000, producer: { minReplicas: 1, maxReplicas: 1 } });
    const r = render(asked, FULL);
    expect(producerHpa(r.objects).spec).toMatchObject({ minReplicas: 2, maxReplicas: 2 });
    expect(r.components.producer!.replicas).toEqual({ min: 2, max: 2 });
    expect(r.adjusted).toEqual([
      'producer.minReplicas 1 and maxReplicas 1 raised to 2: a production Producer API runs at least 2 replicas, so that a node drain or a lost node never stops ingestion',
    ]);
    // fixed replicas (engine none) too
    const fixed = render(pipeline({ dau: 20_000, producer: { minReplicas: 1 }, autoscaling: { engine: 'none' } }), FULL);
    expect(deployments(fixed.objects)[0]!.spec!.replicas).toBe(2);
    expect(fixed.adjusted).toEqual([
      'producer.minReplicas 1 raised to 2: a production Producer API runs at least 2 replicas, so that a node drain or a lost node never stops ingestion',
    ]);
    // nothing to say where the spec asks for no fewer, nor outside production
    expect(render(pipeline({ dau: 20_000 }), FULL).adjusted).toEqual([]);
    expect(render(pipeline({ dau: 20_000, environment: 'uat', producer: { minReplicas: 1, maxReplicas: 1 } }), FULL).adjusted).toEqual([]);
  });

  test('every workload spreads over nodes and zones counting only its own pods: preferred (ScheduleAnyway), except a production Producer API across nodes', () => {
    const spreadOf = (env: 'production' | 'uat'): Record<string, { selector: unknown; spread: unknown }> =>
      Object.fromEntries(
        deployments(render(pipeline({ dau: 20_000, environment: env }), FULL).objects).map((d) => [
          d.metadata!.labels!['app.kubernetes.io/component'],
          { selector: d.spec!.selector.matchLabels, spread: d.spec!.template.spec!.topologySpreadConstraints },
        ]),
      );
    const preferred = (selector: unknown) => [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
    ];
    const production = spreadOf('production');
    expect(Object.keys(production).sort()).toEqual(['consumer-common', 'consumer-events', 'consumer-sms', 'producer']);
    for (const [component, { selector, spread }] of Object.entries(production)) {
      if (component !== 'producer') expect(spread).toEqual(preferred(selector));
    }
    // Two producers on one node would both go with it: across nodes a rule, cordoned and tainted nodes not counted.
    const producer = production.producer!;
    expect(producer.spread).toEqual([
      preferred(producer.selector)[0],
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'DoNotSchedule',
        nodeTaintsPolicy: 'Honor',
        labelSelector: { matchLabels: producer.selector },
      },
    ]);
    for (const { selector, spread } of Object.values(spreadOf('uat'))) expect(spread).toEqual(preferred(selector));
    // a spec's own list replaces the default
    const own = [{ maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' as const }];
    const custom = deployments(render(pipeline({ dau: 20_000, producer: { topologySpreadConstraints: own } }), FULL).objects);
    expect(custom.find((d) => d.metadata!.name!.endsWith('producer'))!.spec!.template.spec!.topologySpreadConstraints).toEqual(own);
  });

  test('every Deployment has a disruption budget allowing one eviction at a time, which never holds a drain on a pod that is not ready anyway', () => {
    const objs = render(pipeline({ dau: 20_000 }), FULL).objects;
    const pdbs = byKind<V1PodDisruptionBudget>(objs, 'PodDisruptionBudget');
    expect(pdbs.map((b) => b.metadata!.name).sort()).toEqual(
      deployments(objs)
        .map((d) => d.metadata!.name)
        .sort(),
    );
    for (const d of deployments(objs)) {
      const pdb = pdbs.find((b) => b.metadata!.name === d.metadata!.name)!;
      expect(pdb.spec).toEqual({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector: { matchLabels: d.spec!.selector.matchLabels } });
    }
  });
});

describe('render: the Producer API rate limit', () => {
  const producerEnv = (p: SyncPipeline) => envMap(deployments(render(p, FULL).objects).find((d) => d.metadata!.name === 'test-producer')!);
  const RATE_VARS = [ENV.rateLimitRequestsPerSecond, ENV.rateLimitBurst, ENV.rateLimitOverrides, ENV.rateLimitReplicas];

  test('off by default: none of its variables is set', () => {
    const env = producerEnv(pipeline());
    for (const name of RATE_VARS) expect(env[name]).toBeUndefined();
  });

  test('the limit, its overrides by client id and the replica count that shares it (minReplicas after the production floor)', () => {
    const env = producerEnv(
      pipeline({
        producer: {
          minReplicas: 3,
          maxReplicas: 6,
          rateLimit: { requestsPerSecond: 30, burst: 60, overrides: [{ clientId: 'big-client', requestsPerSecond: 300, burst: 600 }] },
        },
      }),
    );
    expect(env[ENV.rateLimitRequestsPerSecond]).toBe('30');
    expect(env[ENV.rateLimitBurst]).toBe('60');
    expect(JSON.parse(env[ENV.rateLimitOverrides] as string)).toEqual({ 'big-client': { requestsPerSecond: 300, burst: 600 } });
    expect(env[ENV.rateLimitReplicas]).toBe('3');
    // raised to the production floor of 2, the hint follows the replicas actually run
    expect(producerEnv(pipeline({ dau: 20_000, producer: { minReplicas: 1, rateLimit: { requestsPerSecond: 5, burst: 5 } } }))[ENV.rateLimitReplicas]).toBe(
      '2',
    );
  });

  test('no overrides: no overrides variable; consumers get none of the variables', () => {
    const objs = render(pipeline({ producer: { rateLimit: { requestsPerSecond: 5, burst: 10 } } }), FULL).objects;
    const byName = new Map(deployments(objs).map((d) => [d.metadata!.name!, envMap(d)]));
    expect(byName.get('test-producer')![ENV.rateLimitOverrides]).toBeUndefined();
    for (const [name, env] of byName) if (name !== 'test-producer') for (const v of RATE_VARS) expect(env[v]).toBeUndefined();
  });
});
