// npm run demo: the operator's main job, end to end, on this machine. With the local node up
// (test/infra, `infra.sh up node`) everything runs as real pods: test/demo-node.ts. Without it
// (a machine where the node cannot run), it says so and falls back to this: starts the local
// Kubernetes API server, Kafka, PostgreSQL and MongoDB-wire server (test/infra), installs the
// CRD, applies a pipeline whose topics the operator creates in the real Kafka through the
// admin API and whose schema its migration Job creates in the real databases, runs the
// operator and shows what it made: `kubectl get syncpipelines`, the children, the topics, the
// tables, the conditions. No kubelet or Job controller runs here, so the demo plays their
// part: it runs the migration Job's container command (the workload entry point, with the
// Job's env) and reports the Deployments' pods ready. Leaves the services running.
import { execFileSync, spawn } from 'node:child_process';
import { logLevel } from 'kafkajs';
import { Kafka } from '../core/kafka.js';
import { crdYaml } from '../operator/api/crd-yaml.js';
import { packageRoot } from '../operator/util/repo-root.js';
import pg from 'pg';
import { useTestServices } from './support/endpoints.js';
import { runJob, unfinishedJobs } from './support/job-runner.js';
import { runNodeDemo } from './demo-node.js';
import { cleanDemo } from './demo-clean.js';
import { TOPICS } from '../core/domain.js';
import { DEMO_DATABASES, DEMO_MONGO_DATABASE, DEMO_NAMESPACE, DEMO_PIPELINE, DEMO_TOPIC_PREFIX } from './demo-names.js';

const root = packageRoot();
const say = (m: string) => process.stdout.write(`\n\x1b[1m==> ${m}\x1b[0m\n`);
// The demo runs on the local test services only, whatever the shell's KUBECONFIG,
// DATABASE_URL, KAFKA_BROKERS or MONGODB_URI say.
useTestServices();
if (process.argv.includes('--clean')) process.exit(await cleanDemo({ ...process.env } as Record<string, string>));
say('starting the local node (kubelet, containerd, controllers), Kafka, PostgreSQL and MongoDB-wire server (first run builds them: ~12 min)');
execFileSync('bash', [`${root}/test/infra/infra.sh`, 'up', 'postgres', 'kafka', 'mongo', 'kube'], { stdio: ['ignore', 'ignore', 'inherit'] });
let nodeUp = true;
try {
  execFileSync('bash', [`${root}/test/infra/infra.sh`, 'up', 'node'], { stdio: ['ignore', 'ignore', 'inherit'] });
} catch {
  nodeUp = false;
}
useTestServices(); // now with the endpoints of the services just started
const env = { ...process.env } as Record<string, string>;
if (nodeUp) {
  process.exit(await runNodeDemo(env));
}
say(
  'THE NODE DID NOT START (its log is above): falling back to stand-ins. No pod runs in what follows: the demo plays the kubelet and the Job controller itself',
);
const kubectl = (args: string[], input?: string) =>
  execFileSync(env.KUBECTL!, args, { env: { ...process.env, KUBECONFIG: env.KUBECONFIG }, encoding: 'utf8', ...(input ? { input } : {}) });
const ns = DEMO_NAMESPACE;
const show = (args: string[]) => process.stdout.write(`$ kubectl ${args.join(' ')}\n${kubectl(args)}`);

say('installing the MobileForgeSyncPipeline CRD');
kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], crdYaml());
kubectl(['wait', '--for', 'condition=established', 'crd/syncpipelines.mobileforge.credeau.com']);
kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
const secret = (name: string, stringData: Record<string, string>) =>
  kubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData }));
secret('acme-demo-postgres', { username: env.PGUSER!, password: env.PGPASSWORD! });
secret('acme-demo-mongodb', { uri: env.MONGODB_URI! });

