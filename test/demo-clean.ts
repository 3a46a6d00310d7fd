// npm run demo -- --clean: removes what the demo made and nothing else: its namespace (the
// pipeline, through the operator's finalizer where an operator runs, and every child), its
// topics and consumer groups (by the demo's own prefix), its PostgreSQL databases and its
// MongoDB database. The local services, the node and the installed operator keep running
// (`npm run infra:down` stops those).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { Kafka } from '../core/kafka.js';
import { errorMessage } from '../core/errors.js';
import { DEMO_DATABASES, DEMO_MONGO_DATABASE, DEMO_NAMESPACE, DEMO_TOPIC_PREFIX } from './demo-names.js';

const say = (m: string) => process.stdout.write(`${m}\n`);

/** Removes the demo's namespace from one cluster. */
function removeNamespace(kubectlPath: string, kubeconfig: string, cluster: string): void {
  const k = (args: string[]) =>
    execFileSync(kubectlPath, ['--request-timeout=20s', ...args], {
      env: { ...process.env, KUBECONFIG: kubeconfig },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  try {
    if (k(['get', 'namespace', DEMO_NAMESPACE, '--ignore-not-found', '-o', 'name']).trim() === '') {
      say(`${cluster}: no namespace ${DEMO_NAMESPACE}`);
      return;
    }
  } catch (err) {
    // a stopped cluster: `infra:down` already threw its state away, or the next `up` starts it
    say(`${cluster}: not running (${errorMessage(err).split('\n')[0]}), nothing removed there`);
    return;
  }
  try {
    // Where the operator runs, its finalizer deletes the pipeline's topics.
    k(['delete', 'syncpipelines', '--all', '-n', DEMO_NAMESPACE, '--wait=true', '--timeout=60s']);
  } catch {
    // no operator to finish it (the stand-in demo runs none after it exits): finish it here;
    // the topics go below
    for (const p of k(['get', 'syncpipelines', '-n', DEMO_NAMESPACE, '-o', 'name']).split('\n').filter(Boolean)) {
      k(['patch', p, '-n', DEMO_NAMESPACE, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    }
  }
  k(['delete', 'namespace', DEMO_NAMESPACE, '--wait=true', '--timeout=120s']);
  say(`${cluster}: namespace ${DEMO_NAMESPACE} deleted (the pipeline and every pod, Job and Service it had)`);
}

async function removeKafkaNames(brokers: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'demo-clean', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const demoTopics = async () => (await admin.listTopics()).filter((t) => t.startsWith(DEMO_TOPIC_PREFIX));
    const topics = await demoTopics();
    // (the operator's finalizer may be deleting the same topics at this moment)
    if (topics.length) await admin.deleteTopics({ topics }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000));
    const left = await demoTopics();
    if (left.length) throw new Error(`Kafka kept topics ${left.join(', ')}`);
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(DEMO_TOPIC_PREFIX));
    if (groups.length) await admin.deleteGroups(groups);
    say(`Kafka: ${topics.length} topics and ${groups.length} consumer groups named ${DEMO_TOPIC_PREFIX}* deleted`);
  } finally {
    await admin.disconnect();
  }
}

async function removeDatabases(env: Record<string, string>): Promise<void> {
  const c = new pg.Client({ host: env.PGHOST, port: Number(env.PGPORT), user: env.PGUSER, password: env.PGPASSWORD, database: 'postgres' });
  await c.connect();
  try {
    for (const db of Object.values(DEMO_DATABASES)) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  } finally {
    await c.end();
  }
  say(`PostgreSQL: databases ${Object.values(DEMO_DATABASES).join(', ')} dropped`);
  const mongo = new MongoClient(env.MONGODB_URI!, { serverSelectionTimeoutMS: 5000 });
  try {
    await mongo.connect();
    await mongo.db(DEMO_MONGO_DATABASE).dropDatabase();
  } finally {
    await mongo.close();
  }
  say(`MongoDB: database ${DEMO_MONGO_DATABASE} dropped`);
}

/** Runs the clean-up; `env` holds the test services' endpoints (infra.sh env). Returns the exit code. */
export async function cleanDemo(env: Record<string, string>): Promise<number> {
  if (!env.KUBECTL || !env.KAFKA_BROKERS) {
    say('the local services have never been started here (no endpoints file): nothing of the demo to remove');
    return 0;
  }
  let ok = true;
  say(`removing what \`npm run demo\` made (namespace ${DEMO_NAMESPACE}, topics ${DEMO_TOPIC_PREFIX}*, its databases); the services keep running`);
  try {
    if (env.NODE_KUBECONFIG && existsSync(env.NODE_KUBECONFIG)) removeNamespace(env.KUBECTL, env.NODE_KUBECONFIG, 'node');
    if (env.KUBECONFIG && existsSync(env.KUBECONFIG)) removeNamespace(env.KUBECTL, env.KUBECONFIG, 'API server (stand-in demo)');
    await removeKafkaNames(env.KAFKA_BROKERS.split(','));
    await removeDatabases(env);
  } catch (err) {
    say(`not everything could be removed: ${errorMessage(err)} (are the services up? npm run infra:status)`);
    ok = false;
  }
  say(ok ? 'done. `npm run infra:down` stops the services and the node.' : 'incomplete: see above');
  return ok ? 0 : 1;
}
