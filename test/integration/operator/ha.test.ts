// Two operator replicas with leader election, and an operator killed in the middle of its
// work: only the leader writes, a standby takes over when the leader dies, and a restarted
// operator converges without duplicating anything.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import { pipeline } from '../../support/fixtures.js';
import { render } from '../../../operator/model/render.js';
import { installPipelineCrd, installUpstreamCrds } from '../../support/kube.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { kubectlApply, kubectlRun, prepareOperatorNamespace, teardownOperatorNamespace } from '../../support/operator-env.js';
import { autoCompleteJobs } from '../../support/job-runner.js';
import { requireKube, testKubeConfig } from '../../support/services.js';
import { sleep, waitFor } from '../../support/wait.js';

let kc: k8s.KubeConfig;
let ns: string;
let kubeconfig: string;
const operators: OperatorProcess[] = [];
/** The schema migrations succeed as they appear: this suite is about leadership, not the gate. */
let jobController: { stop(): void } | undefined;

const specFor = (name: string, dau: number) =>
  // Many pipelines on one Kafka cluster: each with topics and groups of its own.
  pipeline(
    { dau, kafka: { bootstrapServers: ['kafka-bootstrap:9092'], topicPrefix: `${name}.`, topicManagement: { mode: 'strimzi', strimziClusterName: 'k' } } },
    name,
  );
/** How many children the model wants: what a converged pipeline must have, no more. */
const EXPECTED = render(specFor('x', 30_000), { capabilities: { keda: true, kafkaTopicApiVersion: 'kafka.strimzi.io/v1' } }).objects.length;

function apply(name: string, dau = 30_000): void {
  kubectlApply({ ...specFor(name, dau), metadata: { name, namespace: ns } });
}

const children = (name: string) =>
  kubectlRun([
    'get',
    'jobs,cronjobs,deployments,services,hpa,scaledobjects,kafkatopics,pdb,serviceaccounts',
    '-n',
    ns,
    '-l',
    `app.kubernetes.io/instance=${name}`,
    '-o',
    'name',
  ])
    .trim()
    .split('\n')
    .filter(Boolean);
const leaseHolder = () => kubectlRun(['get', 'lease', 'mobileforge-operator', '-n', ns, '-o', 'jsonpath={.spec.holderIdentity}']);

beforeAll(async () => {
  kc = await requireKube(testKubeConfig());
  await installPipelineCrd(kc);
  await installUpstreamCrds(kc);
  ({ ns, kubeconfig } = await prepareOperatorNamespace(kc, 'ha'));
  jobController = autoCompleteJobs(kubectlRun, ns);
}, 60000);

afterAll(async () => {
  jobController?.stop();
  await teardownOperatorNamespace(kc, ns, operators);
});

test('operator killed mid-reconcile and restarted: converges, no duplicates', async () => {
  for (let i = 0; i < 5; i++) apply(`mid-${i}`, 25_000 * (i + 1));
  const op = await OperatorProcess.start({ namespace: ns, kubeconfig, env: { POD_NAME: 'first', LEADER_ELECT: 'false' } });
  operators.push(op);
  // Kill it as soon as it has started writing, mid-way through the pipelines.
  await waitFor('the first writes', async () => (await op.metric('mobileforge_api_write_requests_total')) > 3, 20000, 20);
  await op.kill('SIGKILL');
  const partial = [0, 1, 2, 3, 4].map((i) => children(`mid-${i}`).length);
  expect(partial.reduce((a, b) => a + b, 0)).toBeLessThan(5 * EXPECTED);

  op.restart();
  await op.waitHealthy();
  for (let i = 0; i < 5; i++) {
    await waitFor(`mid-${i} complete`, () => children(`mid-${i}`).length === EXPECTED);
  }
  await sleep(3000);
  for (let i = 0; i < 5; i++) {
    const names = children(`mid-${i}`);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toHaveLength(EXPECTED);
  }
  // Restarted over converged pipelines, it reads everything afresh (its first lists) and
  // finds nothing to write, through several re-queues of the not-yet-ready pipelines.
  await op.stop();
  op.restart();
  await op.waitHealthy();
  await sleep(6000);
  expect(await op.metric('mobileforge_reconcile_total')).toBeGreaterThan(5);
  expect(await op.metric('mobileforge_api_write_requests_total')).toBe(0);
  await op.stop();
});

test('two replicas: only the leader writes; when it dies the standby takes over', async () => {
  const a = await OperatorProcess.start({ namespace: ns, kubeconfig, env: { POD_NAME: 'replica-a' } });
  operators.push(a);
  await waitFor('replica-a to lead', () => leaseHolder() === 'replica-a');
  const b = await OperatorProcess.start({ namespace: ns, kubeconfig, env: { POD_NAME: 'replica-b' } });
  operators.push(b);

  apply('ha-one');
  await waitFor('ha-one reconciled by the leader', () => children('ha-one').length === EXPECTED);
  await sleep(2000);
  expect(await a.metric('mobileforge_leader')).toBe(1);
  expect(await b.metric('mobileforge_leader')).toBe(0);
  expect(await a.metric('mobileforge_api_write_requests_total')).toBeGreaterThan(0);
  expect(await b.metric('mobileforge_api_write_requests_total')).toBe(0);

  await a.kill('SIGKILL');
  const killedAt = Date.now();
  await waitFor('replica-b to take the lease', () => leaseHolder() === 'replica-b', 20000);
  const takeoverMs = Date.now() - killedAt;
  apply('ha-two');
  await waitFor('ha-two reconciled by the new leader', () => children('ha-two').length === EXPECTED);
  expect(await b.metric('mobileforge_leader')).toBe(1);
  expect(await b.metric('mobileforge_api_write_requests_total')).toBeGreaterThan(0);
  // The lease lasts 4 s in tests: a standby waits at least that long after the last renewal.
  expect(takeoverMs).toBeLessThan(10000);
});
