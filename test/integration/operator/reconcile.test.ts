// The operator against a real kube-apiserver, running as a separate process under the RBAC of
// config/rbac (impersonating its ServiceAccount). No kubelet runs here: where a test needs pods
// ready or topics ready, it writes the Deployment or KafkaTopic status the way the kubelet /
// Deployment controller or the Strimzi topic operator would (simulateDeploymentsReady,
// simulateKafkaTopicsReady).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import type { SyncPipeline } from '../../../operator/api/v1alpha1.js';
import { render } from '../../../operator/model/render.js';
import { CALIBRATION } from '../../../operator/model/sizing/capacity.js';
import { isSubset } from '../../../operator/controller/diff.js';
import { pipeline } from '../../support/fixtures.js';
import { installPipelineCrd, installUpstreamCrds } from '../../support/kube.js';
import { OperatorProcess } from '../../support/operator-process.js';
import {
  apiServerWrites,
  auditLogSize,
  operatorUser,
  writesBy,
  createSecret,
  kubectlApply,
  kubectlRun,
  prepareOperatorNamespace,
  simulateDeploymentsReady,
  simulateMigrationSucceeded,
  teardownOperatorNamespace,
  simulateKafkaTopicsReady,
} from '../../support/operator-env.js';
import { markJobFailed, unfinishedJobs } from '../../support/job-runner.js';
import { requireKube, testKubeConfig } from '../../support/services.js';
import { sleep, waitFor } from '../../support/wait.js';

let kc: k8s.KubeConfig;
let objects: k8s.KubernetesObjectApi;
let ns: string;
let operator: OperatorProcess;
const NAME = 'acme';
const CAPS = { keda: true, podMonitor: true, kafkaTopicApiVersion: 'kafka.strimzi.io/v1' as const };
const WRITE_RESOURCES = [
  'jobs',
  'cronjobs',
  'triggerauthentications',
  'podmonitors',
  'deployments',
  'services',
  'serviceaccounts',
  'poddisruptionbudgets',
  'horizontalpodautoscalers',
  'ingresses',
  'scaledobjects',
  'kafkatopics',
  'syncpipelines',
  'events',
];

function spec(overrides: Partial<SyncPipeline['spec']> = {}): SyncPipeline {
  const p = pipeline(
    {
      dau: 60_000,
      region: 'other',
      kafka: { bootstrapServers: ['kafka-bootstrap:9092'], topicManagement: { mode: 'strimzi', strimziClusterName: 'test-kafka' } },
      ...overrides,
    },
    NAME,
  );
  return { ...p, metadata: { name: NAME, namespace: ns } };
}

async function live(): Promise<SyncPipeline> {
  return (await objects.read({
    apiVersion: 'mobileforge.credeau.com/v1alpha1',
    kind: 'MobileForgeSyncPipeline',
    metadata: { name: NAME, namespace: ns },
  })) as unknown as SyncPipeline;
}

async function read<T extends k8s.KubernetesObject>(apiVersion: string, kind: string, name: string): Promise<T | undefined> {
  try {
    return (await objects.read({ apiVersion, kind, metadata: { name, namespace: ns } })) as T;
  } catch {
    return undefined;
  }
}

const condition = (p: SyncPipeline, type: string) => p.status?.conditions?.find((c) => c.type === type);

/** Every object the model wants exists with every field the model sets. */
async function childrenMatch(p: SyncPipeline): Promise<string[]> {
  const mismatched: string[] = [];
  for (const o of render(p, { capabilities: CAPS }).objects) {
    const got = await read(o.apiVersion!, o.kind!, o.metadata!.name!);
    // The pod-template hash annotation depends on Secret contents; compared in its own test.
    const want = structuredClone(o) as k8s.KubernetesObject & { spec?: { template?: { metadata?: { annotations?: unknown } } } };
    if (want.spec?.template?.metadata) delete want.spec.template.metadata.annotations;
    if (!got || !isSubset(JSON.parse(JSON.stringify(want)), JSON.parse(JSON.stringify(got)))) mismatched.push(`${o.kind}/${o.metadata!.name}`);
  }
  return mismatched;
}

