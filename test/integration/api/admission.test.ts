// The API as the real kube-apiserver sees it: every rendered object passes a server-side dry
// run (KafkaTopic and ScaledObject against the upstream CRDs), the samples are accepted, and
// every invalid pipeline is rejected at admission with the message the offline validator gives.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { render } from '../../../operator/model/render.js';
import { RULE_MESSAGES, type SyncPipeline } from '../../../operator/api/v1alpha1.js';
import { loadSample, pipeline, SAMPLE_NAMES, samplePath } from '../../support/fixtures.js';
import { INVALID_CASES } from '../../support/invalid-pipelines.js';
import { apiCode, apiMessage, createNamespace, deleteNamespace, installPipelineCrd, installUpstreamCrds } from '../../support/kube.js';
import { requireKube, testKubeConfig } from '../../support/services.js';

let kc: k8s.KubeConfig;
let objects: k8s.KubernetesObjectApi;
let ns: string;

beforeAll(async () => {
  kc = await requireKube(testKubeConfig());
  objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  await installPipelineCrd(kc);
  await installUpstreamCrds(kc);
  ns = await createNamespace(kc, 'admission');
});
afterAll(async () => {
  if (ns) await deleteNamespace(kc, ns);
});

/** The pipeline in this suite's namespace, as the operator sees it (with a uid for owner references). */
const inNs = (p: SyncPipeline): SyncPipeline => ({ ...p, metadata: { ...p.metadata, namespace: ns, uid: '6f1f7e0e-8d7b-4a57-9c3b-0a3c2f6a1d10' } });
/** The pipeline as a user submits it. */
const submitted = (p: SyncPipeline): k8s.KubernetesObject => ({ ...p, metadata: { name: p.metadata.name, namespace: ns } });

async function dryRunAll(p: SyncPipeline, version: 'kafka.strimzi.io/v1' | 'kafka.strimzi.io/v1beta2', keda = true): Promise<string[]> {
  const rejected: string[] = [];
  for (const o of render(inNs(p), { capabilities: { keda, podMonitor: true, kafkaTopicApiVersion: version }, configHash: 'sha256-test' }).objects) {
    try {
      await objects.create(o, undefined, 'All');
    } catch (err) {
      rejected.push(`${o.kind}/${o.metadata?.name}: ${apiMessage(err)}`);
    }
  }
  return rejected;
}

const variants: [string, SyncPipeline][] = [
  ...SAMPLE_NAMES.map((n) => [`${n} sample`, loadSample(n)] as [string, SyncPipeline]),
  ['engine hpa', pipeline({ autoscaling: { engine: 'hpa' } })],
  ['engine none', pipeline({ autoscaling: { engine: 'none' } })],
  [
    'strimzi, other region, extrapolated 1M DAU',
    pipeline({
      dau: 1_000_000,
      kafka: { bootstrapServers: ['k:9092'], topicManagement: { mode: 'strimzi', strimziClusterName: 'c', deleteTopicsOnDeletion: true } },
    }),
  ],
  [
    'every override',
    pipeline({
      monitoring: { podMonitor: { enabled: true, interval: '15s', labels: { release: 'kube-prometheus-stack' } } },
      producer: {
        minReplicas: 2,
        maxReplicas: 4,
        nodeSelector: { pool: 'sync' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'sync', effect: 'NoSchedule' }],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['sync'] }] }] },
          },
        },
        topologySpreadConstraints: [{ maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule' }],
        env: [
          { name: 'LOG_LEVEL', value: 'debug' },
          { name: 'EXTRA_TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        ],
        podAnnotations: { 'prometheus.io/scrape': 'true' },
        podLabels: { team: 'data' },
        service: { type: 'NodePort', port: 8080 },
        resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: 1, memory: '1Gi' } },
      },
    }),
  ],
];

