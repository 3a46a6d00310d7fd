// The schema migration Job and the partition maintenance CronJob, end to end: the operator
// (under config/rbac) creates the Job; the Job's own container spec is run the way its pod
// would run it (the workload entry point from dist/, the Job's env, Secret references
// resolved) against the real PostgreSQL and MongoDB-wire server; its outcome is written as
// the Job controller would; the operator then rolls out, or reports the failure.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import type { SyncPipeline } from '../../../operator/api/v1alpha1.js';
import { COLLECTIONS } from '../../../core/sync-schema.js';
import { ensureDailyPartitions, partitionName, utcDay } from '../../../core/insights-schema.js';
import { pipeline } from '../../support/fixtures.js';
import { runJob, unfinishedJobs } from '../../support/job-runner.js';
import { installPipelineCrd, installUpstreamCrds } from '../../support/kube.js';
import { OperatorProcess } from '../../support/operator-process.js';
import { createSecret, kubectlApply, kubectlRun, prepareOperatorNamespace, teardownOperatorNamespace } from '../../support/operator-env.js';
import { connectMongo, connectPg, createTestDatabase, dropTestDatabase, requireKube, testKubeConfig, uniqueName } from '../../support/services.js';
import { waitFor } from '../../support/wait.js';

let kc: k8s.KubeConfig;
let ns: string;
let operator: OperatorProcess;
let insightsDb: string;
let syncDb: string;
const mongoDb = uniqueName('mig').replace(/-/g, '_');

const get = (name: string) => JSON.parse(kubectlRun(['get', 'syncpipeline', name, '-n', ns, '-o', 'json'])) as SyncPipeline;
const cond = (p: SyncPipeline, type: string) => p.status?.conditions?.find((c) => c.type === type);
const names = (kind: string, instance: string) =>
  kubectlRun(['get', kind, '-n', ns, '-l', `app.kubernetes.io/instance=${instance}`, '-o', 'name'])
    .trim()
    .split('\n')
    .filter(Boolean);

/** A pipeline whose databases are the test services; `pgSecret` holds the PostgreSQL credentials. */
function realPipeline(name: string, pgSecret: string): SyncPipeline {
  const p = pipeline(
    {
      dau: 30_000,
      environment: 'dev',
      // Several pipelines on one Kafka cluster: each with topics and groups of its own.
      kafka: { bootstrapServers: ['kafka:9092'], topicPrefix: `${name}.`, topicManagement: { mode: 'unmanaged' } },
      postgres: {
        host: process.env.PGHOST!,
        port: Number(process.env.PGPORT),
        database: insightsDb,
        syncDatabase: syncDb,
        sslMode: 'disable',
        credentialsSecretRef: { name: pgSecret },
      },
      mongodb: { uriSecretRef: { name: 'real-mongo' }, database: mongoDb },
      maintenance: { partitionDaysAhead: 3, partitionRetentionDays: 30 },
    },
    name,
  );
  return { ...p, metadata: { name, namespace: ns } };
}

async function tables(db: string): Promise<string[]> {
  const c = await connectPg(db);
  try {
    return (await c.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.name);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  kc = await requireKube(testKubeConfig());
  await installPipelineCrd(kc);
  await installUpstreamCrds(kc);
  insightsDb = await createTestDatabase('mig_insights');
  syncDb = await createTestDatabase('mig_sync');
  const prepared = await prepareOperatorNamespace(kc, 'migration');
  ns = prepared.ns;
  createSecret(ns, 'real-pg', { username: process.env.PGUSER!, password: process.env.PGPASSWORD! });
  createSecret(ns, 'wrong-pg', { username: process.env.PGUSER!, password: 'not-the-password' });
  createSecret(ns, 'real-mongo', { uri: process.env.MONGODB_URI! });
  operator = await OperatorProcess.start({ namespace: ns, kubeconfig: prepared.kubeconfig });
}, 60000);

afterAll(async () => {
  await teardownOperatorNamespace(kc, ns, [operator]);
  for (const db of [insightsDb, syncDb]) if (db) await dropTestDatabase(db);
  const mongo = await connectMongo();
  await mongo
    .db(mongoDb)
    .dropDatabase()
    .catch(() => undefined);
  await mongo.close();
});

