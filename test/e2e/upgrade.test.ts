// Upgrading the operator rolls nothing. The operator of an earlier commit (its image built from
// that commit's Dockerfile.operator, its chart from that commit) runs two pipelines on the node
// (one split with HPAs, one in the single consumer layout with KEDA); `helm upgrade` to the
// working tree's chart and image, with its CRD applied first as docs/operations.md says:
//   - no workload pod restarts or is replaced, no child object is written (the node API
//     server's audit log: no create, update, patch or delete of the operator's in the
//     pipelines' namespace), and both pipelines stay Ready throughout;
//   - then a field that does not reach the pods (the maintenance schedule) changes the CronJob
//     only: no Deployment is written.
// PREVIOUS must render these pipelines as the working tree does; a commit that changes what is
// rendered moves it forward (and says so in its release notes).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import type { SyncPipeline } from '../../operator/api/v1alpha1.js';
import { connectPg, uniqueName } from '../support/services.js';
import { sleep, waitFor } from '../support/wait.js';
import {
  auditMark,
  auditSince,
  createDatabaseSecrets,
  createTestNamespace,
  imageTag,
  installOperator,
  nodeGetJson,
  nodeKubectl,
  nodePipeline,
  OPERATOR_NAMESPACE,
  previousOperator,
  removeTestNamespace,
  type PodList,
} from './support.js';

/** The commit whose operator and chart the cluster runs before the upgrade. */
const PREVIOUS = 'eec57537f9ad';
const FLOW_EVERY_5S = ['--set', 'operator.flowIntervalSeconds=5'];

const ns = uniqueName('upgrade');
const role = ns.replace(/-/g, '_');
const NAMES = ['acme', 'beta'] as const;
const dbs = (n: string) => ({ insights: `${role}_${n}_insights`, sync: `${role}_${n}_sync` });
const OPERATOR_USER = `system:serviceaccount:${OPERATOR_NAMESPACE}:`;

let tag: string;
let dir: string;
let pgAdmin: pg.Client;

function pipelineOf(name: (typeof NAMES)[number]): SyncPipeline {
  const p = nodePipeline({
    name,
    namespace: ns,
    tag,
    databases: dbs(name),
    mongoDatabase: `${role}_${name}`,
    postgresSecret: 'pg',
    mongoSecret: 'mongo',
    topicPrefix: `${ns}.${name}.`,
  });
  if (name === 'beta') {
    const one = p.spec.consumers!.sms!;
    p.spec.consumers = { layout: 'single', all: one };
    p.spec.autoscaling = { engine: 'keda' };
  }
  return p;
}

const ready = (name: string): boolean =>
  nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']) === 'True';

/**
 * The pods (uid and restarts) and every object in the namespace by its content (labels,
 * annotations, spec or data): what a write of the operator's would change, where the
 * autoscalers' and KEDA's status updates change only resourceVersions.
 */
function snapshot(): { pods: Record<string, string>; objects: Record<string, string> } {
  const pods = nodeGetJson<PodList>(['get', 'pods', '-n', ns]).items.filter((p) => !p.metadata.ownerReferences?.some((o) => o.kind === 'Job'));
  const kinds =
    'deployments,services,configmaps,serviceaccounts,horizontalpodautoscalers,poddisruptionbudgets,cronjobs,scaledobjects.keda.sh,triggerauthentications.keda.sh';
  const objects = nodeGetJson<{ items: { kind: string; metadata: { name: string; labels?: object; annotations?: object }; spec?: object; data?: object }[] }>([
    'get',
    kinds,
    '-n',
    ns,
  ]).items;
  const content = (o: (typeof objects)[number]) =>
    createHash('sha256')
      .update(JSON.stringify([o.metadata.labels, o.metadata.annotations, o.spec, o.data]))
      .digest('hex')
      .slice(0, 16);
  return {
    pods: Object.fromEntries(
      pods.map((p) => [p.metadata.name, `${p.metadata.uid ?? ''} restarts=${p.status.containerStatuses?.map((c) => c.restartCount).join(',')}`]),
    ),
    objects: Object.fromEntries(objects.map((o) => [`${o.kind}/${o.metadata.name}`, content(o)])),
  };
}

/** The operator's completed writes in the namespace since `from` (a byte offset in the audit log), the pipelines' status and Events aside. */
function operatorWrites(from: number): string[] {
  return auditSince(
    from,
    (e) =>
      e.stage === 'ResponseComplete' &&
      e.user.username.startsWith(OPERATOR_USER) &&
      e.objectRef?.namespace === ns &&
      ['create', 'update', 'patch', 'delete'].includes(e.verb) &&
      e.objectRef.resource !== 'events' &&
      e.objectRef.subresource !== 'status',
  ).map((e) => `${e.verb} ${e.objectRef!.resource}/${e.objectRef!.name ?? ''}`);
}

beforeAll(async () => {
  tag = imageTag();
  dir = mkdtempSync(join(tmpdir(), 'mf-previous-'));
  const previous = previousOperator(PREVIOUS, dir);
  // Lag read every 5 s (both operators): the watch after the upgrade spans two readings in 12 s.
  installOperator(previous.tag, FLOW_EVERY_5S, previous.chart);
  pgAdmin = await connectPg();
  await pgAdmin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw-${role}'`);
  for (const n of NAMES) for (const d of Object.values(dbs(n))) await pgAdmin.query(`CREATE DATABASE ${d} OWNER ${role}`);
  createTestNamespace(ns);
  createDatabaseSecrets(ns, { username: role, password: `pw-${role}` });
  for (const n of NAMES) nodeKubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(pipelineOf(n)));
  await waitFor('both pipelines Ready under the previous operator', () => NAMES.every(ready), 240000, 1000);
}, 600000);

