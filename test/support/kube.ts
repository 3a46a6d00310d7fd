// Kubernetes helpers for integration tests: install CRDs (ours, and the upstream Strimzi, KEDA
// and Prometheus Operator ones fetched into the cache), namespaces per suite, server-side dry runs.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { packageRoot } from '../../operator/util/repo-root.js';
import { crdYaml } from '../../operator/api/crd-yaml.js';
import { cacheDir } from './endpoints.js';
import { uniqueName } from './services.js';
import { testLabels } from './test-owner.js';
import { errorMessage } from '../../core/errors.js';

/**
 * The upstream CRDs the rendered objects must satisfy, fetched by `test/infra/build-go-tools.sh
 * upstream-crds` from the projects' published artifacts into the cache, at the versions
 * test/infra/versions.env pins. Strimzi's 0.x-line KafkaTopic CRD serves v1 and v1beta2 (its v1
 * schema is the same as the 1.0 line's, which serves only v1).
 */
export const UPSTREAM_CRDS = {
  strimziKafkaTopic: { versionVar: 'STRIMZI_VERSION', file: (v: string) => `strimzi-kafkatopic.${v}.v1beta2.yaml` },
  kedaScaledObject: { versionVar: 'KEDA_VERSION', file: (v: string) => `keda.sh_scaledobjects.${v}.yaml` },
  kedaTriggerAuthentication: { versionVar: 'KEDA_VERSION', file: (v: string) => `keda.sh_triggerauthentications.${v}.yaml` },
  prometheusPodMonitor: { versionVar: 'PROMETHEUS_OPERATOR_VERSION', file: (v: string) => `monitoring.coreos.com_podmonitors.${v}.yaml` },
  prometheusRule: { versionVar: 'PROMETHEUS_OPERATOR_VERSION', file: (v: string) => `monitoring.coreos.com_prometheusrules.${v}.yaml` },
} as const;

function upstreamCrdPath(key: keyof typeof UPSTREAM_CRDS): string {
  const { versionVar, file } = UPSTREAM_CRDS[key];
  const versions = readFileSync(join(packageRoot(), 'test', 'infra', 'versions.env'), 'utf8');
  const version = new RegExp(`^${versionVar}=(\\S+)`, 'm').exec(versions)?.[1];
  if (!version) throw new Error(`test/infra/versions.env does not pin ${versionVar}`);
  const path = join(process.env.MOBILEFORGE_CRDS ?? join(cacheDir(), 'crds'), file(version));
  if (!existsSync(path)) throw new Error(`upstream CRD ${path} not found: run \`npm run infra:up\` (test/infra/build-go-tools.sh upstream-crds fetches it)`);
  return path;
}

function docs(text: string): k8s.KubernetesObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as k8s.KubernetesObject)
    .filter(Boolean);
}

/**
 * Installs a CRD with the real kubectl (server-side apply). Not through client-node: it
 * serialises a CRD through its model classes, which know the schema extensions only by their
 * camelCase names (xKubernetesIntOrString), so a plain YAML object would lose every
 * x-kubernetes-* key on the way out.
 */
async function applyCrd(kc: k8s.KubeConfig, crd: k8s.KubernetesObject): Promise<void> {
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
async function waitCrdServed(kc: k8s.KubeConfig, name: string, timeoutMs = 30000): Promise<void> {
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

export async function installUpstreamCrds(
  kc: k8s.KubeConfig,
  which: (keyof typeof UPSTREAM_CRDS)[] = ['strimziKafkaTopic', 'kedaScaledObject', 'kedaTriggerAuthentication', 'prometheusPodMonitor'],
): Promise<void> {
  for (const key of which) {
    for (const crd of docs(readFileSync(upstreamCrdPath(key), 'utf8'))) await applyCrd(kc, crd);
  }
}

export async function createNamespace(kc: k8s.KubeConfig, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name, labels: testLabels() } } });
  return name;
}

/**
 * Deletes a suite's namespace and waits until it is gone (up to `timeoutMs`), so that the
 * namespace controller's deletions are over before the next suite starts: some suites count the
 * API server's write requests.
 */
export async function deleteNamespace(kc: k8s.KubeConfig, name: string, timeoutMs = 60000): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.deleteNamespace({ name }).catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await core.readNamespace({ name });
    } catch (err) {
      if (apiCode(err) === 404) return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stderr.write(`namespace ${name} still there ${timeoutMs / 1000} s after its deletion (test/infra/sweep.sh retries on the next run)\n`);
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
  return errorMessage(err);
}

export function apiCode(err: unknown): number | undefined {
  return err && typeof err === 'object' && 'code' in err ? Number((err as { code: unknown }).code) : undefined;
}
