// Capability discovery against a cluster without KEDA and without Strimzi (their CRDs are
// removed for this suite and installed again afterwards).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import type { SyncPipeline } from '../../../operator/api/v1alpha1.js';
import { pipeline } from '../../support/fixtures.js';
import { installPipelineCrd, installUpstreamCrds } from '../../support/kube.js';
import { OperatorProcess } from '../../support/operator-process.js';
import {
  kubectlApply,
  kubectlRun,
  prepareOperatorNamespace,
  simulateDeploymentsReady,
  simulateMigrationSucceeded,
  teardownOperatorNamespace,
} from '../../support/operator-env.js';
import { requireKube, testKubeConfig } from '../../support/services.js';
import { waitFor } from '../../support/wait.js';

let kc: k8s.KubeConfig;
let ns: string;
let operator: OperatorProcess;

const get = (name: string) => JSON.parse(kubectlRun(['get', 'syncpipeline', name, '-n', ns, '-o', 'json'])) as SyncPipeline;
const cond = (p: SyncPipeline, type: string) => p.status?.conditions?.find((c) => c.type === type);

beforeAll(async () => {
  kc = await requireKube(testKubeConfig());
  await installPipelineCrd(kc);
  kubectlRun(['delete', 'crd', 'scaledobjects.keda.sh', 'triggerauthentications.keda.sh', 'kafkatopics.kafka.strimzi.io', '--ignore-not-found', '--wait=true']);
  await waitFor('KEDA and Strimzi APIs gone from discovery', () => !/keda\.sh|kafka\.strimzi\.io/.test(kubectlRun(['api-versions'])));
  const prepared = await prepareOperatorNamespace(kc, 'caps');
  ns = prepared.ns;
  operator = await OperatorProcess.start({ namespace: ns, kubeconfig: prepared.kubeconfig });
}, 60000);

afterAll(async () => {
  await teardownOperatorNamespace(kc, ns, [operator]);
  await installUpstreamCrds(kc);
});

test('KEDA absent: consumers fall back to HPAs, and the Autoscaling condition says so', async () => {
  const p = pipeline({ kafka: { bootstrapServers: ['k:9092'], topicPrefix: 'no-keda.', topicManagement: { mode: 'unmanaged' } } }, 'no-keda');
  kubectlApply({ ...p, metadata: { name: 'no-keda', namespace: ns } });
  await simulateMigrationSucceeded(ns, 'no-keda');
  await waitFor(
    'four HPAs',
    () => kubectlRun(['get', 'hpa', '-n', ns, '-l', 'app.kubernetes.io/instance=no-keda', '-o', 'name']).trim().split('\n').length === 4,
  );
  const got = await waitFor('the Autoscaling condition', () => cond(get('no-keda'), 'Autoscaling'));
  expect(got).toMatchObject({ status: 'True', reason: 'FallbackToHPA' });
  expect(got.message).toContain('KEDA is not installed');
  expect(get('no-keda').status?.autoscalingEngine).toBe('hpa');
  simulateDeploymentsReady(ns, 'no-keda');
  await waitFor('Ready=True with the fallback', () => cond(get('no-keda'), 'Ready')?.status === 'True');
  expect(kubectlRun(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=no-keda', '-o', 'jsonpath={.items[*].reason}'])).toContain(
    'FallbackToHPA',
  );
});

test('strimzi mode without Strimzi: not Ready, with a clear message', async () => {
  const p = pipeline(
    { kafka: { bootstrapServers: ['k:9092'], topicPrefix: 'no-strimzi.', topicManagement: { mode: 'strimzi', strimziClusterName: 'prod' } } },
    'no-strimzi',
  );
  kubectlApply({ ...p, metadata: { name: 'no-strimzi', namespace: ns } });
  await simulateMigrationSucceeded(ns, 'no-strimzi');
  const topics = await waitFor('the Topics condition', () => cond(get('no-strimzi'), 'Topics'));
  expect(topics).toMatchObject({ status: 'False', reason: 'StrimziNotInstalled' });
  expect(topics.message).toContain('no KafkaTopic API');
  simulateDeploymentsReady(ns, 'no-strimzi');
  await waitFor('Ready explained by the topics', () => {
    const ready = cond(get('no-strimzi'), 'Ready');
    return ready?.status === 'False' && ready.reason === 'StrimziNotInstalled' ? ready : undefined;
  });
});
