// npm run bench:operator [-- --samples 20 --size 300]
// Time from creating a pipeline to Ready with every child, for one pipeline at a time (p50,
// p99 over --samples) and for --size pipelines created at once; the operator's RSS at the end;
// its write requests per pipeline; its writes while idle. Runs the real operator process
// against the local test kube-apiserver (npm run infra:up). No kubelet runs there, so a
// stand-in marks each Deployment ready as soon as it appears (as a kubelet on an empty cluster
// would, minus image pulls), and another raises each Deployment to its HPA's minimum (as the HPA
// controller does first). In the same run, the yardstick doing the same work: the same
// pipelines' rendered objects applied by a minimal server-side-apply client through the same
// migration gate to the same end (every Deployment ready); ratioToBareApply is its time over the
// operator's burst time. Ends with one line of JSON.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { crdYaml } from '../../operator/api/crd-yaml.js';
import { API_VERSION, KIND, type SyncPipeline } from '../../operator/api/v1alpha1.js';
import { packageRoot } from '../../operator/util/repo-root.js';
import { useTestServices } from '../support/endpoints.js';
import { succeededJobStatus } from '../support/job-runner.js';
import { ApiDiscovery } from '../../operator/controller/discovery.js';
import { render } from '../../operator/model/render.js';
import { KINDS_GATED_BY_MIGRATION } from '../../operator/model/objects/maintenance.js';

/** Stands in for the hash of the referenced Secrets the operator puts on pod templates: same length. */
const BARE_CONFIG_HASH = '0123456789abcdef';

const { values } = parseArgs({
  options: { samples: { type: 'string', default: '20' }, size: { type: 'string', default: '300' }, port: { type: 'string', default: '18181' } },
});
const SAMPLES = Number(values.samples);
const SIZE = Number(values.size);
const root = packageRoot();

execFileSync('bash', [`${root}/test/infra/infra.sh`, 'up', 'kube'], { stdio: ['ignore', 'ignore', 'inherit'] });
// Only the test services, whatever the shell's KUBECONFIG or DATABASE_URL says.
useTestServices();
const env = { ...process.env } as Record<string, string>;
const kc = new k8s.KubeConfig();
kc.loadFromFile(env.KUBECONFIG!);
const kubectl = (args: string[], input?: string) =>
  execFileSync(env.KUBECTL!, args, { env: { ...process.env, KUBECONFIG: env.KUBECONFIG }, encoding: 'utf8', maxBuffer: 1 << 28, ...(input ? { input } : {}) });
const ns = `bench-${Date.now().toString(36)}`;
const log = (m: string) => process.stderr.write(`[bench:operator] ${m}\n`);

kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], crdYaml());
kubectl(['wait', '--for', 'condition=established', 'crd/syncpipelines.mobileforge.credeau.com']);
kubectl(['create', 'namespace', ns]);
kubectl(
  ['apply', '-n', ns, '-f', '-'],
  JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pg' }, stringData: { username: 'u', password: 'p' } }),
);

