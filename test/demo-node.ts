// npm run demo on the local node: everything runs as real pods. The images are built from the
// Dockerfiles, the operator is installed by its Helm chart, the pipeline's migration Job,
// Deployments and Services run on the kubelet, and a short burst of signed traffic goes through
// the producer's Service into MongoDB and PostgreSQL.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { packageRoot } from '../operator/util/repo-root.js';
import { SyncClient, type SyncBatch } from '../workloads/client/sync-client.js';
import { COLLECTIONS } from '../core/sync-schema.js';
import { OPERATOR_NAMESPACE, installOperator, nodeKubectl, nodePipeline } from './e2e/support.js';
import { DEMO_DATABASES, DEMO_MONGO_DATABASE, DEMO_NAMESPACE, DEMO_PIPELINE, DEMO_TOPIC_PREFIX } from './demo-names.js';

const say = (m: string) => process.stdout.write(`\n\x1b[1m==> ${m}\x1b[0m\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const show = (args: string[]) => process.stdout.write(`$ kubectl ${args.join(' ')}\n${nodeKubectl(args)}`);

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** The topic prefix of the demo pipeline already on the node ('' for none), or undefined if there is none. */
function demoPipelinePrefix(ns: string, name: string): string | undefined {
  const out = nodeKubectl([
    'get',
    'syncpipelines',
    '-n',
    ns,
    '--field-selector',
    `metadata.name=${name}`,
    '-o',
    'jsonpath={range .items[*]}[{.spec.kafka.topicPrefix}]{end}',
  ]);
  return out === '' ? undefined : out.slice(1, -1);
}

/** Runs the demo on the node; `env` holds the test services' endpoints (infra.sh env). Returns the exit code. */
export async function runNodeDemo(env: Record<string, string>): Promise<number> {
  Object.assign(process.env, env);
  const root = packageRoot();
  const ns = DEMO_NAMESPACE;
  const name = DEMO_PIPELINE;

  say('building the operator and workload images from Dockerfile.operator and Dockerfile.workload (podman; cached by content)');
  const tag = execFileSync('bash', [`${root}/test/infra/images.sh`, 'load'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  process.stdout.write(`images :${tag} imported into the node's containerd\n`);

  say('helm install the operator (charts/mobileforge-operator) with that image');
  installOperator(tag);
  // The demo's topics and consumer groups carry a prefix of their own (DEMO_TOPIC_PREFIX), so the
  // demo shares the test Kafka with the test suites and other pipelines without meeting them. A
  // demo pipeline made with another prefix (an older demo) is replaced: a prefix cannot change.
  const existingPrefix = demoPipelinePrefix(ns, name);
  if (existingPrefix !== undefined && existingPrefix !== DEMO_TOPIC_PREFIX) {
    process.stdout.write(`replacing the earlier demo pipeline (topic prefix ${JSON.stringify(existingPrefix)})\n`);
    nodeKubectl(['delete', 'syncpipeline', name, '-n', ns, '--wait=true', '--timeout=120s']);
  }
  show(['get', 'pods', '-n', OPERATOR_NAMESPACE, '-o', 'wide']);

  const databases = DEMO_DATABASES;
  const pgAdmin = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: 'postgres' });
  await pgAdmin.connect();
  for (const db of Object.values(databases)) {
    if ((await pgAdmin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount === 0) await pgAdmin.query(`CREATE DATABASE ${db}`);
  }
  await pgAdmin.end();
  nodeKubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
  const secret = (n: string, stringData: Record<string, string>) =>
    nodeKubectl(['apply', '-n', ns, '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: n }, stringData }));
  secret('acme-demo-postgres', { username: env.PGUSER!, password: env.PGPASSWORD! });
  secret('acme-demo-mongodb', { uri: env.NODE_MONGODB_URI! });

  say(`applying a 5K-DAU dev pipeline: Kafka, PostgreSQL and MongoDB at the node bridge's address (${env.NODE_IP}), small pod requests`);
  const started = Date.now();
  const pipeline = nodePipeline({
    name,
    namespace: ns,
    tag,
    databases,
    mongoDatabase: DEMO_MONGO_DATABASE,
    postgresSecret: 'acme-demo-postgres',
    mongoSecret: 'acme-demo-mongodb',
    topicPrefix: DEMO_TOPIC_PREFIX,
  });
  process.stdout.write(nodeKubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], JSON.stringify(pipeline)));
  const ready = () => nodeKubectl(['get', 'syncpipeline', name, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']) === 'True';
  await until('the pipeline Ready', ready, 180000);
  process.stdout.write(`Ready after ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

  say('what runs on the node');
  show(['get', 'nodes', '-o', 'wide']);
  show(['get', 'pods', '-A', '-o', 'wide']);
  show(['get', 'syncpipelines', '-n', ns, '-o', 'wide']);
  show(['get', 'jobs,cronjobs,deployments,services,hpa,pdb', '-n', ns]);

  say('a short burst of signed SDK traffic through the producer Service');
  const client = { id: 'acme-demo', token: randomUUID() };
  const insights = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: databases.insights });
  await insights.connect();
  await insights.query('DELETE FROM clients WHERE client_id = $1', [client.id]);
  await insights.query(`INSERT INTO clients (client_id, auth_token, geography) VALUES ($1, $2, 'other')`, [client.id, client.token]);
  await insights.end();
  const ip = nodeKubectl(['get', 'service', `${name}-producer`, '-n', ns, '-o', 'jsonpath={.spec.clusterIP}']);
  const sync = new SyncClient({ baseUrl: `http://${ip}:8000`, clientId: client.id, authToken: client.token });
  const run = randomUUID().slice(0, 8);
  const batch = (id: string, records: Record<string, unknown>[]): SyncBatch => ({
    request_id: id,
    user_id: `user-${id.length % 5}`,
    sdk_version: '2.4.0',
    device: { device_id: 'd-1', android_id: 'a-1' },
    records,
  });
  const smsN = 50,
    evN = 20,
    per = 10;
  const results = await Promise.all([
    ...Array.from({ length: smsN }, (_, i) =>
      sync.send(
        'sms',
        batch(
          `demo-${run}-s${i}`,
          Array.from({ length: per }, (_, k) => ({
            id: `${i}-${k}`,
            sender: 'AX-BANK',
            body: `debited INR ${k}`,
            timestamp: 1764000000000 + k,
            type: 'inbox',
          })),
        ),
      ),
    ),
    ...Array.from({ length: evN }, (_, i) =>
      sync.send(
        'events',
        batch(
          `demo-${run}-e${i}`,
          Array.from({ length: per }, (_, k) => ({ event_type: 'app_open', event_value: `${i}-${k}`, timestamp: Date.now() })),
        ),
      ),
    ),
  ]);
  process.stdout.write(
    `POST http://${ip}:8000/v1/sync/{sms,events}: ${results.filter((r) => r.status === 202).length}/${results.length} batches accepted (202)\n`,
  );

  const mongo = new MongoClient(env.MONGODB_URI!);
  await mongo.connect();
  const syncDb = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: databases.sync });
  await syncDb.connect();
  const smsDocs = () =>
    mongo
      .db(DEMO_MONGO_DATABASE)
      .collection(COLLECTIONS.sms)
      .countDocuments({ request_id: { $regex: `^demo-${run}-` } });
  const eventRows = async () =>
    (await syncDb.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_events_log WHERE sync_request_id LIKE $1', [`demo-${run}-%`])).rows[0]!.n;
  let landed = false;
  try {
    await until('the burst in both databases', async () => (await smsDocs()) === smsN * per && (await eventRows()) === evN * per, 60000);
    landed = true;
  } catch {
    // reported below with the counts
  }
  say('what the consumer pods wrote');
  process.stdout.write(`MongoDB ${DEMO_MONGO_DATABASE}.${COLLECTIONS.sms}: ${await smsDocs()} of ${smsN * per} SMS records\n`);
  process.stdout.write(`PostgreSQL ${databases.sync}.sync_events_log: ${await eventRows()} of ${evN * per} events\n`);
  await mongo.close();
  await syncDb.end();

  const ok = ready() && landed;
  say(ok ? 'pipeline Ready on real pods, every record landed. Next:' : 'something did not converge; look at the pods and logs:');
  process.stdout.write(
    [
      `export KUBECONFIG=${env.NODE_KUBECONFIG}`,
      `alias kubectl=${env.KUBECTL}`,
      `kubectl get pods -n ${ns}`,
      `kubectl logs -n ${ns} deploy/${name}-producer`,
      `kubectl logs -n ${OPERATOR_NAMESPACE} deploy/mobileforge-mobileforge-operator`,
      `kubectl create job --from=cronjob/${name}-partitions partitions-now -n ${ns}`,
      'npm run demo -- --clean   # remove only what the demo made',
      'npm run infra:down        # stop everything, the node included',
    ].join('\n') + '\n',
  );
  return ok ? 0 : 1;
}
