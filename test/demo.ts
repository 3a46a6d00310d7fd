// npm run demo: the operator's main job, end to end, on this machine. Starts the local
// Kubernetes API server and Kafka (test/infra), installs the CRD, applies a pipeline whose
// topics the operator creates in the real Kafka through the admin API, runs the operator and
// shows what it made: `kubectl get syncpipelines`, the children, the topics, the conditions.
// No kubelet runs here, so once the Deployments exist the demo reports them ready the way a
// kubelet would; everything else is the real thing. Leaves the services running.
import { execFileSync, spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { crdYaml } from '../operator/api/crd-yaml.js';
import { packageRoot } from '../operator/util/repo-root.js';
import { readEnvFile } from './support/endpoints.js';

const root = packageRoot();
const say = (m: string) => process.stdout.write(`\n\x1b[1m==> ${m}\x1b[0m\n`);
say('starting the local Kubernetes API server and Kafka (first run builds them: ~10 min)');
execFileSync('bash', [`${root}/test/infra/infra.sh`, 'up', 'kube', 'kafka'], { stdio: ['ignore', 'ignore', 'inherit'] });
const env = { ...process.env, ...readEnvFile() } as Record<string, string>;
const kubectl = (args: string[], input?: string) =>
  execFileSync(env.KUBECTL!, args, { env: { ...process.env, KUBECONFIG: env.KUBECONFIG }, encoding: 'utf8', ...(input ? { input } : {}) });
const ns = 'mobileforge-demo';
const show = (args: string[]) => process.stdout.write(`$ kubectl ${args.join(' ')}\n${kubectl(args)}`);

say('installing the MobileForgeSyncPipeline CRD');
kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], crdYaml());
kubectl(['wait', '--for', 'condition=established', 'crd/syncpipelines.mobileforge.credeau.com']);
kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
for (const name of ['acme-demo-postgres', 'acme-demo-mongodb']) {
  kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { username: 'mobileforge', password: 'change-me' } }));
}

say('applying a 60K-DAU production pipeline (topics through the Kafka admin API, HPA autoscaling)');
const pipeline = {
  apiVersion: 'mobileforge.credeau.com/v1alpha1',
  kind: 'MobileForgeSyncPipeline',
  metadata: { name: 'acme-demo', namespace: ns },
  spec: {
    dau: 60000,
    environment: 'production',
    region: 'other',
    image: { repository: 'registry.example.com/mobileforge/sync-workload', tag: '0.1.0' },
    kafka: { bootstrapServers: env.KAFKA_BROKERS!.split(','), replicationFactor: 1, topicManagement: { mode: 'admin' } },
    postgres: { host: 'postgres.example.internal', credentialsSecretRef: { name: 'acme-demo-postgres' } },
    mongodb: { host: 'mongodb.example.internal', credentialsSecretRef: { name: 'acme-demo-mongodb' } },
    autoscaling: { engine: 'hpa' },
  },
};
process.stdout.write(kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(pipeline)));

say('running the operator (npm run operator) against the local cluster');
const operator = spawn(process.execPath, [`${root}/dist/operator/main.js`], {
  env: { ...process.env, KUBECONFIG: env.KUBECONFIG, WATCH_NAMESPACES: ns, LEADER_ELECT: 'false', METRICS_PORT: '18090', PENDING_REQUEUE_SECONDS: '1', LOG_LEVEL: 'info' },
  stdio: ['ignore', 'inherit', 'inherit'],
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  let ready = false;
  for (let i = 0; i < 60 && !ready; i++) {
    await sleep(500);
    const deployments = JSON.parse(kubectl(['get', 'deployments', '-n', ns, '-o', 'json'])) as { items: { metadata: { name: string; generation: number }; status?: { readyReplicas?: number } }[] };
    for (const d of deployments.items.filter((x) => !x.status?.readyReplicas)) {
      // the kubelet's part: report the pod ready
      kubectl(['patch', 'deployment', d.metadata.name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { observedGeneration: d.metadata.generation, replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 } })]);
    }
    ready = kubectl(['get', 'syncpipeline', 'acme-demo', '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']) === 'True';
  }
  say('what the operator made');
  show(['get', 'syncpipelines', '-n', ns]);
  show(['get', 'deployments,services,hpa,pdb', '-n', ns]);
  show(['get', 'syncpipeline', 'acme-demo', '-n', ns, '-o', 'jsonpath={range .status.conditions[*]}{.type}{"\\t"}{.status}{"\\t"}{.message}{"\\n"}{end}']);
  const admin = new Kafka({ clientId: 'demo', brokers: env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const meta = await admin.fetchTopicMetadata({ topics: ['sms_batched', 'events_log', 'apps_and_device_batched', 'contacts_batched', 'call_logs_batched'] });
  say('topics in Kafka');
  for (const t of meta.topics) process.stdout.write(`${t.name}\t${t.partitions.length} partitions\n`);
  await admin.disconnect();
  say(ready ? 'pipeline Ready. Try: kubectl get mfsp -A (KUBECONFIG below), mobileforge plan, mobileforge render' : 'pipeline not Ready yet; see the conditions above');
  process.stdout.write(`export KUBECONFIG=${env.KUBECONFIG}\nalias kubectl=${env.KUBECTL}\n`);
  process.exitCode = ready ? 0 : 1;
} finally {
  operator.kill('SIGTERM');
}