const OPERATOR_NODE_OPTIONS = process.env.OPERATOR_NODE_OPTIONS ?? '--max-old-space-size=128 --max-semi-space-size=4';
const operator = spawn(process.execPath, [`${root}/dist/operator/main.js`], {
  // The V8 settings the image, the Helm chart and kustomize manager set: V8 otherwise grows its
  // heap lazily far past what it needs (320 pipelines: 383 MB RSS uncapped, 201 MB with the old
  // space capped at 128 MB, 178 MB with 4 MB semi-spaces too, at the same latency).
  // OPERATOR_NODE_OPTIONS tries other settings.
  env: {
    ...process.env,
    NODE_OPTIONS: OPERATOR_NODE_OPTIONS,
    KUBECONFIG: env.KUBECONFIG,
    WATCH_NAMESPACES: ns,
    LEADER_ELECT: 'false',
    METRICS_PORT: values.port,
    RESYNC_SECONDS: '300',
    LOG_LEVEL: 'warn',
    MAX_CONCURRENT_RECONCILES: '8',
    PENDING_REQUEUE_SECONDS: '30',
  },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const metric = async (name: string): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${values.port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
};

// The autoscaler stand-in: what the HPA controller does first to a new Deployment, which starts
// at one replica: it raises the Deployment to the HPA's minimum (the operator's pipelines are
// Ready only once there). Minimums by namespace/Deployment name.
const apps = kc.makeApiClient(k8s.AppsV1Api);
const autoscalerMinimum = new Map<string, number>();
const key = (namespace: string | undefined, name: string | undefined) => `${namespace}/${name}`;
const raiseToMinimum = async (namespace: string, name: string, min: number) =>
  apps
    .patchNamespacedDeploymentScale({ name, namespace, body: { spec: { replicas: min } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch))
    .catch(() => undefined);

// The kubelet stand-in: every Deployment at (or above) its minimum becomes fully ready at its
// current generation. The replicas each Deployment was last made ready at, by namespace/name,
// for the bare side to wait on.
const readyReplicas = new Map<string, number>();
const markReady = async (d: k8s.V1Deployment) => {
  const { namespace, name } = d.metadata!;
  const r = d.spec?.replicas ?? 1;
  const min = autoscalerMinimum.get(key(namespace, name)) ?? 0;
  if (r < min) return raiseToMinimum(namespace!, name!, min);
  if (d.status?.readyReplicas === r && d.status.observedGeneration === d.metadata?.generation) return;
  await apps
    .patchNamespacedDeploymentStatus(
      {
        name: name!,
        namespace: namespace!,
        body: { status: { observedGeneration: d.metadata!.generation, replicas: r, readyReplicas: r, updatedReplicas: r, availableReplicas: r } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    )
    .then(() => readyReplicas.set(key(namespace, name), r))
    .catch(() => undefined);
};
const watch = new k8s.Watch(kc);
const capabilities = await new ApiDiscovery(kc).discover();
const bareNs = `${ns}-bare`;
kubectl(['create', 'namespace', bareNs]);
const standIns: AbortController[] = [];
const watchBoth = async <T>(path: (namespace: string) => string, handle: (phase: string, obj: T) => void) => {
  for (const namespace of [ns, bareNs])
    standIns.push(
      await watch.watch(
        path(namespace),
        {},
        (phase, obj: T) => handle(phase, obj),
        () => undefined,
      ),
    );
};
/** An autoscaler's floor for its Deployment; a Deployment already there at fewer is raised. */
const setMinimum = (namespace: string, deployment: string, min: number) => {
  autoscalerMinimum.set(key(namespace, deployment), min);
  void apps
    .readNamespacedDeployment({ name: deployment, namespace })
    .then((d) => markReady(d))
    .catch(() => undefined);
};
await watchBoth<k8s.V2HorizontalPodAutoscaler>(
  (namespace) => `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers`,
  (phase, h) => void (phase !== 'DELETED' && setMinimum(h.metadata!.namespace!, h.spec!.scaleTargetRef.name, h.spec!.minReplicas ?? 1)),
);
// KEDA's ScaledObjects (the consumers' autoscalers where the cluster serves KEDA's API): the HPA
// KEDA makes from one keeps at least one replica.
interface ScaledObject extends k8s.KubernetesObject {
  spec: { scaleTargetRef: { name: string }; minReplicaCount?: number };
}
if (capabilities.keda)
  await watchBoth<ScaledObject>(
    (namespace) => `/apis/keda.sh/v1alpha1/namespaces/${namespace}/scaledobjects`,
    (phase, o) => void (phase !== 'DELETED' && setMinimum(o.metadata!.namespace!, o.spec.scaleTargetRef.name, Math.max(1, o.spec.minReplicaCount ?? 0))),
  );
await watchBoth<k8s.V1Deployment>(
  (namespace) => `/apis/apps/v1/namespaces/${namespace}/deployments`,
  (phase, d) => void (phase !== 'DELETED' && markReady(d)),
);

// The Job controller stand-in: a migration Job succeeds as soon as it appears (the status the
// Job controller writes: SuccessCriteriaMet, then Complete), so the gate opens at once.
const batch = kc.makeApiClient(k8s.BatchV1Api);
const completed = new Set<string>();
const completeJob = async (j: k8s.V1Job) => {
  const id = key(j.metadata!.namespace, j.metadata!.name);
  if (completed.has(id) || j.status?.conditions?.some((c) => c.type === 'Complete')) return;
  completed.add(id);
  await batch
    .patchNamespacedJobStatus(
      { name: j.metadata!.name!, namespace: j.metadata!.namespace!, body: { status: succeededJobStatus({ started: true }) } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    )
    .then(() => jobsSucceeded.add(id))
    .catch(() => completed.delete(id));
};
/** Jobs the stand-in has marked succeeded, by namespace/name. */
const jobsSucceeded = new Set<string>();
await watchBoth<k8s.V1Job>(
  (namespace) => `/apis/batch/v1/namespaces/${namespace}/jobs`,
  (phase, j) => void (phase !== 'DELETED' && completeJob(j)),
);

// Ready times, from a watch on pipelines.
const readyAt = new Map<string, number>();
const pipelineWatch = await watch.watch(
  `/apis/${API_VERSION}/namespaces/${ns}/syncpipelines`,
  {},
  (_phase, p: SyncPipeline) => {
    if (!readyAt.has(p.metadata.name) && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      readyAt.set(p.metadata.name, performance.now());
  },
  () => undefined,
);

const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
const pipeline = (name: string): k8s.KubernetesObject =>
  ({
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name, namespace: ns },
    spec: {
      dau: 50_000,
      environment: 'production',
      region: 'india',
      image: { repository: 'registry.example.com/mobileforge/sync-workload', tag: '0.1.0' },
      // Many pipelines on one Kafka cluster: each with topics and groups of its own.
      kafka: { bootstrapServers: ['kafka:9092'], topicPrefix: `${name}.`, topicManagement: { mode: 'unmanaged' } },
      postgres: { host: 'pg', credentialsSecretRef: { name: 'pg' } },
      mongodb: { host: 'mongo', credentialsSecretRef: { name: 'pg' } },
    },
  }) as k8s.KubernetesObject;

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

try {
  await until(() => true, 0);
  for (let i = 0; i < 50; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${values.port}/readyz`)).ok) break;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  log(`one at a time: ${SAMPLES} pipelines`);
  const single: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const name = `one-${i}`;
    const t0 = performance.now();
    await objects.create(pipeline(name));
    await until(() => readyAt.has(name), 30000).catch((err: unknown) => {
      log(kubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'jsonpath={.status.conditions}']));
      log(kubectl(['get', 'deployments', '-n', ns, '-o', 'wide']));
      throw err;
    });
    single.push(readyAt.get(name)! - t0);
  }
  const writesAfterSingle = await metric('mobileforge_api_write_requests_total');

  log(`${SIZE} pipelines at once`);
  const t0 = performance.now();
  const names = Array.from({ length: SIZE }, (_, i) => `many-${i}`);
  for (let i = 0; i < names.length; i += 25) await Promise.all(names.slice(i, i + 25).map((n) => objects.create(pipeline(n))));
  await until(() => names.every((n) => readyAt.has(n)), 300000);
  const allReadyMs = Math.max(...names.map((n) => readyAt.get(n)!)) - t0;
  const manyLatencies = names.map((n) => readyAt.get(n)! - t0);

  // Let the tail of the burst finish (events, last status writes) before the idle window.
  await until(() => true, 0);
  for (let quiet = 0; quiet < 3;) {
    const before = await metric('mobileforge_api_write_requests_total');
    await new Promise((r) => setTimeout(r, 1000));
    quiet = (await metric('mobileforge_api_write_requests_total')) === before && (await metric('mobileforge_workqueue_depth')) === 0 ? quiet + 1 : 0;
  }
  const writesSettled = await metric('mobileforge_api_write_requests_total');
  // The operator's writes per pipeline by verb and resource: where the writes beyond one per object go.
  const writesBy = Object.fromEntries(
    (await (await fetch(`http://127.0.0.1:${values.port}/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith('mobileforge_api_write_requests_total{'))
      .map((l) => {
        const labels = Object.fromEntries([...l.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
        return [`${labels.verb} ${labels.resource}`, Number((Number(l.slice(l.lastIndexOf(' ') + 1)) / (SAMPLES + SIZE)).toFixed(2))];
      }),
  );
  const metricsText = async () =>
    (await (await fetch(`http://127.0.0.1:${values.port}/metrics`)).text()).split('\n').filter((l) => l.startsWith('mobileforge_api_write'));
  const beforeIdle = await metricsText();
  await new Promise((r) => setTimeout(r, 10000));
  const afterIdle = await metricsText();
  const idleWrites = (await metric('mobileforge_api_write_requests_total')) - writesSettled;
  if (idleWrites > 0) {
    log(`writes while idle:\n${afterIdle.filter((l) => !beforeIdle.includes(l)).join('\n')}\nbefore:\n${beforeIdle.join('\n')}`);
  }
  const rssMb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${operator.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

  // The yardstick, doing the same work to the same end: the same pipelines created the same way
  // in a namespace the operator does not watch, and the very objects the model renders for them
  // applied by a minimal client as a Helm install with a pre-install hook and --wait would:
  // server-side apply, eight pipelines at a time (the operator's MAX_CONCURRENT_RECONCILES), one
  // object after another; the Deployments and CronJob only once the migration Job has succeeded;
  // done when every Deployment is ready at its autoscaler's minimum (the same stand-ins serve
  // both namespaces). No watches of its own, status or Events.
  log(`bare server-side apply: ${SIZE} pipelines' rendered objects, through the migration gate, to every Deployment ready`);
  const tb = performance.now();
  const created: SyncPipeline[] = [];
  const bareNames = Array.from({ length: SIZE }, (_, i) => `bare-${i}`);
  for (let i = 0; i < bareNames.length; i += 25)
    created.push(
      ...(await Promise.all(
        bareNames.slice(i, i + 25).map(async (n) => (await objects.create({ ...pipeline(n), metadata: { name: n, namespace: bareNs } })) as SyncPipeline),
      )),
    );
  let nextPipeline = 0;
  let bareWrites = created.length;
  let objectsPerPipeline = 0;
  const applyAll = async (list: k8s.KubernetesObject[]) => {
    for (const o of list) {
      await objects.patch(o, undefined, undefined, 'bench-bare-apply', true, k8s.PatchStrategy.ServerSideApply);
      bareWrites++;
    }
  };
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (nextPipeline < created.length) {
        const p = created[nextPipeline++]!;
        const result = render(p, { capabilities, configHash: BARE_CONFIG_HASH });
        objectsPerPipeline = result.objects.length;
        const gated = result.objects.filter((o) => KINDS_GATED_BY_MIGRATION.has(o.kind!));
        await applyAll(result.objects.filter((o) => !KINDS_GATED_BY_MIGRATION.has(o.kind!)));
        await until(() => jobsSucceeded.has(key(bareNs, result.migrationJob)), 120000);
        await applyAll(gated);
        const deployments = gated.filter((o) => o.kind === 'Deployment').map((o) => key(bareNs, o.metadata!.name));
        await until(() => deployments.every((d) => (readyReplicas.get(d) ?? 0) >= Math.max(1, autoscalerMinimum.get(d) ?? 0)), 120000);
      }
    }),
  );
  const bareMs = performance.now() - tb;

  const result = {
    bench: 'operator',
    single: { samples: SAMPLES, p50Ms: Math.round(pct(single, 50)), p99Ms: Math.round(pct(single, 99)) },
    burst: { pipelines: SIZE, allReadyMs: Math.round(allReadyMs), p50Ms: Math.round(pct(manyLatencies, 50)), p99Ms: Math.round(pct(manyLatencies, 99)) },
    bareApply: { pipelines: SIZE, allReadyMs: Math.round(bareMs), objectsPerPipeline, writeRequestsPerPipeline: Number((bareWrites / SIZE).toFixed(1)) },
    ratioToBareApply: Number((bareMs / allReadyMs).toFixed(2)),
    objectsPerPipeline,
    writeRequestsPerPipeline: Number((writesSettled / (SAMPLES + SIZE)).toFixed(1)),
    writesPerPipelineBy: writesBy,
    writeRequestsPerPipelineSingle: Number((writesAfterSingle / SAMPLES).toFixed(1)),
    idleWritesIn10s: idleWrites,
    operatorRssMb: Math.round(rssMb),
    nodeOptions: OPERATOR_NODE_OPTIONS,
    targets: {
      singleUnderMs: 1000,
      burst300UnderMs: 60000,
      rssUnderMb: 200,
      idleWrites: 0,
      ratioToBareApply: 0.8,
      writeRequestsPerPipeline: objectsPerPipeline + 2,
    },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  for (const w of standIns) w.abort();
  pipelineWatch.abort();
  operator.kill('SIGTERM');
  try {
    kubectl(['delete', 'namespace', ns, `${ns}-bare`, '--wait=false', '--ignore-not-found']);
  } catch {
    /* best effort */
  }
}
