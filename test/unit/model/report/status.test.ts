import { describe, expect, test } from '@jest/globals';
import type * as k8s from '@kubernetes/client-node';
import { buildStatus, observeCronJob, observeDeployment, observeMigration, type Observation } from '../../../../operator/model/report/status.js';
import { render } from '../../../../operator/model/render.js';
import { CALIBRATION } from '../../../../operator/model/sizing/capacity.js';
import { pipeline } from '../../../support/fixtures.js';

/** A Deployment whose `n` replicas are all ready and current. */
const at = (n: number) => ({ exists: true, desired: n, ready: n, updated: n, observedCurrent: true });
const ready = at(2);
/** Every component at two replicas, its minimum. */
const SPEC = { dau: 60_000, producer: { minReplicas: 2 }, consumers: { sms: { minReplicas: 2 } } };
/** A settled pipeline: each Deployment at its minimum, all ready (`over` replaces any part). */
function observe(over: Partial<Observation> = {}): Observation {
  const r = over.render ?? render(pipeline(SPEC), { capabilities: { keda: true } });
  return {
    generation: 3,
    paused: false,
    render: r,
    deployments: Object.fromEntries(Object.entries(r.components).map(([c, s]) => [c, at(s!.replicas.min)])),
    topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: 3, ready: true })),
    migration: { job: r.migrationJob, phase: 'Succeeded', completionTime: '2026-01-01T00:00:00.000Z' },
    partitionMaintenance: { cronJob: 'acme-partitions', schedule: '15 0 * * *', suspended: false, active: 0 },
    changed: false,
    ...over,
  };
}
const cond = (s: ReturnType<typeof buildStatus>, type: string) => s.conditions?.find((c) => c.type === type);