beforeAll(async () => {
  kc = await requireKube(testKubeConfig());
  objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  await installPipelineCrd(kc);
  await installUpstreamCrds(kc);
  const prepared = await prepareOperatorNamespace(kc, 'operator');
  ns = prepared.ns;
  operator = await OperatorProcess.start({ namespace: ns, kubeconfig: prepared.kubeconfig });
}, 60000);

afterAll(() => teardownOperatorNamespace(kc, ns, [operator]));

describe('the operator', () => {
  test('create: every child appears with the right spec, and `kubectl get syncpipelines` shows it healthy', async () => {
    kubectlApply(spec());
    // First the schema migration: its Job exists, the workloads wait for it.
    const job = await waitFor('the migration Job', () => unfinishedJobs(kubectlRun, ns, NAME)[0]);
    expect(job).toBe(render(spec(), { capabilities: CAPS }).migrationJob);
    const waiting = await waitFor('Migration=False', async () => {
      const got = await live();
      return condition(got, 'Migration') ? got : undefined;
    });
    expect(condition(waiting, 'Migration')).toMatchObject({ status: 'False', reason: 'MigrationPending' });
    expect(condition(waiting, 'Ready')).toMatchObject({ status: 'False', reason: 'MigrationPending' });
    expect(waiting.status?.migration).toMatchObject({ job, phase: 'Pending' });
    await sleep(1500);
    expect(kubectlRun(['get', 'deployments,cronjobs', '-n', ns, '-o', 'name']).trim()).toBe('');
    expect(await read('autoscaling/v2', 'HorizontalPodAutoscaler', `${NAME}-producer`)).toBeDefined(); // not gated

    await simulateMigrationSucceeded(ns, NAME);
    const p = await waitFor('the pipeline to have a uid and children', async () => {
      const got = await live();
      return (await childrenMatch(got)).length === 0 ? got : undefined;
    });
    expect(await childrenMatch(p)).toEqual([]);
    expect(condition(await live(), 'Ready')?.status).toBe('False');

    simulateDeploymentsReady(ns, NAME);
    simulateKafkaTopicsReady(ns, NAME);
    const ready = await waitFor('Ready=True', async () => {
      const got = await live();
      return condition(got, 'Ready')?.status === 'True' ? got : undefined;
    });
    // Every Deployment at its autoscaler's minimum, where the stand-in raised it as the HPA
    // controller would (Ready waits for that): 3 producers and 3 + 2 + 2 consumers at 60K DAU.
    const { producer, ...consumers } = render(spec(), { capabilities: CAPS }).components;
    const producerFloor = producer!.replicas.min;
    const consumerFloor = Object.values(consumers).reduce((n, c) => n + c!.replicas.min, 0);
    expect([producerFloor, consumerFloor]).toEqual([3, 7]);
    expect(ready.status).toMatchObject({
      observedGeneration: ready.metadata.generation,
      tier: '75k',
      producers: `${producerFloor}/${producerFloor}`,
      consumers: `${consumerFloor}/${consumerFloor}`,
      autoscalingEngine: 'keda',
    });
    expect(ready.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      'Ready=True',
      'Reconciling=False',
      'Paused=False',
      'Migration=True',
      'Producer=True',
      'SmsConsumer=True',
      'EventsConsumer=True',
      'CommonConsumer=True',
      'Topics=True',
      'Autoscaling=True',
      'PartitionMaintenance=True',
      'Lagging=Unknown',
      'OverProvisioned=False',
    ]);
    // This pipeline's brokers do not exist here: its lag cannot be read, which Ready does not depend on.
    expect(condition(ready, 'Lagging')).toMatchObject({
      reason: 'LagUnreadable',
      message: expect.stringMatching(/^cannot read consumer lag: cannot reach Kafka at kafka-bootstrap:9092: /),
    });
    expect(ready.status?.calibration).toBe(CALIBRATION.version);
    expect(ready.status?.migration).toMatchObject({ job, phase: 'Succeeded', completionTime: expect.any(String) });
    expect(ready.status?.partitionMaintenance).toEqual({ cronJob: `${NAME}-partitions`, schedule: '15 0 * * *', suspended: false, active: 0 });
    const table = kubectlRun(['get', 'syncpipelines', '-n', ns]);
    expect(table).toMatch(/^NAME\s+DAU\s+TIER\s+ENV\s+READY\s+PRODUCERS\s+CONSUMERS\s+LAG\s+AGE\n/);
    expect(table).toMatch(
      new RegExp(`acme\\s+60000\\s+75k\\s+production\\s+True\\s+${producerFloor}/${producerFloor}\\s+${consumerFloor}/${consumerFloor}\\s+\\d+s`),
    );
    const events = kubectlRun(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${NAME}`, '-o', 'jsonpath={.items[*].reason}']);
    expect(events).toContain('Created');
  });

  test('change dau: replica ranges and partitions follow; an autoscaler-set replica count survives', async () => {
    kubectlRun(['scale', 'deployment', `${NAME}-consumer-sms`, '-n', ns, '--replicas=7']);
    kubectlApply(spec({ dau: 180_000 }));
    // above the ladder: the 100K rung (the calibrated need is smaller), sms_batched at its seed 16
    await waitFor('ranges for 200k', async () => {
      const hpa = await read<k8s.V2HorizontalPodAutoscaler>('autoscaling/v2', 'HorizontalPodAutoscaler', `${NAME}-producer`);
      const so = await read<k8s.KubernetesObject & { spec: { minReplicaCount: number; maxReplicaCount: number } }>(
        'keda.sh/v1alpha1',
        'ScaledObject',
        `${NAME}-consumer-sms`,
      );
      const kt = await read<k8s.KubernetesObject & { spec: { partitions: number } }>('kafka.strimzi.io/v1', 'KafkaTopic', `${NAME}-sms-batched`);
      return (
        hpa?.spec?.minReplicas === 4 &&
        hpa.spec.maxReplicas === 10 &&
        so?.spec.minReplicaCount === 4 &&
        so.spec.maxReplicaCount === 16 &&
        kt?.spec.partitions === 16
      );
    });
    await sleep(5000); // two resyncs
    const sms = await read<k8s.V1Deployment>('apps/v1', 'Deployment', `${NAME}-consumer-sms`);
    expect(sms?.spec?.replicas).toBe(7);
    expect((await live()).status?.tier).toBe('200k (above the ladder)');
  });

  test('a child deleted or edited by hand is restored; a field someone else manages survives', async () => {
    kubectlRun(['delete', 'service', `${NAME}-producer`, '-n', ns]);
    kubectlRun(['set', 'image', `deployment/${NAME}-producer`, '-n', ns, 'producer=evil/image:latest']);
    kubectlRun(['annotate', `deployment/${NAME}-producer`, '-n', ns, 'team.example.com/owner=data-platform']);
    await waitFor('service and image restored', async () => {
      const svc = await read('v1', 'Service', `${NAME}-producer`);
      const d = await read<k8s.V1Deployment>('apps/v1', 'Deployment', `${NAME}-producer`);
      return svc && d?.spec?.template.spec?.containers[0]?.image === 'registry.example.com/mobileforge/sync-workload:0.1.0' ? d : undefined;
    });
    await sleep(3000);
    const d = await read<k8s.V1Deployment>('apps/v1', 'Deployment', `${NAME}-producer`);
    expect(d?.metadata?.annotations?.['team.example.com/owner']).toBe('data-platform');
  });

  test('a crash-looping pod or a Deployment past its progress deadline: Stalled (Argo CD Degraded) until it clears', async () => {
    simulateDeploymentsReady(ns, NAME);
    await waitFor('Ready=True', async () => condition(await live(), 'Ready')?.status === 'True');
    // What the kubelet reports for a consumer whose process keeps exiting.
    const pod = `${NAME}-consumer-sms-7d9f-x2k4q`;
    kubectlApply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: pod,
        namespace: ns,
        labels: { 'app.kubernetes.io/managed-by': 'mobileforge-operator', 'app.kubernetes.io/instance': NAME, 'app.kubernetes.io/component': 'consumer-sms' },
      },
      spec: { containers: [{ name: 'consumer', image: 'registry.example.com/mobileforge/sync-workload:0.1.0' }] },
    });
    const crashing = {
      name: 'consumer',
      image: 'registry.example.com/mobileforge/sync-workload:0.1.0',
      imageID: '',
      ready: false,
      restartCount: 6,
      state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } },
      lastState: { terminated: { exitCode: 2, reason: 'Error' } },
    };
    kubectlRun(['patch', 'pod', pod, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { containerStatuses: [crashing] } })]);
    const stalled = await waitFor('Stalled=True', async () => {
      const got = await live();
      return condition(got, 'Stalled')?.status === 'True' ? got : undefined;
    });
    expect(condition(stalled, 'Stalled')).toMatchObject({ reason: 'CrashLoopBackOff' });
    expect(condition(stalled, 'Stalled')?.message).toContain(`SmsConsumer: pod ${pod} container consumer: CrashLoopBackOff (6 restarts, last exit code 2`);
    expect(condition(stalled, 'SmsConsumer')).toMatchObject({ status: 'False', reason: 'CrashLoopBackOff' });
    expect(condition(stalled, 'Ready')).toMatchObject({ status: 'False', reason: 'CrashLoopBackOff' });

    kubectlRun(['delete', 'pod', pod, '-n', ns, '--wait=false']);
    await waitFor('Stalled gone, Ready=True', async () => {
      const got = await live();
      return !condition(got, 'Stalled') && condition(got, 'Ready')?.status === 'True';
    });

    // What the Deployment controller reports about the producer's rollout.
    const setProgressing = (status: string, reason: string) =>
      kubectlRun([
        'patch',
        'deployment',
        `${NAME}-producer`,
        '-n',
        ns,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { conditions: [{ type: 'Progressing', status, reason, message: `ReplicaSet "${NAME}-producer-5c8d" ${reason}` }] } }),
      ]);
    setProgressing('False', 'ProgressDeadlineExceeded');
    const deadline = await waitFor('Stalled=True (deadline)', async () => {
      const got = await live();
      return condition(got, 'Stalled')?.reason === 'ProgressDeadlineExceeded' ? got : undefined;
    });
    expect(condition(deadline, 'Producer')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    setProgressing('True', 'NewReplicaSetAvailable');
    await waitFor('Stalled gone after the rollout completes', async () => !condition(await live(), 'Stalled'));
  });

  test('region → india prunes the contacts and call-logs topics and triggers', async () => {
    kubectlApply(spec({ dau: 180_000, region: 'india' }));
    await waitFor(
      'contacts/call-logs KafkaTopics gone',
      async () =>
        !(await read('kafka.strimzi.io/v1', 'KafkaTopic', `${NAME}-contacts-batched`)) &&
        !(await read('kafka.strimzi.io/v1', 'KafkaTopic', `${NAME}-call-logs-batched`)),
    );
    const so = await read<k8s.KubernetesObject & { spec: { triggers: { metadata: { topic?: string } }[] } }>(
      'keda.sh/v1alpha1',
      'ScaledObject',
      `${NAME}-consumer-common`,
    );
    expect(so?.spec.triggers.map((t) => t.metadata.topic).filter(Boolean)).toEqual(['apps_and_device_batched', 'usage_audit']);
    const common = await read<k8s.V1Deployment>('apps/v1', 'Deployment', `${NAME}-consumer-common`);
    expect(common?.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === 'ENABLED_TOPICS')?.value).toBe('apps_and_device_batched,usage_audit');
    expect(await read('kafka.strimzi.io/v1', 'KafkaTopic', `${NAME}-sms-batched`)).toBeDefined();
  });

  test('a referenced Secret changing rolls the pods (pod-template hash)', async () => {
    const hashOf = async () =>
      (await read<k8s.V1Deployment>('apps/v1', 'Deployment', `${NAME}-consumer-sms`))?.spec?.template.metadata?.annotations?.[
        'mobileforge.credeau.com/config-hash'
      ];
    const before = await hashOf();
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    createSecret(ns, 'mongo-creds', { username: 'mobileforge', password: 'rotated' });
    const after = await waitFor('a new config hash', async () => {
      const h = await hashOf();
      return h !== before ? h : undefined;
    });
    expect(after).toMatch(/^[0-9a-f]{16}$/);
  });

  test('a ConfigMap read through extra env changing rolls the pods too', async () => {
    const hashOf = async () =>
      (await read<k8s.V1Deployment>('apps/v1', 'Deployment', `${NAME}-consumer-sms`))?.spec?.template.metadata?.annotations?.[
        'mobileforge.credeau.com/config-hash'
      ];
    kubectlApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sms-flags', namespace: ns }, data: { flags: 'beta=off' } });
    const before = await hashOf();
    kubectlApply(
      spec({
        dau: 180_000,
        region: 'india',
        consumers: { sms: { env: [{ name: 'FEATURE_FLAGS', valueFrom: { configMapKeyRef: { name: 'sms-flags', key: 'flags' } } }] } },
      }),
    );
    const referenced = await waitFor('the hash to include the ConfigMap', async () => {
      const h = await hashOf();
      return h !== before ? h : undefined;
    });
    kubectlApply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sms-flags', namespace: ns }, data: { flags: 'beta=on' } });
    await waitFor('a new config hash after the ConfigMap changed', async () => (await hashOf()) !== referenced);
    kubectlApply(spec({ dau: 180_000, region: 'india' }));
    await waitFor('back to the hash without the ConfigMap', async () => (await hashOf()) === before);
  });

  test('a new image migrates first: Deployments keep the old image until the new Job succeeds; a failed one is Degraded', async () => {
    const image = (d: k8s.V1Deployment | undefined) => d?.spec?.template.spec?.containers[0]?.image;
    const v2 = spec({ dau: 180_000, region: 'india', image: { repository: 'registry.example.com/mobileforge/sync-workload', tag: '0.2.0' } });
    const oldJob = render(spec({ dau: 180_000, region: 'india' }), { capabilities: CAPS }).migrationJob;
    const newJob = render(v2, { capabilities: CAPS }).migrationJob;
    expect(newJob).not.toBe(oldJob);
    kubectlApply(v2);
    await waitFor('the new migration Job, the old one pruned', () => {
      const jobs = kubectlRun(['get', 'jobs', '-n', ns, '-o', 'name']).trim().split('\n');
      return jobs.includes(`job.batch/${newJob}`) && !jobs.includes(`job.batch/${oldJob}`);
    });
    await sleep(2000);
    expect(image(await read('apps/v1', 'Deployment', `${NAME}-producer`))).toBe('registry.example.com/mobileforge/sync-workload:0.1.0');
    expect((await read<k8s.V1CronJob>('batch/v1', 'CronJob', `${NAME}-partitions`))?.spec?.jobTemplate.spec?.template.spec?.containers[0]?.image).toBe(
      'registry.example.com/mobileforge/sync-workload:0.1.0',
    );

    markJobFailed(kubectlRun, ns, newJob);
    const failed = await waitFor('Ready=False MigrationFailed', async () => {
      const got = await live();
      return condition(got, 'Ready')?.reason === 'MigrationFailed' ? got : undefined;
    });
    expect(condition(failed, 'Migration')?.message).toContain('BackoffLimitExceeded');
    expect(failed.status?.migration?.phase).toBe('Failed');
    expect(image(await read('apps/v1', 'Deployment', `${NAME}-producer`))).toBe('registry.example.com/mobileforge/sync-workload:0.1.0');
    await waitFor('a MigrationFailed event', () =>
      kubectlRun(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${NAME}`, '-o', 'jsonpath={.items[*].reason}']).includes(
        'MigrationFailed',
      ),
    );

    // Retry, as docs/operator.md tells users: delete the failed Job; the operator runs it again.
    kubectlRun(['delete', 'job', newJob, '-n', ns, '--wait=true']);
    await waitFor('the Job re-created', () => unfinishedJobs(kubectlRun, ns, NAME).includes(newJob));
    await simulateMigrationSucceeded(ns, NAME);
    await waitFor(
      'Deployments and CronJob on the new image',
      async () =>
        image(await read('apps/v1', 'Deployment', `${NAME}-producer`)) === 'registry.example.com/mobileforge/sync-workload:0.2.0' &&
        (await read<k8s.V1CronJob>('batch/v1', 'CronJob', `${NAME}-partitions`))?.spec?.jobTemplate.spec?.template.spec?.containers[0]?.image ===
          'registry.example.com/mobileforge/sync-workload:0.2.0',
    );
    expect((await live()).status?.migration).toMatchObject({ job: newJob, phase: 'Succeeded' });

    // Back to the image the other tests use (its migration runs again: the old Job was pruned).
    kubectlApply(spec({ dau: 180_000, region: 'india' }));
    await simulateMigrationSucceeded(ns, NAME);
    await waitFor(
      'Deployments back on 0.1.0',
      async () => image(await read('apps/v1', 'Deployment', `${NAME}-producer`)) === 'registry.example.com/mobileforge/sync-workload:0.1.0',
    );
  });

  test('SASL and a private CA: a TriggerAuthentication lets KEDA read lag; pruned when no longer needed', async () => {
    type So = k8s.KubernetesObject & { spec: { triggers: { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[] } };
    const kafkaTriggers = async () =>
      (await read<So>('keda.sh/v1alpha1', 'ScaledObject', `${NAME}-consumer-sms`))?.spec.triggers.filter((t) => t.type === 'kafka') ?? [];
    const secured = {
      bootstrapServers: ['kafka-bootstrap:9093'],
      topicManagement: { mode: 'strimzi' as const, strimziClusterName: 'test-kafka' },
      tls: { enabled: true, caSecretRef: { name: 'kafka-ca' } },
      sasl: { mechanism: 'scram-sha-512' as const, credentialsSecretRef: { name: 'kafka-user' } },
    };
    kubectlApply(spec({ dau: 180_000, region: 'india', kafka: secured }));
    const ta = await waitFor('the TriggerAuthentication', () =>
      read<k8s.KubernetesObject & { spec: { secretTargetRef: { parameter: string; name: string }[] } }>(
        'keda.sh/v1alpha1',
        'TriggerAuthentication',
        `${NAME}-kafka`,
      ),
    );
    expect(ta.spec.secretTargetRef.map((r) => `${r.parameter}=${r.name}`)).toEqual(['username=kafka-user', 'password=kafka-user', 'ca=kafka-ca']);
    await waitFor('triggers using it', async () =>
      (await kafkaTriggers()).every((t) => t.authenticationRef?.name === `${NAME}-kafka` && t.metadata.sasl === 'scram_sha512'),
    );

    kubectlApply(spec({ dau: 180_000, region: 'india' }));
    await waitFor(
      'the TriggerAuthentication pruned, triggers plain again',
      async () =>
        !(await read('keda.sh/v1alpha1', 'TriggerAuthentication', `${NAME}-kafka`)) &&
        (await kafkaTriggers()).every((t) => !t.authenticationRef && !t.metadata.sasl),
    );
  });

  test('monitoring.podMonitor: a PodMonitor while asked for, pruned after', async () => {
    kubectlApply(spec({ dau: 180_000, region: 'india', monitoring: { podMonitor: { enabled: true, labels: { release: 'prom' } } } }));
    const pm = await waitFor('the PodMonitor', () =>
      read<k8s.KubernetesObject & { spec: { podMetricsEndpoints: { port: string }[] } }>('monitoring.coreos.com/v1', 'PodMonitor', `${NAME}-workloads`),
    );
    expect(pm.metadata?.labels?.release).toBe('prom');
    expect(pm.spec.podMetricsEndpoints.map((e) => e.port)).toEqual(['metrics']);
    await waitFor('Monitoring=True', async () => condition(await live(), 'Monitoring')?.status === 'True');
    kubectlApply(spec({ dau: 180_000, region: 'india' }));
    await waitFor(
      'the PodMonitor pruned, the condition gone',
      async () => !(await read('monitoring.coreos.com/v1', 'PodMonitor', `${NAME}-workloads`)) && !condition(await live(), 'Monitoring'),
    );
  });

  test('pause stops all writes; unpause resumes', async () => {
    kubectlApply(spec({ dau: 180_000, region: 'india', paused: true }));
    await waitFor('Paused=True', async () => condition(await live(), 'Paused')?.status === 'True');
    const writes = await operator.metric('mobileforge_api_write_requests_total');
    kubectlApply(spec({ dau: 40_000, region: 'india', paused: true }));
    await sleep(5000);
    expect((await read<k8s.V2HorizontalPodAutoscaler>('autoscaling/v2', 'HorizontalPodAutoscaler', `${NAME}-producer`))?.spec?.minReplicas).toBe(4);
    expect(await operator.metric('mobileforge_api_write_requests_total')).toBe(writes);

    kubectlApply(spec({ dau: 40_000, region: 'india' }));
    await waitFor(
      'HPA at the 50k rung',
      async () => (await read<k8s.V2HorizontalPodAutoscaler>('autoscaling/v2', 'HorizontalPodAutoscaler', `${NAME}-producer`))?.spec?.minReplicas === 2,
    );
    await waitFor('Paused=False', async () => condition(await live(), 'Paused')?.status === 'False');
  });

  test('idle for 30 s with resyncs every 2 s: zero write requests', async () => {
    simulateDeploymentsReady(ns, NAME);
    simulateKafkaTopicsReady(ns, NAME);
    await waitFor('converged', async () => {
      const p = await live();
      return condition(p, 'Ready')?.status === 'True' && condition(p, 'Reconciling')?.status === 'False';
    }).catch(async (err: unknown) => {
      throw new Error(`${String(err)}\nstatus: ${JSON.stringify((await live()).status?.conditions, null, 1)}`);
    });
    await sleep(3000);
    const reconcilesBefore = await operator.metric('mobileforge_reconcile_total');
    const operatorWritesBefore = await operator.metric('mobileforge_api_write_requests_total');
    // What the API server saw, by the operator's identity (its audit log; other suites' and the
    // garbage collector's writes land on the same server). Without the log (an external API
    // server), every client's writes to the operator's kinds are counted.
    const auditFrom = auditLogSize();
    const serverWritesBefore = apiServerWrites(WRITE_RESOURCES);
    const statusBefore = JSON.stringify((await live()).status, null, 1);
    await sleep(30000);
    // (Its Lease renewals are the leader's heartbeat, not writes of the pipeline's.)
    if (auditFrom !== undefined) {
      const writes = writesBy(operatorUser(ns), auditFrom).filter((w) => !/^\S+ leases\//.test(w));
      // A status rewrite says why in what changed: show both sides.
      if (writes.length) expect({ writes, status: JSON.stringify((await live()).status, null, 1) }).toEqual({ writes: [], status: statusBefore });
    } else expect(apiServerWrites(WRITE_RESOURCES) - serverWritesBefore).toBe(0);
    expect((await operator.metric('mobileforge_api_write_requests_total')) - operatorWritesBefore).toBe(0);
    expect((await operator.metric('mobileforge_reconcile_total')) - reconcilesBefore).toBeGreaterThanOrEqual(10);
  }, 60000);

  test('/metrics reports reconciles, durations, queue depth, pipelines by Ready and API errors', async () => {
    const text = await operator.metrics();
    for (const name of [
      'mobileforge_reconcile_total',
      'mobileforge_reconcile_duration_seconds_bucket',
      'mobileforge_workqueue_depth',
      'mobileforge_pipelines',
      'mobileforge_api_errors_total',
      'mobileforge_leader',
    ]) {
      expect(text).toContain(name);
    }
    expect(await operator.metric('mobileforge_pipelines', 'ready="True"')).toBe(1);
    expect(await operator.metric('mobileforge_leader')).toBe(1);
  });
});
