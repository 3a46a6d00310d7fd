// The Helm chart and the kustomize config: a real `helm lint` and `helm template` (helm built
// from the Go module proxy), and everything they render accepted by the test API server in a
// server-side dry run. The chart's RBAC must be exactly config/rbac's.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { packageRoot } from '../../../operator/util/repo-root.js';
import { createNamespace, deleteNamespace, installUpstreamCrds } from '../../support/kube.js';
import { kubectlRun } from '../../support/operator-env.js';
import { requireKube, testKubeConfig } from '../../support/services.js';

const root = packageRoot();
const chart = join(root, 'charts', 'mobileforge-operator');
const helm = () => join(process.env.MOBILEFORGE_BIN!, 'helm');
const KUBE_VERSION = '1.35.4';
let kc: k8s.KubeConfig;
let ns: string;

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; rules?: unknown[]; spec?: Record<string, unknown> };
const docs = (yaml: string): Obj[] =>
  parseAllDocuments(yaml)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
const template = (...args: string[]) =>
  execFileSync(helm(), ['template', 'mfo', chart, '-n', ns, '--kube-version', KUBE_VERSION, ...args], { encoding: 'utf8' });
const dryRun = (yaml: string) => kubectlRun(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '--field-manager=tests', '-f', '-'], yaml);

beforeAll(async () => {
  kc = await requireKube(testKubeConfig());
  ns = await createNamespace(kc, 'chart');
});
afterAll(async () => {
  if (ns) await deleteNamespace(kc, ns);
});