describe('status', () => {
  test('Ready summarises every component; counts and tier for the printer columns', () => {
    const s = buildStatus(observe(), undefined, 't1');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'PipelineReady', observedGeneration: 3, lastTransitionTime: 't1' });
    expect(s).toMatchObject({ observedGeneration: 3, tier: '75k', producers: '2/2', consumers: '6/6', autoscalingEngine: 'keda' });
    expect(s.calibration).toBe(CALIBRATION.version);
    expect(cond(s, 'Reconciling')?.status).toBe('False');
    expect(cond(s, 'OverProvisioned')).toMatchObject({ status: 'False', reason: 'WithinModel' });
  });

  test('a spec asking for far more than the model finds useful is a warning, not a reason for Ready=False', () => {
    const r = render(pipeline({ dau: 60_000, consumers: { sms: { minReplicas: 120, maxReplicas: 120 } } }), { capabilities: { keda: true } });
    const s = buildStatus(observe({ render: r }), undefined, 't1');
    expect(cond(s, 'OverProvisioned')).toMatchObject({ status: 'True', reason: 'BeyondModelNeed' });
    expect(cond(s, 'OverProvisioned')!.message).toContain('consumers.sms.minReplicas 120 is above the 12 replicas the model plans for the 60,000 DAU peak');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'PipelineReady' });
  });

  test('what the operator applies otherwise than the spec states is said in Adjusted, present only then and never part of Ready', () => {
    expect(cond(buildStatus(observe(), undefined, 't1'), 'Adjusted')).toBeUndefined();
    const r = render(pipeline({ dau: 60_000, consumers: { events: { env: [{ name: 'DI_MONGODB_RETRY_WRITES', value: 'false' }] } } }), {
      capabilities: { keda: true },
    });
    const s = buildStatus(observe({ render: r }), undefined, 't1');
    expect(cond(s, 'Adjusted')).toMatchObject({
      status: 'True',
      reason: 'SpecAdjusted',
      message: 'consumers.events.env entry DI_MONGODB_RETRY_WRITES is not applied: the operator sets it from spec.mongodb.retryWrites',
    });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'PipelineReady' });
  });

  test('above the ladder the tier says so', () => {
    const r = render(pipeline({ dau: 1_000_000 }), { capabilities: { keda: true } });
    expect(buildStatus(observe({ render: r }), undefined, 't1').tier).toBe('1m (above the ladder)');
  });

  test('the first component that is not ready explains Ready=False; Reconciling while converging', () => {
    const s = buildStatus(observe({ deployments: { producer: ready, sms: { ...ready, ready: 1 }, events: ready, common: ready } }), undefined, 't1');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'Unavailable', message: 'SmsConsumer: 1/2 replicas ready' });
    expect(cond(s, 'SmsConsumer')?.status).toBe('False');
    expect(cond(s, 'Reconciling')?.status).toBe('True');
  });

  test("a Deployment available below its autoscaler's minimum is not ready yet: two producers in production, not the one a new Deployment starts with", () => {
    const base = observe();
    const starting = buildStatus({ ...base, deployments: { ...base.deployments, producer: at(1) } }, undefined, 't1');
    expect(cond(starting, 'Producer')).toMatchObject({
      status: 'False',
      reason: 'BelowMinimum',
      message: '1/1 replicas ready; waiting for the autoscaler to reach the minimum of 2',
    });
    expect(cond(starting, 'Ready')).toMatchObject({ status: 'False', reason: 'BelowMinimum' });
    // scaled out above the minimum, or at it: ready
    expect(cond(buildStatus({ ...base, deployments: { ...base.deployments, producer: at(3) } }, undefined, 't1'), 'Ready')?.status).toBe('True');
    expect(cond(buildStatus(base, undefined, 't1'), 'Producer')).toMatchObject({ status: 'True', message: '2/2 replicas ready' });
  });

  test('an unchanged observation gives an identical status (transition times kept): nothing to write', () => {
    const first = buildStatus(observe(), undefined, 't1');
    expect(buildStatus(observe(), first, 't2')).toEqual(first);
    const flipped = buildStatus(observe({ deployments: { producer: { ...ready, ready: 0 }, sms: ready, events: ready, common: ready } }), first, 't3');
    expect(cond(flipped, 'Ready')?.lastTransitionTime).toBe('t3');
    expect(cond(flipped, 'SmsConsumer')?.lastTransitionTime).toBe('t1');
  });

  test('errors and missing capabilities surface as reasons', () => {
    expect(cond(buildStatus(observe({ error: { reason: 'KafkaUnreachable', message: 'down' } }), undefined, 't'), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'KafkaUnreachable',
    });
    const noKeda = render(pipeline(), { capabilities: { keda: false } });
    expect(cond(buildStatus(observe({ render: noKeda }), undefined, 't'), 'Autoscaling')).toMatchObject({ status: 'True', reason: 'FallbackToHPA' });
  });

  test('paused: Paused=True and Ready reason Paused', () => {
    const s = buildStatus(observe({ paused: true }), buildStatus(observe(), undefined, 't1'), 't2');
    expect(cond(s, 'Paused')?.status).toBe('True');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'Paused' });
  });

  test('a migration that has not succeeded explains Ready=False before the missing Deployments', () => {
    const none = { producer: undefined, sms: undefined, events: undefined, common: undefined };
    const pending = buildStatus(
      observe({ migration: { job: 'acme-migrate-abc', phase: 'Pending', message: 'the migration Job is being created' }, deployments: none }),
      undefined,
      't',
    );
    expect(cond(pending, 'Ready')).toMatchObject({ status: 'False', reason: 'MigrationPending' });
    expect(cond(pending, 'Migration')).toMatchObject({ status: 'False', reason: 'MigrationPending' });
    expect(pending.migration).toMatchObject({ job: 'acme-migrate-abc', phase: 'Pending' });
    const failed = buildStatus(
      observe({ migration: { job: 'acme-migrate-abc', phase: 'Failed', message: 'BackoffLimitExceeded: too many failures' } }),
      undefined,
      't',
    );
    expect(cond(failed, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'MigrationFailed',
      message: 'Migration: Job acme-migrate-abc: BackoffLimitExceeded: too many failures',
    });
    const done = buildStatus(observe(), undefined, 't');
    expect(cond(done, 'Migration')).toMatchObject({ status: 'True', reason: 'MigrationSucceeded' });
  });

  test('partition maintenance is reported but does not make the pipeline unready', () => {
    const pm = { cronJob: 'acme-partitions', schedule: '15 0 * * *', suspended: false, active: 0 };
    const failedRun = buildStatus(
      observe({ partitionMaintenance: { ...pm, lastScheduleTime: '2026-01-02T00:15:00.000Z', lastSuccessfulTime: '2026-01-01T00:15:09.000Z' } }),
      undefined,
      't',
    );
    expect(cond(failedRun, 'PartitionMaintenance')).toMatchObject({ status: 'False', reason: 'LastRunFailed' });
    expect(cond(failedRun, 'Ready')?.status).toBe('True');
    expect(failedRun.partitionMaintenance).toMatchObject({ cronJob: 'acme-partitions', lastSuccessfulTime: '2026-01-01T00:15:09.000Z' });
    const okRun = buildStatus(
      observe({ partitionMaintenance: { ...pm, lastScheduleTime: '2026-01-02T00:15:00.000Z', lastSuccessfulTime: '2026-01-02T00:15:07.000Z' } }),
      undefined,
      't',
    );
    expect(cond(okRun, 'PartitionMaintenance')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(cond(buildStatus(observe({ partitionMaintenance: { ...pm, suspended: true } }), undefined, 't'), 'PartitionMaintenance')?.reason).toBe('Suspended');
    expect(cond(buildStatus(observe({ partitionMaintenance: undefined }), undefined, 't'), 'PartitionMaintenance')?.reason).toBe('WaitingForMigration');
  });
});

