// GitOps with Argo CD, as a platform team runs it: a real Argo CD (application controller, repo
// server, Redis; test/infra/argocd.sh) syncs two Applications from a Git repository served on
// the node bridge: one installs the operator from charts/mobileforge-operator, the other holds a
// pipeline manifest. Argo CD reads the pipeline's health through the project's health checks
// (config/argocd/argocd-cm-health.yaml, merged into argocd-cm as docs/install.md says). Every
// change is a commit; nothing is patched by hand. The steps run in order on one pipeline.
//
// Isolation: the chart is installed in a namespace of this suite's own, watching only the
// pipeline's namespace (rbac.scope=namespace); the CRD is cluster-wide and shared with the other
// suites and the demo, so neither Application carries Argo CD's resources finalizer: deleting
// them in afterAll leaves the CRD (and everything else) alone, and the namespaces go as in every
// suite. The pipeline's topics have a prefix of their own. The operator that other suites and the
// demo install cluster-wide would reconcile the pipeline too: it is scaled to zero for the suite
// (the demo's pods keep running) and given its replicas back in afterAll, so that the operator
// Argo CD installed is the only one, as on a cluster run by GitOps.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db, MongoClient } from 'mongodb';
import { stringify } from 'yaml';
import { packageRoot } from '../../operator/util/repo-root.js';
import { connectKafkaAdmin, connectMongo, connectPg, uniqueName } from '../support/services.js';
import { testLabels } from '../support/test-owner.js';
import { sleep } from '../support/wait.js';
import {
  auditMark,
  auditSince,
  type AuditEvent,
  WORKLOAD_IMAGE,
  allRolledOut,
  createDatabaseSecrets,
  createTestNamespace,
  imageTag,
  nodeGetJson,
  nodeKubectl,
  nodePipeline,
  podReady,
  removeTestNamespace,
  type PodList,
  waiterWithState,
} from './support.js';
import type { SyncPipeline } from '../../operator/api/v1alpha1.js';

const root = packageRoot();
const ns = uniqueName('e2e-gitops');
const opNs = `${ns}-op`;
const name = 'acme';
const instance = `app.kubernetes.io/instance=${name}`;
const operatorApp = `${ns}-operator`;
const pipelineApp = `${ns}-pipelines`;
const databases = { insights: uniqueName('e2e_gitops_insights').replace(/-/g, '_'), sync: uniqueName('e2e_gitops_sync').replace(/-/g, '_') };
const mongoDatabase = uniqueName('e2e_gitops').replace(/-/g, '_');
const started = Date.now();

function need(v: string): string {
  const value = process.env[v];
  if (!value) throw new Error(`${v} is not set: start Argo CD with \`bash test/infra/infra.sh up node argocd\` (docs/testing.md)`);
  return value;
}
const argoNs = (): string => need('ARGOCD_NAMESPACE');
const repoDir = (): string => join(need('ARGOCD_GIT_ROOT'), ns);
const repoUrl = (): string => `${need('ARGOCD_GIT_URL')}/${ns}`;
/** The identities whose writes the audit log is read for. */
const ARGOCD_USER = 'system:serviceaccount:argocd:argocd-application-controller';
/** The operator Argo CD installs here (its service account in the suite's operator namespace). */
const isOurOperator = (user: string): boolean => user === `system:serviceaccount:${opNs}:mobileforge-mobileforge-operator`;
/** Any other installation of the operator. */
const isOtherOperator = (user: string): boolean => user.endsWith(':mobileforge-mobileforge-operator') && !isOurOperator(user);

let tag: string;
let mongo: MongoClient;
let db: Db;
let pipeline: SyncPipeline;
let revision = '';
/** The steps build on each other: after a failed first sync the others fail at once, not after their timeouts. */
let firstSynced = false;
const afterFirstSync = (): void => {
  if (!firstSynced) throw new Error('the first sync did not succeed: nothing to build on');
};