// The databases exist before the pipeline (as a DBA would create them); the migration fills them.
const databases = DEMO_DATABASES;
const pgAdmin = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: 'postgres' });
await pgAdmin.connect();
for (const db of Object.values(databases)) {
  if ((await pgAdmin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount === 0) await pgAdmin.query(`CREATE DATABASE ${db}`);
}
await pgAdmin.end();

say('applying a 60K-DAU production pipeline (topics through the Kafka admin API, HPA autoscaling)');
const pipeline = {
  apiVersion: 'mobileforge.credeau.com/v1alpha1',
  kind: 'MobileForgeSyncPipeline',
  metadata: { name: DEMO_PIPELINE, namespace: ns },
  spec: {
    dau: 60000,
    environment: 'production',
    region: 'other',
    image: { repository: 'registry.example.com/mobileforge/sync-workload', tag: '0.1.0' },
    kafka: { bootstrapServers: env.KAFKA_BROKERS!.split(','), replicationFactor: 1, topicPrefix: DEMO_TOPIC_PREFIX, topicManagement: { mode: 'admin' } },
    postgres: {
      host: env.PGHOST,
      port: Number(env.PGPORT),
      database: databases.insights,
      syncDatabase: databases.sync,
      sslMode: 'disable',
      credentialsSecretRef: { name: 'acme-demo-postgres' },
    },
    mongodb: { uriSecretRef: { name: 'acme-demo-mongodb' }, database: DEMO_MONGO_DATABASE },
    autoscaling: { engine: 'hpa' },
  },
};
process.stdout.write(kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(pipeline)));

say('running the operator (npm run operator) against the local cluster');
const operator = spawn(process.execPath, [`${root}/dist/operator/main.js`], {
  env: {
    ...process.env,
    KUBECONFIG: env.KUBECONFIG,
    WATCH_NAMESPACES: ns,
    LEADER_ELECT: 'false',
    METRICS_PORT: '18090',
    PENDING_REQUEUE_SECONDS: '1',
    LOG_LEVEL: 'info',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  let ready = false;
  for (let i = 0; i < 60 && !ready; i++) {
    await sleep(500);
    for (const job of unfinishedJobs(kubectl, ns, DEMO_PIPELINE)) {
      // the Job controller's and kubelet's part: run the Job's container, report how it ended
      process.stdout.write(`running Job ${job} (the workload image's \`migrate\` with the Job's env)...\n`);
      const { code, log } = await runJob(kubectl, ns, job);
      process.stdout.write(code === 0 ? `Job ${job} succeeded\n` : `Job ${job} failed (exit ${code}):\n${log}`);
    }
    const deployments = JSON.parse(kubectl(['get', 'deployments', '-n', ns, '-o', 'json'])) as {
      items: { metadata: { name: string; generation: number }; status?: { readyReplicas?: number } }[];
    };
    for (const d of deployments.items.filter((x) => !x.status?.readyReplicas)) {
      // the kubelet's part: report the pod ready
      kubectl([
        'patch',
        'deployment',
        d.metadata.name,
        '-n',
        ns,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { observedGeneration: d.metadata.generation, replicas: 1, readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 } }),
      ]);
    }
    ready = kubectl(['get', 'syncpipeline', DEMO_PIPELINE, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']) === 'True';
  }
  say('what the operator made');
  show(['get', 'syncpipelines', '-n', ns, '-o', 'wide']);
  show(['get', 'jobs,cronjobs,deployments,services,hpa,pdb', '-n', ns]);
  show(['get', 'syncpipeline', DEMO_PIPELINE, '-n', ns, '-o', 'jsonpath={range .status.conditions[*]}{.type}{"\\t"}{.status}{"\\t"}{.message}{"\\n"}{end}']);
  const admin = new Kafka({ clientId: 'demo', brokers: env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const meta = await admin.fetchTopicMetadata({ topics: TOPICS.map((t) => `${DEMO_TOPIC_PREFIX}${t}`) });
  say('topics in Kafka');
  for (const t of meta.topics) process.stdout.write(`${t.name}\t${t.partitions.length} partitions\n`);
  await admin.disconnect();
  say('tables the migration Job created');
  for (const db of Object.values(databases)) {
    const c = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: db });
    await c.connect();
    const rows = (await c.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename !~ '_p[0-9]{8}$' ORDER BY 1"))
      .rows;
    const parts = (await c.query<{ n: string }>("SELECT count(*)::text AS n FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '_p[0-9]{8}$'")).rows[0]!
      .n;
    await c.end();
    process.stdout.write(`${db}: ${rows.map((r) => r.t).join(', ')} (+${parts} daily partitions)\n`);
  }
  say(
    ready
      ? 'pipeline Ready. Try: kubectl get mfsp -A (KUBECONFIG below), mobileforge plan, mobileforge render'
      : 'pipeline not Ready yet; see the conditions above',
  );
  process.stdout.write(`export KUBECONFIG=${env.KUBECONFIG}\nalias kubectl=${env.KUBECTL}\n`);
  process.exitCode = ready ? 0 : 1;
} finally {
  operator.kill('SIGTERM');
}