describe('observing Jobs', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  test('a Job goes Pending -> Running -> Succeeded by its status, Failed by its Failed condition', () => {
    expect(observeMigration('j', undefined).phase).toBe('Pending');
    expect(observeMigration('j', { status: {} }).phase).toBe('Pending');
    expect(observeMigration('j', { status: { active: 1, startTime: t0 } })).toMatchObject({ phase: 'Running', startTime: '2026-01-01T00:00:00Z' });
    expect(observeMigration('j', { status: { active: 1, failed: 2, startTime: t0 } }).message).toContain('2 failed attempt(s)');
    // A pod that is active but not running has not started: say where to look.
    expect(observeMigration('j', { status: { active: 1, ready: 0, startTime: t0 } }).message).toContain(
      'kubectl describe pods -l batch.kubernetes.io/job-name=j',
    );
    expect(observeMigration('j', { status: { active: 1, ready: 1, startTime: t0 } }).message).toBe('running');
    // SuccessCriteriaMet alone is not success yet: the Job controller sets Complete after its pods finish.
    expect(observeMigration('j', { status: { startTime: t0, conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }] } }).phase).toBe('Running');
    expect(
      observeMigration('j', {
        status: {
          startTime: t0,
          completionTime: new Date('2026-01-01T00:00:09Z'),
          succeeded: 1,
          conditions: [
            { type: 'SuccessCriteriaMet', status: 'True' },
            { type: 'Complete', status: 'True' },
          ],
        },
      }),
    ).toEqual({
      job: 'j',
      phase: 'Succeeded',
      startTime: '2026-01-01T00:00:00Z',
      completionTime: '2026-01-01T00:00:09Z',
    });
    const failed = observeMigration('j', {
      status: {
        startTime: t0,
        failed: 5,
        conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }],
      },
    });
    expect(failed.phase).toBe('Failed');
    expect(failed.message).toContain('BackoffLimitExceeded: Job has reached the specified backoff limit');
  });

  test('a CronJob reports its schedule and last runs', () => {
    expect(observeCronJob('c', undefined)).toBeUndefined();
    expect(
      observeCronJob('c', { spec: { schedule: '15 0 * * *', suspend: false, jobTemplate: {} }, status: { active: [{ name: 'c-1' }], lastScheduleTime: t0 } }),
    ).toEqual({
      cronJob: 'c',
      schedule: '15 0 * * *',
      suspended: false,
      active: 1,
      lastScheduleTime: '2026-01-01T00:00:00Z',
    });
  });
});