afterAll(async () => {
  removeTestNamespace(ns);
  // The working tree's operator for the suites after this one, whatever happened above.
  if (tag) installOperator(tag);
  for (const n of NAMES) for (const d of Object.values(dbs(n))) await pgAdmin?.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => undefined);
  await pgAdmin?.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await pgAdmin?.end();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 300000);

test(`helm upgrade from ${PREVIOUS} to the working tree: no pod restarted, no child written, Ready throughout`, async () => {
  await sleep(5000); // settled: any write still owed by the previous operator is done
  const before = snapshot();
  const auditFrom = auditMark();
  const notReady: string[] = [];
  const poll = setInterval(() => {
    for (const n of NAMES) if (!ready(n)) notReady.push(`${n} at ${new Date().toISOString()}`);
  }, 1000);
  const started = Date.now();
  try {
    installOperator(tag, FLOW_EVERY_5S);
    // The new operator leads (its pod holds the lease) and has reconciled every pipeline,
    // including two readings of the lag.
    const leader = () => nodeKubectl(['get', 'lease', 'mobileforge-operator', '-n', OPERATOR_NAMESPACE, '-o', 'jsonpath={.spec.holderIdentity}']);
    const current = () =>
      nodeGetJson<PodList>(['get', 'pods', '-n', OPERATOR_NAMESPACE, '-l', 'app.kubernetes.io/name=mobileforge-operator']).items.filter((p) =>
        p.spec.containers[0]!.image.endsWith(`:${tag}`),
      );
    await waitFor('the new operator holding the lease', () => current().some((p) => p.metadata.name === leader()), 120000, 1000);
    await sleep(12000);
  } finally {
    clearInterval(poll);
  }
  const after = snapshot();
  expect(notReady).toEqual([]);
  expect(after.pods).toEqual(before.pods);
  expect(after.objects).toEqual(before.objects);
  expect(operatorWrites(auditFrom)).toEqual([]);
  process.stdout.write(
    `[upgrade] ${PREVIOUS} -> working tree: ${Math.round((Date.now() - started) / 1000)} s watched, ${Object.keys(before.pods).length} pods and ${Object.keys(before.objects).length} objects unchanged\n`,
  );
}, 300000);

test('a field that does not reach the pods (the maintenance schedule) writes the CronJob only', async () => {
  const before = snapshot();
  const auditFrom = auditMark();
  for (const n of NAMES)
    nodeKubectl(['patch', 'syncpipeline', n, '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { maintenance: { schedule: '45 2 * * *' } } })]);
  const observed = (n: string) =>
    nodeKubectl(['get', 'syncpipeline', n, '-n', ns, '-o', 'jsonpath={.status.observedGeneration}/{.metadata.generation}'])
      .split('/')
      .reduce((a, b) => (a === b ? 'same' : 'behind'));
  await waitFor('both pipelines observed', () => NAMES.every((n) => observed(n) === 'same'), 60000, 500);
  await sleep(5000);
  const after = snapshot();
  expect(after.pods).toEqual(before.pods);
  const changed = Object.keys(after.objects).filter((k) => after.objects[k] !== before.objects[k]);
  expect(changed.sort()).toEqual(NAMES.map((n) => `CronJob/${n}-partitions`).sort());
  expect(operatorWrites(auditFrom).sort()).toEqual(NAMES.map((n) => `patch cronjobs/${n}-partitions`).sort());
  expect(NAMES.every(ready)).toBe(true);
}, 120000);

test('a lag threshold reaches the ScaledObject only (KEDA then rewrites its own HPA); no pod is replaced', async () => {
  const scaled = 'beta-consumer-all';
  const kedaHpa = `keda-hpa-${scaled}`;
  const smsTarget = () =>
    nodeGetJson<{ spec: { metrics?: { external?: { metric: { name: string }; target: { averageValue?: string } } }[] } }>([
      'get',
      'hpa',
      kedaHpa,
      '-n',
      ns,
    ]).spec.metrics?.find((m) => m.external?.metric.name.includes('sms_batched'))?.external?.target.averageValue;
  expect(smsTarget()).toBe('100');
  const before = snapshot();
  const auditFrom = auditMark();
  nodeKubectl([
    'patch',
    'syncpipeline',
    'beta',
    '-n',
    ns,
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { autoscaling: { lagThresholds: { sms_batched: 250 } } } }),
  ]);
  await waitFor("KEDA's HPA on the new threshold", () => smsTarget() === '250', 60000, 500);
  await sleep(3000);
  const after = snapshot();
  expect(after.pods).toEqual(before.pods);
  const changed = Object.keys(after.objects).filter((k) => after.objects[k] !== before.objects[k]);
  expect(changed.sort()).toEqual([`HorizontalPodAutoscaler/${kedaHpa}`, `ScaledObject/${scaled}`]);
  expect(operatorWrites(auditFrom)).toEqual([`patch scaledobjects/${scaled}`]);
  expect(NAMES.every(ready)).toBe(true);
}, 120000);