test('the migration Job creates the schema in the real databases, then the workloads and the CronJob roll out', async () => {
  kubectlApply(realPipeline('real', 'real-pg'));
  const job = await waitFor('the migration Job', () => unfinishedJobs(kubectlRun, ns, 'real')[0]);
  expect(names('deployments', 'real')).toEqual([]);
  expect(await tables(insightsDb)).toEqual([]);

  const run = await runJob(kubectlRun, ns, job);
  expect({ code: run.code, log: run.log }).toMatchObject({ code: 0 });
  expect(run.log).toContain('"msg":"mongodb migrated"');
  // No credentials in the job's log.
  expect(run.log).not.toContain(process.env.PGPASSWORD!);

  const today = utcDay(new Date());
  const insights = await tables(insightsDb);
  expect(insights).toEqual(
    expect.arrayContaining(['clients', 'usage', 'unauthorized_requests', partitionName('usage', today), partitionName('usage', utcDay(today, 3))]),
  );
  expect(insights).not.toContain(partitionName('usage', utcDay(today, 4))); // partitionDaysAhead: 3
  expect(await tables(syncDb)).toEqual(expect.arrayContaining(['sync_events_log', partitionName('sync_events_log', today)]));
  const mongo = await connectMongo();
  try {
    const collections = (await mongo.db(mongoDb).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(collections).toEqual(expect.arrayContaining(Object.values(COLLECTIONS)));
  } finally {
    await mongo.close();
  }

  const rolled = await waitFor('Deployments, the CronJob and Migration=True', () => {
    const p = get('real');
    return names('deployments', 'real').length === 4 && names('cronjobs', 'real').length === 1 && cond(p, 'Migration')?.status === 'True' ? p : undefined;
  });
  expect(rolled.status?.migration).toMatchObject({ job, phase: 'Succeeded', startTime: expect.any(String), completionTime: expect.any(String) });
  expect(cond(rolled, 'PartitionMaintenance')).toMatchObject({ status: 'True', reason: 'Scheduled' });
  expect(kubectlRun(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=real', '-o', 'jsonpath={.items[*].reason}'])).toContain(
    'MigrationSucceeded',
  );
  expect(kubectlRun(['get', 'syncpipeline', 'real', '-n', ns, '-o', 'wide'])).toMatch(/MIGRATION[\s\S]*Succeeded/);
});

test('a run of the partition CronJob drops partitions past retention and creates the ones ahead; status shows the run', async () => {
  // A partition from long ago, as if the pipeline had run for a year.
  const c = await connectPg(insightsDb);
  const old = utcDay(new Date(), -200);
  await ensureDailyPartitions(c, 'usage', old, 0);
  await c.query(`DROP TABLE ${partitionName('usage', utcDay(new Date(), 3))}`);
  await c.end();
  expect(await tables(insightsDb)).toContain(partitionName('usage', old));

  // What the CronJob controller does at the scheduled time: a Job from the jobTemplate.
  kubectlRun(['create', 'job', '--from=cronjob/real-partitions', 'real-partitions-manual', '-n', ns]);
  const started = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const run = await runJob(kubectlRun, ns, 'real-partitions-manual');
  expect({ code: run.code, log: run.log }).toMatchObject({ code: 0 });
  const after = await tables(insightsDb);
  expect(after).not.toContain(partitionName('usage', old));
  expect(after).toContain(partitionName('usage', utcDay(new Date(), 3)));
  // The Jobs the CronJob creates are not the operator's: no managed-by label.
  expect(kubectlRun(['get', 'job', 'real-partitions-manual', '-n', ns, '-o', 'jsonpath={.metadata.labels}'])).not.toContain('managed-by');

  kubectlRun([
    'patch',
    'cronjob',
    'real-partitions',
    '-n',
    ns,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: { lastScheduleTime: started, lastSuccessfulTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } }),
  ]);
  const p = await waitFor('PartitionMaintenance=Succeeded', () => {
    const got = get('real');
    return cond(got, 'PartitionMaintenance')?.reason === 'Succeeded' ? got : undefined;
  });
  expect(p.status?.partitionMaintenance).toMatchObject({ cronJob: 'real-partitions', schedule: '15 0 * * *', lastScheduleTime: started });
});

test('a migration that cannot reach its database fails: Ready=False MigrationFailed, no workloads', async () => {
  kubectlApply(realPipeline('badcreds', 'wrong-pg'));
  const job = await waitFor('the migration Job', () => unfinishedJobs(kubectlRun, ns, 'badcreds')[0]);
  const run = await runJob(kubectlRun, ns, job);
  expect(run.code).not.toBe(0);
  expect(run.log).toContain('password authentication failed');
  const p = await waitFor('Ready=False MigrationFailed', () => {
    const got = get('badcreds');
    return cond(got, 'Ready')?.reason === 'MigrationFailed' ? got : undefined;
  });
  expect(cond(p, 'Migration')?.message).toContain('password authentication failed');
  expect(p.status?.migration?.phase).toBe('Failed');
  expect(names('deployments', 'badcreds')).toEqual([]);
  expect(names('cronjobs', 'badcreds')).toEqual([]);
});