describe('the Monitoring condition', () => {
  test('absent unless a PodMonitor was asked for; says why there is none; never affects Ready', () => {
    expect(cond(buildStatus(observe(), undefined, 't'), 'Monitoring')).toBeUndefined();
    const asked = pipeline({ dau: 60_000, monitoring: { podMonitor: { enabled: true } } });
    const withApi = buildStatus(observe({ render: render(asked, { capabilities: { keda: true, podMonitor: true } }) }), undefined, 't');
    expect(cond(withApi, 'Monitoring')).toMatchObject({ status: 'True', reason: 'PodMonitor' });
    const without = buildStatus(observe({ render: render(asked, { capabilities: { keda: true } }) }), undefined, 't');
    expect(cond(without, 'Monitoring')).toMatchObject({ status: 'False', reason: 'PrometheusOperatorNotInstalled' });
    expect(cond(without, 'Ready')?.status).toBe('True');
  });
});

describe('stalled workloads', () => {
  const deployment = (conditions: k8s.V1DeploymentCondition[] = []): k8s.V1Deployment => ({
    metadata: { name: 'acme-producer', generation: 3 },
    spec: { replicas: 2, selector: {}, template: {} },
    status: { observedGeneration: 3, readyReplicas: 1, updatedReplicas: 2, conditions },
  });
  const pod = (state: k8s.V1ContainerState, restartCount = 0): k8s.V1Pod => ({
    metadata: { name: 'acme-producer-1' },
    status: {
      containerStatuses: [{ name: 'producer', image: 'i', imageID: '', ready: false, restartCount, state, lastState: { terminated: { exitCode: 1 } } }],
    },
  });

  test('a pod in CrashLoopBackOff or ImagePullBackOff stalls its component; a pod still starting does not', () => {
    expect(observeDeployment(deployment(), [pod({ waiting: { reason: 'CrashLoopBackOff' } }, 4)])?.stalled).toEqual({
      reason: 'CrashLoopBackOff',
      message: 'pod acme-producer-1 container producer: CrashLoopBackOff (4 restarts, last exit code 1)',
    });
    expect(observeDeployment(deployment(), [pod({ waiting: { reason: 'ImagePullBackOff', message: 'not found' } })])?.stalled?.reason).toBe('ImagePullBackOff');
    expect(observeDeployment(deployment(), [pod({ waiting: { reason: 'ContainerCreating' } })])?.stalled).toBeUndefined();
    expect(observeDeployment(deployment(), [pod({ running: {} }, 1)])?.stalled).toBeUndefined();
  });

  test('a Deployment past its progress deadline is stalled', () => {
    const d = deployment([{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'timed out progressing' }]);
    expect(observeDeployment(d)?.stalled).toEqual({ reason: 'ProgressDeadlineExceeded', message: 'timed out progressing' });
    expect(observeDeployment(deployment([{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }]))?.stalled).toBeUndefined();
  });

  test('Stalled is present only while a component is stalled, and explains the component and Ready', () => {
    const base = observe();
    const ok = ready;
    expect(buildStatus(base, undefined, '2026-01-02T00:00:00Z').conditions?.find((c) => c.type === 'Stalled')).toBeUndefined();
    const stalled = { ...ok, ready: 1, stalled: { reason: 'CrashLoopBackOff', message: 'pod p container consumer: CrashLoopBackOff (3 restarts)' } };
    const status = buildStatus({ ...base, deployments: { ...base.deployments, sms: stalled } }, undefined, '2026-01-02T00:00:00Z');
    const find = (t: string) => status.conditions?.find((c) => c.type === t);
    expect(find('Stalled')).toMatchObject({
      status: 'True',
      reason: 'CrashLoopBackOff',
      message: 'SmsConsumer: pod p container consumer: CrashLoopBackOff (3 restarts)',
    });
    expect(find('SmsConsumer')).toMatchObject({ status: 'False', reason: 'CrashLoopBackOff' });
    expect(find('Ready')).toMatchObject({ status: 'False', reason: 'CrashLoopBackOff' });
  });
});
