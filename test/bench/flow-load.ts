// npm run bench:operator-flow [-- --size 300 --window 90 --interval 30]
// What reading consumer lag and produce rate (status.flow, the LAG column) costs at --size
// pipelines: the same pipelines, the same operator, first with flow reading off
// (FLOW_INTERVAL_SECONDS=0), then on (--interval seconds), each measured over --window seconds
// once the start-up burst is over. Reported side by side: Kafka requests/s (the operator's
// mobileforge_kafka_requests_total), API-server write requests/s, operator CPU (cores) and RSS.
// Every pipeline is in admin topic mode on the local Kafka with topics of its own (a prefix;
// one partition each, to keep the broker small), so that each reads its own groups and topics.
// Not-ready pipelines are not re-queued (no kubelet runs here), so with flow off the operator
// is idle and everything in the "on" column is what flow reading adds. Ends with one JSON line.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { logLevel } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { crdYaml } from '../../operator/api/crd-yaml.js';
import { API_VERSION, KIND, type SyncPipeline } from '../../operator/api/v1alpha1.js';
import { packageRoot } from '../../operator/util/repo-root.js';
import { useTestServices } from '../support/endpoints.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '300' },
    window: { type: 'string', default: '90' },
    interval: { type: 'string', default: '30' },
    port: { type: 'string', default: '18182' },
  },
});
const SIZE = Number(values.size);
const WINDOW_S = Number(values.window);
const INTERVAL_S = Number(values.interval);
const root = packageRoot();
const log = (m: string) => process.stderr.write(`[bench:operator-flow] ${m}\n`);

execFileSync('bash', [`${root}/test/infra/infra.sh`, 'up', 'kube', 'kafka'], { stdio: ['ignore', 'ignore', 'inherit'] });
// Only the test services, whatever the shell's KUBECONFIG or DATABASE_URL says.
useTestServices();
const env = { ...process.env } as Record<string, string>;
const brokers = env.KAFKA_BROKERS!.split(',');
const kc = new k8s.KubeConfig();
kc.loadFromFile(env.KUBECONFIG!);
const kubectl = (args: string[], input?: string) =>
  execFileSync(env.KUBECTL!, args, { env: { ...process.env, KUBECONFIG: env.KUBECONFIG }, encoding: 'utf8', maxBuffer: 1 << 28, ...(input ? { input } : {}) });
const run = Date.now().toString(36);
const ns = `flow-${run}`;
const prefixOf = (i: number) => `fb${run}-${i}.`;

kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], crdYaml());
kubectl(['wait', '--for', 'condition=established', 'crd/syncpipelines.mobileforge.credeau.com']);
kubectl(['create', 'namespace', ns]);
kubectl(
  ['apply', '-n', ns, '-f', '-'],
  JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { username: 'u', password: 'p' } }),
);