describe('Helm chart', () => {
  test('helm lint passes', () => {
    const r = spawnSync(helm(), ['lint', chart, '--kube-version', KUBE_VERSION], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('0 chart(s) failed');
    expect(r.status).toBe(0);
  });

  test('default values: 2 replicas with leader election, probes, locked-down pods; the API server accepts everything', () => {
    const out = template('--include-crds');
    const objs = docs(out);
    expect(objs.map((o) => o.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'CustomResourceDefinition',
      'Deployment',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
    ]);
    const d = objs.find((o) => o.kind === 'Deployment') as unknown as k8s.V1Deployment;
    expect(d.spec?.replicas).toBe(2);
    const c = d.spec!.template.spec!.containers[0]!;
    expect(c.env?.find((e) => e.name === 'LEADER_ELECT')?.value).toBe('true');
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(c.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(d.spec!.template.spec!.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(dryRun(out)).toContain('(server dry run)');
  });

  test("the chart's CRD is identical to crds/", () => {
    expect(readFileSync(join(chart, 'crds', 'syncpipelines.mobileforge.credeau.com.yaml'), 'utf8')).toBe(
      readFileSync(join(root, 'crds', 'syncpipelines.mobileforge.credeau.com.yaml'), 'utf8'),
    );
  });

  test("its RBAC rules are exactly config/rbac/role.yaml's", () => {
    const role = docs(template()).find((o) => o.kind === 'ClusterRole')!;
    const reference = parse(readFileSync(join(root, 'config', 'rbac', 'role.yaml'), 'utf8')) as Obj;
    expect(role.rules).toEqual(reference.rules);
  });

  test('namespace scope: a Role and RoleBinding in each watched namespace, no ClusterRole; accepted', () => {
    const out = template('--set', 'rbac.scope=namespace', '--set', `watchNamespaces={${ns}}`);
    const objs = docs(out);
    expect(objs.some((o) => o.kind === 'ClusterRole')).toBe(false);
    expect(objs.filter((o) => o.kind === 'Role').map((o) => o.metadata.name)).toEqual(['mfo-mobileforge-operator', 'mfo-mobileforge-operator-leader-election']);
    expect(
      (objs.find((o) => o.kind === 'Deployment') as unknown as k8s.V1Deployment).spec!.template.spec!.containers[0]!.env!.find(
        (e) => e.name === 'WATCH_NAMESPACES',
      )?.value,
    ).toBe(ns);
    expect(dryRun(out)).toContain('(server dry run)');
  });

  test('values.schema.json refuses bad values, with the field named', () => {
    const r = spawnSync(helm(), ['template', 'mfo', chart, '--kube-version', KUBE_VERSION, '--set', 'replicaCount=0'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('replicaCount');
    const scope = spawnSync(helm(), ['template', 'mfo', chart, '--kube-version', KUBE_VERSION, '--set', 'rbac.scope=namespace'], { encoding: 'utf8' });
    expect(scope.status).not.toBe(0);
    expect(scope.stderr).toContain('needs watchNamespaces');
  });

  test('the ServiceMonitor is optional', () => {
    expect(docs(template('--set', 'metrics.serviceMonitor.enabled=true')).some((o) => o.kind === 'ServiceMonitor')).toBe(true);
  });

  test("monitoring options: the shipped alert rules as a PrometheusRule and the dashboard as a sidecar ConfigMap, identical to config/'s; accepted against the Prometheus Operator's CRD", async () => {
    expect(docs(template()).some((o) => o.kind === 'PrometheusRule' || (o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard')))).toBe(false);
    const out = template('--set', 'metrics.prometheusRule.enabled=true', '--set', 'metrics.grafanaDashboard.enabled=true');
    const objs = docs(out);
    const rule = objs.find((o) => o.kind === 'PrometheusRule')!;
    const shipped = parse(readFileSync(join(root, 'config', 'prometheus', 'rules.yaml'), 'utf8')) as { groups: unknown[] };
    expect(rule.spec).toEqual(shipped);
    const cm = objs.find((o) => o.kind === 'ConfigMap') as unknown as k8s.V1ConfigMap;
    expect(cm.metadata?.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(JSON.parse(cm.data!['mobileforge-sync.json']!)).toEqual(JSON.parse(readFileSync(join(root, 'config', 'grafana', 'mobileforge-sync.json'), 'utf8')));
    await installUpstreamCrds(kc, ['prometheusRule']);
    expect(dryRun(out)).toContain('prometheusrule.monitoring.coreos.com/mfo-mobileforge-operator serverside-applied (server dry run)');
    // the CRD's schema is checked: a rule without expr is refused
    const broken = out.replace(/^(\s+)expr: \|\n(\1 {2}.*\n)+/m, '');
    expect(broken).not.toBe(out);
    expect(() => dryRun(broken)).toThrow(/expr/);
  });

  test('runbookBaseUrl turns the runbook paths into links', () => {
    const rule = docs(
      template('--set', 'metrics.prometheusRule.enabled=true', '--set', 'metrics.prometheusRule.runbookBaseUrl=https://git.example.com/mobileforge/blob/main/'),
    ).find((o) => o.kind === 'PrometheusRule') as unknown as { spec: { groups: { rules: { annotations: Record<string, string> }[] }[] } };
    const urls = rule.spec.groups.flatMap((g) => g.rules.map((r) => r.annotations.runbook_url));
    expect(urls.length).toBeGreaterThan(5);
    for (const u of urls) expect(u).toMatch(/^https:\/\/git\.example\.com\/mobileforge\/blob\/main\/docs\/operations\.md#mobileforge[a-z]+$/);
  });
});

describe('kustomize', () => {
  test('`kubectl kustomize config/default` is accepted by the API server', () => {
    const out = kubectlRun(['kustomize', join(root, 'config', 'default')]);
    const kinds = docs(out)
      .map((o) => o.kind)
      .sort();
    expect(kinds).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'CustomResourceDefinition',
      'Deployment',
      'Namespace',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
    ]);
    // a dry run cannot create the namespace its objects go into
    kubectlRun(
      ['apply', '--server-side', '--field-manager=tests', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mobileforge-system' } }),
    );
    expect(dryRun(out)).toContain('(server dry run)');
  });
});