// ------------------------------------------------------------------ Git
function git(...args: string[]): string {
  return execFileSync('git', ['-C', repoDir(), '-c', 'user.name=Platform Team', '-c', 'user.email=platform@example.invalid', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}
/** Commits the pipeline manifest as it is now (or its removal); returns the new revision. */
function commitPipeline(message: string, manifest: SyncPipeline | undefined): string {
  const file = join(repoDir(), 'pipelines', `${name}.yaml`);
  if (manifest) writeFileSync(file, stringify(manifest));
  else rmSync(file);
  git('add', '-A');
  git('commit', '-q', '-m', message);
  revision = git('rev-parse', 'HEAD');
  return revision;
}

// ------------------------------------------------------------------ Argo CD
interface ResourceStatus {
  group?: string;
  kind: string;
  name: string;
  namespace?: string;
  status?: string;
  health?: { status?: string; message?: string };
}
interface Application {
  metadata: { name: string };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string };
    resources?: ResourceStatus[];
    reconciledAt?: string;
    operationState?: { phase?: string; message?: string; startedAt?: string; retryCount?: number; syncResult?: { revision?: string } };
    conditions?: { type: string; message: string }[];
  };
}
const app = (n: string): Application => nodeGetJson<Application>(['get', 'applications.argoproj.io', n, '-n', argoNs()]);
const summary = (a: Application): string =>
  `${a.metadata.name}: ${a.status?.sync?.status ?? '-'}/${a.status?.health?.status ?? '-'} at ${a.status?.sync?.revision?.slice(0, 8) ?? '-'}, ` +
  `operation ${a.status?.operationState?.phase ?? '-'} ${a.status?.operationState?.message ?? ''}; ` +
  `${(a.status?.conditions ?? []).map((c) => `${c.type}: ${c.message}`).join('; ')}; resources: ` +
  (a.status?.resources ?? []).map((r) => `${r.kind}/${r.name} ${r.status ?? '-'} ${r.health?.status ?? ''} ${r.health?.message ?? ''}`).join(', ');
/**
 * Compared with the current commit, Synced and Healthy, its last sync operation Succeeded (for
 * the pipeline Application: a sync of the current commit, since every commit changes it).
 */
const settled = (n: string): boolean => {
  const a = app(n);
  return (
    a.status?.sync?.status === 'Synced' &&
    a.status.sync.revision === revision &&
    a.status.health?.status === 'Healthy' &&
    a.status.operationState?.phase === 'Succeeded' &&
    (n !== pipelineApp || a.status.operationState.syncResult?.revision === revision)
  );
};
const pipelineResource = (a: Application): ResourceStatus | undefined => a.status?.resources?.find((r) => r.kind === 'MobileForgeSyncPipeline');