describe('every rendered object passes a server-side dry run', () => {
  test.each(variants)('%s (KafkaTopic v1)', async (_name, p) => {
    expect(await dryRunAll(p, 'kafka.strimzi.io/v1')).toEqual([]);
  });
  test.each(variants.filter(([n]) => n.includes('strimzi') || n.includes('uat') || n.includes('production')))('%s (KafkaTopic v1beta2)', async (_name, p) => {
    expect(await dryRunAll(p, 'kafka.strimzi.io/v1beta2')).toEqual([]);
  });
  test('without KEDA (HPA fallback)', async () => {
    expect(await dryRunAll(loadSample('production'), 'kafka.strimzi.io/v1', false)).toEqual([]);
  });
});

describe('admission of pipelines', () => {
  test('the samples are accepted, and `kubectl get syncpipelines` shows the columns', async () => {
    for (const name of SAMPLE_NAMES) {
      execFileSync(process.env.KUBECTL!, ['apply', '--server-side', '--field-manager=tests', '-n', ns, '-f', samplePath(name)], { env: process.env });
    }
    const table = execFileSync(process.env.KUBECTL!, ['get', 'syncpipelines', '-n', ns], { env: process.env, encoding: 'utf8' });
    expect(table.split('\n')[0]).toMatch(/^NAME\s+DAU\s+TIER\s+ENV\s+READY\s+PRODUCERS\s+CONSUMERS\s+LAG\s+AGE$/);
    expect(table).toMatch(/acme\s+180000\s+production/);
    expect(execFileSync(process.env.KUBECTL!, ['get', 'mfsp', '-n', ns, '-o', 'name'], { env: process.env, encoding: 'utf8' }).trim().split('\n')).toHaveLength(
      3,
    );
  });

  test('`kubectl explain` teaches the API from the schema descriptions', () => {
    const out = execFileSync(process.env.KUBECTL!, ['explain', 'syncpipeline.spec.kafka.topicManagement.mode'], { env: process.env, encoding: 'utf8' });
    expect(out).toContain('Who creates the topics');
  });

  test.each(INVALID_CASES)('rejects: $name', async ({ doc, message }) => {
    const err = await objects.create(submitted(doc)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeDefined();
    expect(apiCode(err)).toBe(422);
    expect(apiMessage(err)).toMatch(message);
  });

  test('the topic prefix cannot change once set (the server evaluates the same transition rule)', async () => {
    const p = submitted(pipeline({ kafka: { bootstrapServers: ['k:9092'], topicPrefix: 'dev.' } }, 'fixed-prefix')) as SyncPipeline;
    await objects.create(p as k8s.KubernetesObject);
    const moved = { ...p, spec: { ...p.spec, kafka: { ...p.spec.kafka, topicPrefix: 'uat.' } } };
    const err = await objects.patch(moved as k8s.KubernetesObject, undefined, undefined, 'tests', true, k8s.PatchStrategy.ServerSideApply).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(apiCode(err)).toBe(422);
    expect(apiMessage(err)).toContain(RULE_MESSAGES.topicPrefixImmutable);
  });

  test('partitions never decrease once set', async () => {
    const p = submitted(pipeline({ kafka: { bootstrapServers: ['k:9092'], topics: { sms_batched: { partitions: 32 } } } }, 'grow-only')) as SyncPipeline;
    await objects.create(p as k8s.KubernetesObject);
    const lower = { ...p, spec: { ...p.spec, kafka: { ...p.spec.kafka, topics: { sms_batched: { partitions: 24 } } } } };
    const err = await objects.patch(lower as k8s.KubernetesObject, undefined, undefined, 'tests', true, k8s.PatchStrategy.ServerSideApply).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(apiCode(err)).toBe(422);
    expect(apiMessage(err)).toContain('partitions can never decrease');
    expect(apiMessage(err)).not.toContain('immutable');
    const higher = { ...p, spec: { ...p.spec, kafka: { ...p.spec.kafka, topics: { sms_batched: { partitions: 40 } } } } };
    await expect(objects.patch(higher as k8s.KubernetesObject, undefined, undefined, 'tests', true, k8s.PatchStrategy.ServerSideApply)).resolves.toBeDefined();
  });
});
