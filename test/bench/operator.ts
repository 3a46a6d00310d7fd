// npm run bench:operator [-- --samples 20 --size 300]
// Time from creating a pipeline to Ready with every child, for one pipeline at a time (p50,
// p99 over --samples) and for --size pipelines created at once; the operator's RSS at the end;
// its write requests per pipeline; its writes while idle. Runs the real operator process
// against the local test kube-apiserver (npm run infra:up). No kubelet runs there, so a
// stand-in marks each Deployment ready as soon as it appears (as a kubelet on an empty cluster
// would, minus image pulls). In the same run, the yardstick: the same pipelines' rendered
// objects applied by a minimal server-side-apply client; ratioToBareApply is its time over the
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

// The kubelet stand-in: every Deployment becomes fully ready at its current generation.
const apps = kc.makeApiClient(k8s.AppsV1Api);
const markReady = async (d: k8s.V1Deployment) => {
  const r = d.spec?.replicas ?? 1;
  if (d.status?.readyReplicas === r && d.status.observedGeneration === d.metadata?.generation) return;
  await apps
    .patchNamespacedDeploymentStatus(
      {
        name: d.metadata!.name!,
        namespace: ns,
        body: { status: { observedGeneration: d.metadata!.generation, replicas: r, readyReplicas: r, updatedReplicas: r, availableReplicas: r } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    )
    .catch(() => undefined);
};
const watch = new k8s.Watch(kc);
const kubelet = await watch.watch(
  `/apis/apps/v1/namespaces/${ns}/deployments`,
  {},
  (phase, d: k8s.V1Deployment) => void (phase !== 'DELETED' && markReady(d)),
  () => undefined,
);

// The Job controller stand-in: a migration Job succeeds as soon as it appears (the status the
// Job controller writes: SuccessCriteriaMet, then Complete), so the gate opens at once.
const batch = kc.makeApiClient(k8s.BatchV1Api);
const completed = new Set<string>();
const completeJob = async (j: k8s.V1Job) => {
  const name = j.metadata!.name!;
  if (completed.has(name) || j.status?.conditions?.some((c) => c.type === 'Complete')) return;
  completed.add(name);
  await batch
    .patchNamespacedJobStatus(
      { name, namespace: ns, body: { status: succeededJobStatus({ started: true }) } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    )
    .catch(() => completed.delete(name));
};
const jobController = await watch.watch(
  `/apis/batch/v1/namespaces/${ns}/jobs`,
  {},
  (phase, j: k8s.V1Job) => void (phase !== 'DELETED' && completeJob(j)),
  () => undefined,
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

  // The yardstick: the same pipelines created the same way in a namespace the operator does not
  // watch, and the very objects the model renders for them applied by a minimal client
  // (server-side apply, eight pipelines at a time as the operator's MAX_CONCURRENT_RECONCILES,
  // one object after another within a pipeline; no watches, status, events or readiness).
  log(`bare server-side apply: ${SIZE} pipelines' rendered objects`);
  const bareNs = `${ns}-bare`;
  kubectl(['create', 'namespace', bareNs]);
  const capabilities = await new ApiDiscovery(kc).discover();
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
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (nextPipeline < created.length) {
        const p = created[nextPipeline++]!;
        const rendered = render(p, { capabilities, configHash: BARE_CONFIG_HASH }).objects;
        objectsPerPipeline = rendered.length;
        for (const o of rendered) {
          await objects.patch(o, undefined, undefined, 'bench-bare-apply', true, k8s.PatchStrategy.ServerSideApply);
          bareWrites++;
        }
      }
    }),
  );
  const bareMs = performance.now() - tb;

  const result = {
    bench: 'operator',
    single: { samples: SAMPLES, p50Ms: Math.round(pct(single, 50)), p99Ms: Math.round(pct(single, 99)) },
    burst: { pipelines: SIZE, allReadyMs: Math.round(allReadyMs), p50Ms: Math.round(pct(manyLatencies, 50)), p99Ms: Math.round(pct(manyLatencies, 99)) },
    bareApply: { pipelines: SIZE, allAppliedMs: Math.round(bareMs), objectsPerPipeline, writeRequestsPerPipeline: Number((bareWrites / SIZE).toFixed(1)) },
    ratioToBareApply: Number((bareMs / allReadyMs).toFixed(2)),
    writeRequestsPerPipeline: Number((writesSettled / (SAMPLES + SIZE)).toFixed(1)),
    writeRequestsPerPipelineSingle: Number((writesAfterSingle / SAMPLES).toFixed(1)),
    idleWritesIn10s: idleWrites,
    operatorRssMb: Math.round(rssMb),
    nodeOptions: OPERATOR_NODE_OPTIONS,
    targets: { singleUnderMs: 1000, burst300UnderMs: 60000, rssUnderMb: 200, idleWrites: 0, ratioToBareApply: 0.8 },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  kubelet.abort();
  jobController.abort();
  pipelineWatch.abort();
  operator.kill('SIGTERM');
  try {
    kubectl(['delete', 'namespace', ns, `${ns}-bare`, '--wait=false', '--ignore-not-found']);
  } catch {
    /* best effort */
  }
}
