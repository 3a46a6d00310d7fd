// Kubernetes helpers for integration tests: install CRDs (ours, and the upstream Strimzi and
// KEDA ones from ../shared/crds), namespaces per suite, server-side dry runs.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from '../../operator/util/repo-root.js';
import { crdYaml } from '../../operator/api/crd-yaml.js';
import { cacheDir } from './endpoints.js';
import { uniqueName } from './services.js';

/** The upstream CRDs the rendered objects must satisfy. Strimzi 0.51 serves KafkaTopic v1 and
 * v1beta2 (its v1 schema is byte-identical to Strimzi 1.0's, which serves only v1). */
export const UPSTREAM_CRDS = {
  strimziKafkaTopic: 'strimzi-kafkatopic-0.51-v1beta2.yaml',
  kedaScaledObject: 'keda-scaledobject.yaml',
  /** Not in shared/crds: fetched by test/infra (build-go-tools.sh upstream-crds) into the cache. */
  kedaTriggerAuthentication: 'keda.sh_triggerauthentications.yaml',
  prometheusPodMonitor: 'monitoring.coreos.com_podmonitors.yaml',
} as const;

/** The fetched CRDs, by the versions.env variable that pins each. */
const FETCHED_CRDS: Partial<Record<keyof typeof UPSTREAM_CRDS, { versionVar: string; file: (v: string) => string }>> = {
  kedaTriggerAuthentication: { versionVar: 'KEDA_VERSION', file: (v) => `keda.sh_triggerauthentications.${v}.yaml` },
  prometheusPodMonitor: { versionVar: 'PROMETHEUS_OPERATOR_VERSION', file: (v) => `monitoring.coreos.com_podmonitors.${v}.yaml` },
};

/** The workplace's shared/ folder sits beside the repository (MOBILEFORGE_SHARED overrides). */
export function upstreamCrdPath(key: keyof typeof UPSTREAM_CRDS): string {
  const fetched = FETCHED_CRDS[key];
  if (!fetched) return sharedCrdPath(UPSTREAM_CRDS[key]);
  const versions = readFileSync(join(packageRoot(), 'test', 'infra', 'versions.env'), 'utf8');
  const version = new RegExp(`^${fetched.versionVar}=(\\S+)`, 'm').exec(versions)?.[1] ?? '';
  const path = join(process.env.MOBILEFORGE_CRDS ?? join(cacheDir(), 'crds'), fetched.file(version));
  if (!existsSync(path)) throw new Error(`upstream CRD ${path} not found: run \`npm run infra:up\` (test/infra/build-go-tools.sh upstream-crds fetches it)`);
  return path;
}

export function sharedCrdPath(file: string): string {
  const path = join(process.env.MOBILEFORGE_SHARED ?? join(packageRoot(), '..', 'shared'), 'crds', file);
  if (!existsSync(path)) throw new Error(`upstream CRD ${path} not found: the suite expects ../shared/crds beside the repository (or set MOBILEFORGE_SHARED)`);
  return path;
}

function docs(text: string): k8s.KubernetesObject[] {
  return parseAllDocuments(text).map((d) => d.toJS() as k8s.KubernetesObject).filter(Boolean);
}

/**
 * Installs a CRD with the real kubectl (server-side apply). Not through client-node: it
 * serialises a CRD through its model classes, which know the schema extensions only by their
 * camelCase names (xKubernetesIntOrString), so a plain YAML object would lose every
 * x-kubernetes-* key on the way out.
 */
export async function applyCrd(kc: k8s.KubeConfig, crd: k8s.KubernetesObject): Promise<void> {
  execFileSync(kubectl(), ['apply', '--server-side', '--force-conflicts', '--field-manager=mobileforge-tests', '-f', '-'], {
    input: JSON.stringify(crd),
    env: { ...process.env, KUBECONFIG: process.env.KUBECONFIG },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  await waitCrdServed(kc, crd.metadata!.name!);
}

export function kubectl(): string {
  const k = process.env.KUBECTL;
  if (!k) throw new Error('KUBECTL is not set; start the test services with `npm run infra:up`');
  return k;
}

/** Waits for Established and then for every served version to answer a list. */
export async function waitCrdServed(kc: k8s.KubeConfig, name: string, timeoutMs = 30000): Promise<void> {
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = await ext.readCustomResourceDefinition({ name });
    const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    if (established) {
      try {
        for (const v of crd.spec.versions.filter((x) => x.served)) {
          await custom.listClusterCustomObject({ group: crd.spec.group, version: v.name, plural: crd.spec.names.plural, limit: 1 });
        }
        return;
      } catch {
        // not served yet
      }
    }
    if (Date.now() > deadline) throw new Error(`CRD ${name} not served after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function installPipelineCrd(kc: k8s.KubeConfig): Promise<void> {
  for (const crd of docs(crdYaml())) await applyCrd(kc, crd);
}

export async function installUpstreamCrds(kc: k8s.KubeConfig, which: (keyof typeof UPSTREAM_CRDS)[] = ['strimziKafkaTopic', 'kedaScaledObject', 'kedaTriggerAuthentication', 'prometheusPodMonitor']): Promise<void> {
  for (const key of which) {
    for (const crd of docs(readFileSync(upstreamCrdPath(key), 'utf8'))) await applyCrd(kc, crd);
  }
}

export async function createNamespace(kc: k8s.KubeConfig, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name, labels: { 'mobileforge.credeau.com/test': 'true' } } } });
  return name;
}

export async function deleteNamespace(kc: k8s.KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name }).catch(() => undefined);
}

/** The API server's message for a rejected request (422 etc.), or the error itself. */
export function apiMessage(err: unknown): string {
  if (err && typeof err === 'object' && 'body' in err) {
    const body = (err as { body: unknown }).body;
    if (typeof body === 'string') {
      try {
        return (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        return body;
      }
    }
    if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  }
  return err instanceof Error ? err.message : String(err);
}

export function apiCode(err: unknown): number | undefined {
  return err && typeof err === 'object' && 'code' in err ? Number((err as { code: unknown }).code) : undefined;
}
