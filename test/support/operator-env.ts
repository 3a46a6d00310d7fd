// Sets up what an operator under test needs in its namespace: the RBAC of config/rbac bound
// to a ServiceAccount, a kubeconfig that impersonates that ServiceAccount (so the suite
// proves the role is enough), and the Secrets pipelines reference.
import { componentsOf, type ConsumerLayout } from '../../core/domain.js';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { packageRoot } from '../../operator/util/repo-root.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { createNamespace, deleteNamespace, kubectl } from './kube.js';
import { markJobSucceeded, unfinishedJobs } from './job-runner.js';
import { waitFor } from './wait.js';
import { testLabels } from './test-owner.js';

export function kubectlRun(args: string[], input?: string): string {
  return execFileSync(kubectl(), args, {
    env: process.env,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    ...(input !== undefined ? { input } : {}),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function kubectlApply(obj: unknown, namespace?: string): void {
  kubectlRun(['apply', '--server-side', '--force-conflicts', '--field-manager=tests', ...(namespace ? ['-n', namespace] : []), '-f', '-'], JSON.stringify(obj));
}

/** Installs config/rbac for a ServiceAccount in `ns` and returns a kubeconfig impersonating it. */
function operatorIdentity(ns: string): string {
  const dir = join(packageRoot(), 'config', 'rbac');
  const sa = 'mobileforge-operator';
  kubectlApply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: ns } });
  kubectlApply(parse(readFileSync(join(dir, 'role.yaml'), 'utf8')));
  kubectlApply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: `mobileforge-operator-${ns}`, labels: testLabels() },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'mobileforge-operator' },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
  });
  const leRole = parseAllDocuments(readFileSync(join(dir, 'leader_election_role.yaml'), 'utf8'))[0]!.toJS() as { metadata: Record<string, unknown> };
  kubectlApply({ ...leRole, metadata: { ...leRole.metadata, namespace: ns } });
  kubectlApply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'mobileforge-operator-leader-election', namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'mobileforge-operator-leader-election' },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
  });
  const kc = parse(readFileSync(process.env.KUBECONFIG!, 'utf8')) as { users: { user: Record<string, unknown> }[] };
  for (const u of kc.users) u.user.as = `system:serviceaccount:${ns}:${sa}`;
  const path = join(tmpdir(), `kubeconfig-${ns}`);
  writeFileSync(path, stringify(kc));
  return path;
}

function deleteClusterBinding(ns: string): void {
  try {
    kubectlRun(['delete', 'clusterrolebinding', `mobileforge-operator-${ns}`, '--ignore-not-found']);
  } catch {
    // best effort
  }
}

export function createSecret(ns: string, name: string, data: Record<string, string>): void {
  kubectlApply({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, stringData: data });
}

/** Each autoscaler's minimum in a namespace, by the Deployment it scales (HPA and KEDA alike). */
function autoscalerMinimums(ns: string): Map<string, number> {
  const minimums = new Map<string, number>();
  const hpas = JSON.parse(kubectlRun(['get', 'horizontalpodautoscalers', '-n', ns, '-o', 'json'])) as {
    items: { spec: { scaleTargetRef: { name: string }; minReplicas?: number } }[];
  };
  for (const h of hpas.items) minimums.set(h.spec.scaleTargetRef.name, h.spec.minReplicas ?? 1);
  let scaled: { items: { spec: { scaleTargetRef: { name: string }; minReplicaCount?: number } }[] } = { items: [] };
  try {
    scaled = JSON.parse(kubectlRun(['get', 'scaledobjects.keda.sh', '-n', ns, '-o', 'json'])) as typeof scaled;
  } catch {
    // no KEDA API in this API server: HPAs only
  }
  for (const o of scaled.items) minimums.set(o.spec.scaleTargetRef.name, o.spec.minReplicaCount ?? 0);
  return minimums;
}

/**
 * What the autoscalers and a kubelet would do: each Deployment of the pipeline raised to its
 * autoscaler's minimum (an autoscaler's first act on a new Deployment, which starts at one
 * replica), then reported fully rolled out and ready.
 */
export function simulateDeploymentsReady(ns: string, pipeline: string): void {
  const list = JSON.parse(kubectlRun(['get', 'deployments', '-n', ns, '-l', `app.kubernetes.io/instance=${pipeline}`, '-o', 'json'])) as {
    items: { metadata: { name: string; generation: number }; spec: { replicas?: number } }[];
  };
  const minimums = autoscalerMinimums(ns);
  for (const d of list.items) {
    let r = d.spec.replicas ?? 1;
    let generation = d.metadata.generation;
    const min = minimums.get(d.metadata.name) ?? 0;
    if (r < min) {
      kubectlRun(['scale', 'deployment', d.metadata.name, '-n', ns, `--replicas=${min}`]);
      r = min;
      generation = Number(kubectlRun(['get', 'deployment', d.metadata.name, '-n', ns, '-o', 'jsonpath={.metadata.generation}']));
    }
    kubectlRun([
      'patch',
      'deployment',
      d.metadata.name,
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { observedGeneration: generation, replicas: r, readyReplicas: r, updatedReplicas: r, availableReplicas: r } }),
    ]);
  }
}