// ------------------------------------------------------------------ an empty cluster
// A second destination cluster, empty as a new cluster is (test/infra/argocd.sh: an API server of
// its own, no kubelet): the first sync of both Applications there shows the order of CRD and
// pipeline and the namespaces working out with no manual step. Nothing runs there, so its
// Applications are Synced, never Healthy.
const emptyOperatorApp = `${ns}-empty-operator`;
const emptyPipelineApp = `${ns}-empty-pipelines`;
let emptyKubeconfig: string | undefined;
const infraScript = (): string => join(root, 'test', 'infra', 'infra.sh');
const emptyKubectl = (args: string[]): string =>
  execFileSync(need('KUBECTL'), ['--kubeconfig', emptyKubeconfig!, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
/** Synced with the current commit by a sync operation that succeeded (whatever the health). */
const syncedAtRevision = (n: string): boolean => {
  const a = app(n);
  return a.status?.sync?.status === 'Synced' && a.status.sync.revision === revision && a.status.operationState?.phase === 'Succeeded';
};

const IN_CLUSTER = 'https://kubernetes.default.svc';
function application(
  appName: string,
  path: string,
  namespace: string,
  extra: Record<string, unknown>,
  destination: { server: string; createNamespace?: boolean } = { server: IN_CLUSTER },
): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    // no resources-finalizer.argocd.argoproj.io: deleting the Application leaves what it deployed
    metadata: { name: appName, namespace: argoNs(), labels: testLabels() },
    spec: {
      project: 'default',
      source: { repoURL: repoUrl(), targetRevision: 'HEAD', path, ...extra },
      destination: { server: destination.server, namespace },
      syncPolicy: {
        // allowEmpty: removing the last pipeline is a sync to nothing, which automated sync
        // otherwise refuses ("auto-sync will wipe out all resources")
        automated: { prune: true, selfHeal: true, ...(path === 'pipelines' ? { allowEmpty: true } : {}) },
        // CreateNamespace: on a new cluster the destination namespace does not exist yet
        syncOptions: ['ServerSideApply=true', ...(destination.createNamespace ? ['CreateNamespace=true'] : [])],
        // The pipeline Application may sync before the operator Application has created the
        // CRD (they sync independently): it fails and retries until the kind exists.
        retry: { limit: 10, backoff: { duration: '5s', factor: 2, maxDuration: '1m' } },
      },
    },
  };
}

// ------------------------------------------------------------------ the node
/** Completed writes to this suite's pipeline namespace's Deployments since `from` (an audit mark). */
function deploymentWrites(from: number): AuditEvent[] {
  return auditSince(from, (e) => e.objectRef?.resource === 'deployments' && e.objectRef.namespace === ns && (e.responseStatus?.code ?? 0) < 400);
}
const byUser = (events: AuditEvent[]): Record<string, number> =>
  events.reduce<Record<string, number>>((m, e) => ({ ...m, [`${e.user.username} ${e.verb}`]: (m[`${e.user.username} ${e.verb}`] ?? 0) + 1 }), {});

interface Deployment {
  metadata: { name: string; generation: number };
  spec: { template: { spec: { containers: { image: string; resources?: { requests?: Record<string, string> } }[] } } };
  status: { readyReplicas?: number; updatedReplicas?: number; replicas?: number; observedGeneration?: number; unavailableReplicas?: number };
}
const deployments = (): Deployment[] => nodeGetJson<{ items: Deployment[] }>(['get', 'deployments', '-n', ns, '-l', instance]).items;
const pods = (): PodList['items'] => nodeGetJson<PodList>(['get', 'pods', '-n', ns, '-l', instance]).items.filter((p) => !p.metadata.deletionTimestamp);
const rolledOut = (): boolean => allRolledOut(deployments(), 4);
interface LivePipeline {
  metadata: {
    generation: number;
    resourceVersion: string;
    finalizers?: string[];
    annotations?: Record<string, string>;
    managedFields?: { manager: string; operation: string; subresource?: string; time?: string }[];
  };
  status?: { observedGeneration?: number; conditions?: { type: string; status: string; reason?: string }[] };
}
const livePipeline = (): LivePipeline => nodeGetJson<LivePipeline>(['get', 'syncpipeline', name, '-n', ns]);
const pipelineReady = (): boolean => {
  const p = livePipeline();
  return p.status?.observedGeneration === p.metadata.generation && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
};

interface OperatorDeployment {
  metadata: { name: string; namespace: string };
  spec: { replicas?: number; template: { spec: { containers: { image: string; env?: { name: string; value?: string }[] }[] } } };
}
/**
 * The other operator installations that would reconcile this suite's pipeline namespace
 * (cluster-wide ones, or ones watching it): the one other suites and the demo install in
 * mobileforge-system, a concurrent run's. A cluster under GitOps has one operator, the one Argo
 * CD installs; two would both act on the pipeline (and two versions undo each other's writes).
 */