function startOperator(flowIntervalS: number): ChildProcess {
  return spawn(process.execPath, [`${root}/dist/operator/main.js`], {
    env: {
      ...process.env,
      NODE_OPTIONS: '--max-old-space-size=128 --max-semi-space-size=4',
      KUBECONFIG: env.KUBECONFIG,
      WATCH_NAMESPACES: ns,
      LEADER_ELECT: 'false',
      METRICS_PORT: values.port,
      RESYNC_SECONDS: '86400',
      PENDING_REQUEUE_SECONDS: '86400',
      FLOW_INTERVAL_SECONDS: String(flowIntervalS),
      LOG_LEVEL: 'error',
      MAX_CONCURRENT_RECONCILES: '8',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Every sample by metric name, and by full series (name and labels). */
async function metrics(): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${values.port}/metrics`)).text();
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const series = line.slice(0, line.lastIndexOf(' '));
    const name = line.slice(0, line.search(/[{ ]/));
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    sums.set(name, (sums.get(name) ?? 0) + value);
    if (series !== name) sums.set(series, value);
  }
  return sums;
}

async function waitUntil(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Waits for the operator's HTTP server, then for its work queue to stay empty for 5 s. */
async function settle(): Promise<void> {
  await waitUntil('the operator', async () => (await fetch(`http://127.0.0.1:${values.port}/readyz`)).ok, 30000);
  let quiet = 0;
  await waitUntil(
    'a quiet work queue',
    async () => {
      const m = await metrics();
      quiet = (m.get('mobileforge_workqueue_depth') ?? 1) === 0 ? quiet + 1 : 0;
      return quiet >= 5;
    },
    900000,
  );
}

interface Window {
  kafkaRequestsPerS: number;
  /** Kafka requests in the window by API. */
  kafkaRequests: Record<string, number>;
  apiWritesPerS: number;
  /** API-server writes in the window by verb and resource. */
  apiWrites: Record<string, number>;
  cpuCores: number;
  rssMb: number;
}

async function measure(pid: number): Promise<Window> {
  const before = await metrics();
  await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
  const after = await metrics();
  const delta = (prefix: string) =>
    Object.fromEntries(
      [...after]
        .filter(([k]) => k.startsWith(`${prefix}{`))
        .map(([k, v]) => [k.slice(prefix.length), v - (before.get(k) ?? 0)] as const)
        .filter(([, d]) => d > 0),
    );
  const rate = (name: string) => Number((((after.get(name) ?? 0) - (before.get(name) ?? 0)) / WINDOW_S).toFixed(3));
  return {
    kafkaRequestsPerS: rate('mobileforge_kafka_requests_total'),
    kafkaRequests: delta('mobileforge_kafka_requests_total'),
    apiWritesPerS: rate('mobileforge_api_write_requests_total'),
    apiWrites: delta('mobileforge_api_write_requests_total'),
    cpuCores: rate('process_cpu_seconds_total'),
    rssMb: Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024),
  };
}

async function stop(p: ChildProcess): Promise<void> {
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}

const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
const pipeline = (i: number): k8s.KubernetesObject =>
  ({
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: `p-${i}`, namespace: ns },
    spec: {
      dau: 5000,
      environment: 'dev',
      region: 'india',
      image: { repository: 'registry.example.com/mobileforge/sync-workload', tag: '0.1.0' },
      kafka: {
        bootstrapServers: brokers,
        topicPrefix: prefixOf(i),
        replicationFactor: 1,
        topicManagement: { mode: 'admin' },
        topics: { sms_batched: { partitions: 1 }, events_log: { partitions: 1 }, apps_and_device_batched: { partitions: 1 } },
      },
      consumers: { sms: { minReplicas: 1, maxReplicas: 1 }, events: { minReplicas: 1, maxReplicas: 1 }, common: { minReplicas: 1, maxReplicas: 1 } },
      autoscaling: { engine: 'hpa' },
      postgres: { host: 'pg', credentialsSecretRef: { name: 'db' } },
      mongodb: { host: 'mongo', credentialsSecretRef: { name: 'db' } },
    },
  }) as k8s.KubernetesObject;

let operator: ChildProcess | undefined;
try {
  log(`${SIZE} pipelines in admin mode, ${SIZE * 6} topics`);
  operator = startOperator(0);
  for (let i = 0; i < SIZE; i += 25) await Promise.all(Array.from({ length: Math.min(25, SIZE - i) }, (_, k) => objects.create(pipeline(i + k))));
  const topicsReady = async () => {
    const list = JSON.parse(kubectl(['get', 'syncpipelines', '-n', ns, '-o', 'json'])) as { items: SyncPipeline[] };
    return list.items.filter((p) => (p.status?.topics ?? []).filter((t) => t.ready).length === 6).length === SIZE;
  };
  await waitUntil('every pipeline with its six topics', topicsReady, 900000);
  await settle();
  log(`flow reading off: measuring ${WINDOW_S} s`);
  const off = await measure(operator.pid!);
  await stop(operator);

  operator = startOperator(INTERVAL_S);
  const withFlow = async () => {
    const list = JSON.parse(kubectl(['get', 'syncpipelines', '-n', ns, '-o', 'json'])) as { items: SyncPipeline[] };
    return list.items.filter((p) => p.status?.flow).length === SIZE;
  };
  await waitUntil('status.flow on every pipeline', withFlow, 900000);
  // One more interval, so the window holds steady state, not the first readings' writes.
  await new Promise((r) => setTimeout(r, INTERVAL_S * 1000));
  log(`flow reading every ${INTERVAL_S} s: measuring ${WINDOW_S} s`);
  const on = await measure(operator.pid!);

  const result = {
    bench: 'operator-flow',
    pipelines: SIZE,
    topics: SIZE * 6,
    windowSeconds: WINDOW_S,
    flowIntervalSeconds: INTERVAL_S,
    off,
    on,
    added: {
      kafkaRequestsPerS: Number((on.kafkaRequestsPerS - off.kafkaRequestsPerS).toFixed(2)),
      kafkaRequestsPerPipelinePerInterval: Number((((on.kafkaRequestsPerS - off.kafkaRequestsPerS) * INTERVAL_S) / SIZE).toFixed(1)),
      apiWritesPerS: Number((on.apiWritesPerS - off.apiWritesPerS).toFixed(3)),
      cpuCores: Number((on.cpuCores - off.cpuCores).toFixed(3)),
      rssMb: on.rssMb - off.rssMb,
    },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  if (operator) await stop(operator).catch(() => undefined);
  try {
    kubectl(['delete', 'namespace', ns, '--wait=false']);
  } catch {
    /* best effort */
  }
  const kafka = new Kafka({ clientId: 'bench-flow', brokers, logLevel: logLevel.NOTHING }).admin();
  await kafka.connect();
  const ours = (await kafka.listTopics()).filter((t) => t.startsWith(`fb${run}-`));
  for (let i = 0; i < ours.length; i += 200) await kafka.deleteTopics({ topics: ours.slice(i, i + 200) }).catch(() => undefined);
  await kafka.disconnect();
}