/**
 * What the Job controller would report once the migration pod exited 0 (nothing is run: the
 * migration suite runs the real one). The operator rolls the workloads out after this.
 */
export async function simulateMigrationSucceeded(ns: string, pipeline: string, layout: ConsumerLayout = 'split'): Promise<string> {
  const name = await waitFor(`the migration Job of ${pipeline}`, () =>
    unfinishedJobs(kubectlRun, ns, pipeline).find((n) => n.startsWith(`${pipeline}-migrate-`)),
  );
  markJobSucceeded(kubectlRun, ns, name);
  // The gate is open once the operator has applied the workloads.
  await waitFor(
    `the Deployments of ${pipeline} on the migrated spec`,
    () =>
      !unfinishedJobs(kubectlRun, ns, pipeline).includes(name) &&
      kubectlRun(['get', 'deployments', '-n', ns, '-l', `app.kubernetes.io/instance=${pipeline}`, '-o', 'name'])
        .trim()
        .split('\n')
        .filter(Boolean).length === componentsOf(layout).length,
  );
  return name;
}

/** What the Strimzi topic operator would report: every KafkaTopic of the pipeline Ready. */
export function simulateKafkaTopicsReady(ns: string, pipeline: string): void {
  const names = kubectlRun(['get', 'kafkatopics', '-n', ns, '-l', `app.kubernetes.io/instance=${pipeline}`, '-o', 'name'])
    .trim()
    .split('\n')
    .filter(Boolean);
  for (const n of names) {
    kubectlRun([
      'patch',
      n,
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date().toISOString() }] } }),
    ]);
  }
}

/** The user an operator started with `prepareOperatorNamespace(…, ns)` acts as. */
export const operatorUser = (ns: string): string => `system:serviceaccount:${ns}:mobileforge-operator`;

/** The test API server's audit log: where it is, and its size (an offset to count from). */
export function auditLogSize(): number | undefined {
  const path = process.env.KUBE_AUDIT_LOG;
  return path && existsSync(path) ? statSync(path).size : undefined;
}

/**
 * Writes (create, update, patch, delete) the API server recorded since `from` (a byte offset in
 * its audit log) as made by `user`, directly or by impersonation, as "verb resource/name".
 */
export function writesBy(user: string, from: number): string[] {
  interface AuditEvent {
    stage: string;
    verb: string;
    user: { username: string };
    impersonatedUser?: { username: string };
    objectRef?: { resource?: string; subresource?: string; name?: string };
  }
  return readFileSync(process.env.KUBE_AUDIT_LOG!)
    .subarray(from)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter((e) => e.stage === 'ResponseComplete' && (e.impersonatedUser?.username ?? e.user.username) === user)
    .map((e) => `${e.verb} ${e.objectRef?.resource ?? ''}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}/${e.objectRef?.name ?? ''}`);
}

/**
 * Write requests the API server counted (apiserver_request_total), by resource, excluding leases:
 * every client's, for an API server without the audit log (an external one).
 */
export function apiServerWrites(resources: string[]): number {
  const text = kubectlRun(['get', '--raw', '/metrics']);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1];
    const resource = /resource="([a-z0-9]+)"/.exec(line)?.[1];
    if (!verb || !resource || !['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE', 'DELETECOLLECTION'].includes(verb)) continue;
    if (resources.includes(resource)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/**
 * A namespace ready for an operator under test: the Secrets the test pipelines reference
 * (pg-creds, mongo-creds) and the RBAC identity. Returns the namespace and the kubeconfig
 * impersonating the operator's ServiceAccount.
 */
export async function prepareOperatorNamespace(kc: KubeConfig, prefix: string): Promise<{ ns: string; kubeconfig: string }> {
  const ns = await createNamespace(kc, prefix);
  createSecret(ns, 'pg-creds', { username: 'mobileforge', password: 'first' });
  createSecret(ns, 'mongo-creds', { username: 'mobileforge', password: 'first' });
  return { ns, kubeconfig: operatorIdentity(ns) };
}

/**
 * Removes what a suite made: its pipelines first, while its operators still run (their
 * finalizers delete the topics a pipeline asked to have deleted), then the operators, then the
 * namespace and the suite's cluster-wide binding. A pipeline whose finalizer is still there
 * once its operator is gone (a failed test, an operator that did not get to it) has it removed,
 * or the namespace would stay Terminating for ever.
 */
export async function teardownOperatorNamespace(kc: KubeConfig, ns: string | undefined, operators: ({ stop(): Promise<void> } | undefined)[]): Promise<void> {
  if (ns) {
    try {
      kubectlRun(['delete', 'syncpipelines', '--all', '-n', ns, '--wait=true', '--timeout=60s']);
    } catch {
      // left to the finalizer removal below
    }
  }
  await Promise.all(operators.map((o) => o?.stop()));
  if (!ns) return;
  removePipelineFinalizers(ns);
  deleteClusterBinding(ns);
  await deleteNamespace(kc, ns);
}

function removePipelineFinalizers(ns: string): void {
  try {
    for (const p of kubectlRun(['get', 'syncpipelines', '-n', ns, '-o', 'name']).split('\n').filter(Boolean)) {
      kubectlRun(['patch', p, '-n', ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    }
  } catch {
    // best effort: test/infra/sweep.sh removes what is left on the next run
  }
}