function otherOperators(): OperatorDeployment[] {
  return nodeGetJson<{ items: OperatorDeployment[] }>(['get', 'deployments', '-A', '-l', 'app.kubernetes.io/name=mobileforge-operator']).items.filter((d) => {
    if (d.metadata.namespace === opNs) return false;
    const watched = (d.spec.template.spec.containers[0]!.env?.find((e) => e.name === 'WATCH_NAMESPACES')?.value ?? '').split(',').filter(Boolean);
    return watched.length === 0 || watched.includes(ns);
  });
}
/** The other operators' replicas, to give back in afterAll. */
const paused: { namespace: string; name: string; replicas: number }[] = [];
const otherOperatorsRunning = (): string[] =>
  otherOperators()
    .filter((d) => (d.spec.replicas ?? 1) > 0)
    .map((d) => `${d.metadata.namespace}/${d.metadata.name}`);

const describeState = (): string => {
  const parts: string[] = [];
  for (const f of [
    () => summary(app(operatorApp)),
    () => summary(app(pipelineApp)),
    () => nodeKubectl(['get', 'pods,jobs,deployments', '-n', ns, '-o', 'wide']),
    () => nodeKubectl(['get', 'pods', '-n', opNs, '-o', 'wide']),
    () => nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'yaml']),
  ]) {
    try {
      parts.push(f());
    } catch (err) {
      parts.push(String(err));
    }
  }
  return parts.join('\n');
};
const waitWithState = waiterWithState(describeState, 1000);
const note = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

beforeAll(async () => {
  tag = imageTag();
  // connected only while used: other suites on this machine stop and restart PostgreSQL
  const pgAdmin = await connectPg();
  for (const d of Object.values(databases)) await pgAdmin.query(`CREATE DATABASE ${d}`);
  await pgAdmin.end();
  mongo = await connectMongo();
  db = mongo.db(mongoDatabase);
  createTestNamespace(opNs);
  createTestNamespace(ns);
  // One operator for this suite's pipeline: the others that would reconcile its namespace stop
  // for the suite (their pipelines keep running as they are) and come back in afterAll.
  for (const d of otherOperators()) {
    paused.push({ namespace: d.metadata.namespace, name: d.metadata.name, replicas: d.spec.replicas ?? 1 });
    nodeKubectl(['scale', 'deployment', d.metadata.name, '-n', d.metadata.namespace, '--replicas=0']);
  }
  const stopped = () =>
    paused.every((d) => nodeGetJson<PodList>(['get', 'pods', '-n', d.namespace, '-l', 'app.kubernetes.io/name=mobileforge-operator']).items.length === 0);
  const until = Date.now() + 120000;
  while (!stopped() && Date.now() < until) await sleep(1000);
  createDatabaseSecrets(ns, { username: need('PGUSER'), password: need('PGPASSWORD') });

  // The health checks, merged into argocd-cm as a user installs them (docs/install.md): a
  // server-side apply with a field manager of their own keeps Argo CD's other settings.
  nodeKubectl(['apply', '--server-side', '--field-manager=mobileforge-health-checks', '-f', join(root, 'config', 'argocd', 'argocd-cm-health.yaml')]);

  // The Git repository: the chart as the repository holds it, and one pipeline manifest.
  mkdirSync(repoDir(), { recursive: true });
  git('init', '-q', '-b', 'main');
  cpSync(join(root, 'charts', 'mobileforge-operator'), join(repoDir(), 'charts', 'mobileforge-operator'), { recursive: true });
  mkdirSync(join(repoDir(), 'pipelines'));
  // Git keeps no empty directory: without another file, removing the last pipeline would remove
  // the Application's path, which Argo CD reports as a comparison error and prunes nothing.
  writeFileSync(join(repoDir(), 'pipelines', 'README.md'), "The acme team's pipelines, synced by Argo CD.\n");
  pipeline = nodePipeline({ name, namespace: ns, tag, databases, mongoDatabase, postgresSecret: 'pg', mongoSecret: 'mongo' });
  commitPipeline('The operator chart and the acme pipeline', pipeline);
}, 120000);

afterAll(async () => {
  // The Applications first, so that Argo CD neither re-creates nor heals what goes next; without
  // the resources finalizer this deletes nothing else.
  try {
    nodeKubectl([
      'delete',
      'applications.argoproj.io',
      operatorApp,
      pipelineApp,
      emptyOperatorApp,
      emptyPipelineApp,
      '-n',
      argoNs(),
      '--ignore-not-found',
      '--wait=true',
      '--timeout=60s',
    ]);
  } catch {
    // left to test/infra/sweep.sh on the next run
  }
  if (emptyKubeconfig) {
    try {
      execFileSync('bash', [infraScript(), 'empty-cluster', 'down', ns], { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      // stopped with the rest of Argo CD by `infra.sh down argocd`
    }
  }
  // the pipeline (if a step failed before its prune) while the operator still runs, then the operator
  removeTestNamespace(ns);
  removeTestNamespace(opNs);
  const pgAdmin = await connectPg().catch(() => undefined);
  for (const d of Object.values(databases)) await pgAdmin?.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => undefined);
  await pgAdmin?.end();
  await db?.dropDatabase().catch(() => undefined);
  await mongo?.close();
  try {
    rmSync(repoDir(), { recursive: true, force: true });
  } catch {
    // the Git root may be gone with `infra.sh down argocd`
  }
  for (const d of paused) {
    try {
      nodeKubectl(['scale', 'deployment', d.name, '-n', d.namespace, `--replicas=${d.replicas}`]);
    } catch {
      // gone meanwhile: nothing to give back
    }
  }
  note(`gitops suite: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}, 300000);

test('first sync on an empty cluster: namespaces and CRD created, the pipeline after its CRD, both Applications Synced with no manual step', async () => {
  emptyKubeconfig = execFileSync('bash', [infraScript(), 'empty-cluster', 'up', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const server = emptyKubectl(['config', 'view', '-o', 'jsonpath={.clusters[0].cluster.server}']);
  // empty: no CRD, none of the namespaces
  expect(emptyKubectl(['get', 'crd', '-o', 'name']).trim()).toBe('');
  expect(emptyKubectl(['get', 'namespaces', '-o', 'name']).split('\n').filter(Boolean).sort()).toEqual([
    'namespace/default',
    'namespace/kube-node-lease',
    'namespace/kube-public',
    'namespace/kube-system',
  ]);
  const t0 = Date.now();
  nodeKubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        application(
          emptyOperatorApp,
          'charts/mobileforge-operator',
          opNs,
          { helm: { releaseName: 'mobileforge', valuesObject: { image: { repository: 'localhost/mobileforge/mobileforge-operator', tag: imageTag() } } } },
          { server, createNamespace: true },
        ),
        application(emptyPipelineApp, 'pipelines', ns, {}, { server, createNamespace: true }),
      ],
    }),
  );
  const describeEmpty = (): string => `${summary(app(emptyOperatorApp))}\n${summary(app(emptyPipelineApp))}`;
  const waitEmpty = waiterWithState(describeEmpty, 1000);
  await waitEmpty('the operator Application Synced on the empty cluster', () => syncedAtRevision(emptyOperatorApp), 180000);
  await waitEmpty('the pipeline Application Synced on the empty cluster', () => syncedAtRevision(emptyPipelineApp), 180000);
  const retries = {
    operator: app(emptyOperatorApp).status?.operationState?.retryCount ?? 0,
    pipeline: app(emptyPipelineApp).status?.operationState?.retryCount ?? 0,
  };
  note(`empty cluster: Applications created -> both Synced: ${((Date.now() - t0) / 1000).toFixed(1)} s; sync retries ${JSON.stringify(retries)}`);

  // What Git declares is there: the CRD established, the namespaces, the operator, the pipeline as committed.
  expect(emptyKubectl(['get', 'crd', 'syncpipelines.mobileforge.credeau.com', '-o', 'jsonpath={.status.conditions[?(@.type=="Established")].status}'])).toBe(
    'True',
  );
  const live = JSON.parse(emptyKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'json'])) as SyncPipeline;
  expect(live.spec.dau).toBe(pipeline.spec.dau);
  expect(live.spec.image).toEqual(pipeline.spec.image);
  expect(
    emptyKubectl([
      'get',
      'deployment',
      '-n',
      opNs,
      '-l',
      'app.kubernetes.io/instance=mobileforge',
      '-o',
      'jsonpath={.items[*].spec.template.spec.containers[0].image}',
    ]),
  ).toBe(`localhost/mobileforge/mobileforge-operator:${imageTag()}`);
  // Nothing runs there: the pipeline has no status yet, which our health check calls Progressing, not Degraded.
  expect(pipelineResource(app(emptyPipelineApp))?.health?.status).toBe('Progressing');
  // Argo CD tracks the pipeline, not the namespace it created
  expect((app(emptyPipelineApp).status?.resources ?? []).map((r) => r.kind)).toEqual(['MobileForgeSyncPipeline']);
}, 420000);

test('first sync: the operator from its chart and the pipeline from its manifest, both Synced and Healthy, the pipeline on running pods', async () => {
  // No other operator reconciles this namespace (one scaled up again meanwhile would act on the pipeline too).
  expect(otherOperatorsRunning()).toEqual([]);
  const auditFrom = auditMark();
  const t0 = Date.now();
  nodeKubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        application(operatorApp, 'charts/mobileforge-operator', opNs, {
          helm: {
            releaseName: 'mobileforge',
            valuesObject: {
              image: { repository: 'localhost/mobileforge/mobileforge-operator', tag },
              replicaCount: 1,
              // only this suite's pipeline namespace: other suites' pipelines and the demo's
              // belong to the operator they installed
              rbac: { scope: 'namespace' },
              watchNamespaces: [ns],
            },
          },
        }),
        application(pipelineApp, 'pipelines', ns, {}),
      ],
    }),
  );
  await waitWithState('the operator Application Synced and Healthy', () => settled(operatorApp), 240000);
  await waitWithState('the pipeline Application Synced and Healthy', () => settled(pipelineApp), 240000);
  note(`Applications created -> both Synced and Healthy: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // Healthy is what our health check says of a Ready pipeline, and the pods are really there
  expect(pipelineResource(app(pipelineApp))?.health).toEqual({ status: 'Healthy', message: expect.any(String) });
  expect(pipelineReady()).toBe(true);
  await waitWithState('every Deployment rolled out', () => rolledOut(), 60000);
  const running = pods().filter((p) => !p.metadata.labels?.['job-name']);
  expect(running).toHaveLength(4);
  for (const p of running) {
    expect(p.status.phase).toBe('Running');
    expect(podReady(p)).toBe(true);
    expect(p.spec.containers[0]!.image).toBe(`${WORKLOAD_IMAGE}:${tag}`);
  }
  // The operator Argo CD installed runs, from the chart's image, and holds its lease.
  const op = nodeGetJson<PodList>(['get', 'pods', '-n', opNs, '-l', 'app.kubernetes.io/instance=mobileforge']).items.filter(
    (p) => !p.metadata.deletionTimestamp,
  );
  expect(op).toHaveLength(1);
  expect(op[0]!.spec.containers[0]!.image).toBe(`localhost/mobileforge/mobileforge-operator:${tag}`);
  expect(podReady(op[0]!)).toBe(true);
  expect(nodeKubectl(['get', 'lease', 'mobileforge-operator', '-n', opNs, '-o', 'jsonpath={.spec.holderIdentity}'])).toBe(op[0]!.metadata.name);
  // The operator Argo CD installed made the pipeline's Deployments; no other one and not Argo CD.
  const writes = deploymentWrites(auditFrom);
  note(`writes to the pipeline's Deployments during the first sync, by user: ${JSON.stringify(byUser(writes))}`);
  expect(writes.some((e) => isOurOperator(e.user.username))).toBe(true);
  expect(writes.filter((e) => isOtherOperator(e.user.username))).toEqual([]);
  expect(writes.filter((e) => e.user.username === ARGOCD_USER)).toEqual([]);
  // Argo CD tracks the pipeline, not the operator's children
  expect((app(pipelineApp).status?.resources ?? []).map((r) => r.kind)).toEqual(['MobileForgeSyncPipeline']);
  firstSynced = true;
}, 420000);

test('a commit resizing the pipeline: Argo CD syncs it, the operator applies it, Synced and Healthy again with no manual step', async () => {
  afterFirstSync();
  const before = livePipeline().metadata.generation;
  const producer = pipeline.spec.producer!;
  pipeline = {
    ...pipeline,
    spec: {
      ...pipeline.spec,
      producer: { ...producer, resources: { ...producer.resources, requests: { ...producer.resources?.requests, memory: '112Mi' } } },
    },
  };
  const rev = commitPipeline('acme: more memory for the producer', pipeline);
  const t0 = Date.now();
  await waitWithState(
    'the resized producer Deployment rolled out',
    () => {
      const d = deployments().find((x) => x.metadata.name === `${name}-producer`);
      return d?.spec.template.spec.containers[0]!.resources?.requests?.memory === '112Mi' && rolledOut();
    },
    180000,
  );
  await waitWithState('the pipeline Application Synced and Healthy at the new commit', () => settled(pipelineApp) && pipelineReady(), 120000);
  note(`commit ${rev.slice(0, 8)} -> rolled out, Synced and Healthy: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  expect(livePipeline().metadata.generation).toBe(before + 1);
  expect(settled(operatorApp)).toBe(true);
}, 360000);

test('a commit pointing the pipeline at a crash-looping image: Degraded with our health message; reverting it brings Healthy back', async () => {
  afterFirstSync();
  const broken = execFileSync('bash', [join(root, 'test', 'infra', 'images.sh'), 'crashloop'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const good = pipeline;
  commitPipeline('acme: the new release', { ...good, spec: { ...good.spec, image: { ...good.spec.image!, tag: broken } } });
  const t0 = Date.now();
  const degraded = await waitWithState(
    'the pipeline Application Degraded',
    () => {
      const a = app(pipelineApp);
      return a.status?.sync?.revision === revision && a.status.health?.status === 'Degraded' ? a : undefined;
    },
    240000,
  );
  const health = pipelineResource(degraded)?.health;
  note(`commit of a crash-looping release -> Degraded: ${((Date.now() - t0) / 1000).toFixed(1)} s; ${health?.message ?? ''}`);
  expect(degraded.status?.sync?.status).toBe('Synced');
  // our health check's message: the Stalled condition the operator set, naming the crash loop
  expect(health?.status).toBe('Degraded');
  expect(health?.message).toMatch(/^Stalled: .*CrashLoopBackOff/);

  git('revert', '--no-edit', 'HEAD');
  revision = git('rev-parse', 'HEAD');
  pipeline = good;
  const t1 = Date.now();
  await waitWithState('the pipeline Application Healthy again after the revert', () => settled(pipelineApp) && pipelineReady(), 240000);
  await waitWithState(
    'every Deployment back on the good image',
    () => rolledOut() && deployments().every((d) => d.spec.template.spec.containers[0]!.image === `${WORKLOAD_IMAGE}:${tag}`),
    120000,
  );
  note(`revert -> Healthy: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
}, 600000);

test("steady state: the Applications stay Synced through Argo CD's refreshes, which cause no writes of the operator's or Argo CD's", async () => {
  afterFirstSync();
  expect(otherOperatorsRunning()).toEqual([]);
  // Nine or more of Argo CD's refreshes (every 10 s here) and three of the operator's lag readings.
  const windowMs = Number(process.env.MOBILEFORGE_GITOPS_STEADY_MS ?? 90000);
  const auditFrom = auditMark();
  const p0 = livePipeline();
  const operation0 = app(pipelineApp).status?.operationState?.startedAt;
  const refreshes = new Set<string>();
  const samples: string[] = [];
  const until = Date.now() + windowMs;
  while (Date.now() < until) {
    for (const n of [operatorApp, pipelineApp]) {
      const a = app(n);
      if (n === pipelineApp && a.status?.reconciledAt) refreshes.add(a.status.reconciledAt);
      if (a.status?.sync?.status !== 'Synced' || a.status.health?.status !== 'Healthy') samples.push(summary(a));
    }
    await sleep(3000);
  }
  const p1 = livePipeline();
  const writes = deploymentWrites(auditFrom);
  note(
    `steady state ${windowMs / 1000} s: ${refreshes.size} refreshes of the pipeline Application; writes to its Deployments by user: ${JSON.stringify(byUser(writes))}`,
  );
  expect(samples).toEqual([]);
  // Argo CD compared Git with the cluster again and again (it refreshes every few seconds here)
  expect(refreshes.size).toBeGreaterThanOrEqual(Math.floor(windowMs / 30000));
  // and started no sync: nothing it saw differed from Git (CRD defaults, the operator's
  // finalizer, annotations and status)
  expect(app(pipelineApp).status?.operationState?.startedAt).toBe(operation0);
  expect(p1.metadata.generation).toBe(p0.metadata.generation);
  // The pipeline's metadata and spec were written by no one (only status may change: the
  // operator's flow readings); its children by no operator and not by Argo CD.
  const mainFields = (p: LivePipeline) => (p.metadata.managedFields ?? []).filter((f) => !f.subresource).map((f) => `${f.manager} ${f.operation} ${f.time}`);
  expect(mainFields(p1)).toEqual(mainFields(p0));
  expect(p1.metadata.finalizers).toEqual(p0.metadata.finalizers);
  expect(writes.filter((e) => isOurOperator(e.user.username) || isOtherOperator(e.user.username) || e.user.username === ARGOCD_USER)).toEqual([]);
}, 420000);

test("deleting the pipeline from Git prunes it: the operator's finalizer removes its topics, the garbage collector its children, Argo CD none of them", async () => {
  afterFirstSync();
  const admin = await connectKafkaAdmin();
  try {
    const prefix = pipeline.spec.kafka.topicPrefix!;
    const topics = async () => (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    expect((await topics()).length).toBeGreaterThan(0);
    const auditFrom = auditMark();
    commitPipeline('acme: retired', undefined);
    const t0 = Date.now();
    await waitWithState(
      'the pipeline gone',
      () => {
        try {
          livePipeline();
          return false;
        } catch {
          return true;
        }
      },
      180000,
    );
    await waitWithState('the pipeline Application Synced and Healthy with nothing in it', () => settled(pipelineApp), 120000);
    await waitWithState(
      'every child gone',
      () => nodeKubectl(['get', 'deployments,services,horizontalpodautoscalers,jobs,cronjobs,configmaps,pods', '-n', ns, '-l', instance, '-o', 'name']) === '',
      120000,
    );
    note(`commit removing the pipeline -> it and its children gone: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    // only the operator's finalizer deletes topics
    expect(await topics()).toEqual([]);
    const deletes = deploymentWrites(auditFrom).filter((e) => e.verb === 'delete');
    note(`deletes of the pipeline's Deployments, by user: ${JSON.stringify(byUser(deletes))}`);
    expect(deletes.filter((e) => e.user.username === ARGOCD_USER)).toEqual([]);
    expect(app(pipelineApp).status?.resources ?? []).toEqual([]);
    // the operator stays, Synced and Healthy
    expect(settled(operatorApp)).toBe(true);
  } finally {
    await admin.disconnect();
  }
}, 420000);
