// The Argo CD health scripts, run under gopher-lua (Argo CD's Lua VM) by a small runner built
// from the Go module proxy (test/infra/build-go-tools.sh lua), against status fixtures: some
// written by hand, some produced by the operator's own status function.
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildStatus, type Observation } from '../../../operator/model/report/status.js';
import { render } from '../../../operator/model/render.js';
import { packageRoot } from '../../../operator/util/repo-root.js';
import { pipeline } from '../../support/fixtures.js';

const dir = join(packageRoot(), 'config', 'argocd');
const runner = join(process.env.MOBILEFORGE_BIN ?? '', 'argocd-lua-health');

function health(script: string, obj: unknown): { status: string; message: string } {
  return JSON.parse(execFileSync(runner, [join(dir, script)], { input: JSON.stringify(obj), encoding: 'utf8' })) as { status: string; message: string };
}

const ok = { exists: true, desired: 2, ready: 2, updated: 2, observedCurrent: true };
/** Every component at two replicas, its minimum, so that `ok` is a Deployment at its autoscaler's floor. */
const AT_TWO = { producer: { minReplicas: 2 }, consumers: { sms: { minReplicas: 2 }, events: { minReplicas: 2 }, common: { minReplicas: 2 } } };
function pipelineWith(over: Partial<Observation>, generation = 4, observedGeneration = 4) {
  const r = render(pipeline(AT_TWO), { capabilities: { keda: true } });
  const o: Observation = {
    generation: observedGeneration,
    paused: false,
    render: r,
    deployments: { producer: ok, sms: ok, events: ok, common: ok },
    topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: 3, ready: true })),
    migration: { job: r.migrationJob, phase: 'Succeeded' },
    changed: false,
    ...over,
  };
  return { metadata: { name: 'acme', generation }, status: buildStatus(o, undefined, '2026-01-01T00:00:00Z') };
}

describe('SyncPipeline health (gopher-lua)', () => {
  test.each([
    ['no status yet', 'Progressing', { metadata: { generation: 1 } }],
    ['Ready for the current generation', 'Healthy', pipelineWith({})],
    ['Ready, but for an older generation', 'Progressing', pipelineWith({}, 5, 4)],
    [
      'a consumer still rolling out',
      'Progressing',
      pipelineWith({ deployments: { producer: ok, sms: { ...ok, updated: 1 }, events: ok, common: ok }, changed: true }),
    ],
    ['an apply the API server rejected', 'Degraded', pipelineWith({ error: { reason: 'ApplyFailed', message: 'Deployment/x: forbidden' } })],
    ['Kafka unreachable', 'Degraded', pipelineWith({ error: { reason: 'KafkaUnreachable', message: 'connect ECONNREFUSED' } })],
    [
      'Kafka refused the SASL login',
      'Degraded',
      pipelineWith({ error: { reason: 'KafkaAuthenticationFailed', message: 'Kafka refused the SCRAM-SHA-512 login' } }),
    ],
    ['TLS to Kafka failed', 'Degraded', pipelineWith({ error: { reason: 'KafkaTLSFailed', message: 'TLS to Kafka failed' } })],
    [
      "another pipeline holds this one's topics",
      'Degraded',
      pipelineWith({ error: { reason: 'Conflict', message: 'topics sms_batched already belong to pipeline sync/first' } }),
    ],
    [
      'strimzi mode without Strimzi',
      'Degraded',
      pipelineWith({
        render: render(pipeline({ ...AT_TWO, kafka: { bootstrapServers: ['k:9092'], topicManagement: { mode: 'strimzi', strimziClusterName: 'c' } } }), {
          capabilities: { keda: true },
        }),
        topics: [],
      }),
    ],
    ['paused', 'Suspended', pipelineWith({ paused: true })],
    [
      'schema migration running',
      'Progressing',
      pipelineWith({ migration: { job: 'acme-migrate-0123456789', phase: 'Running', message: 'running' }, deployments: {} }),
    ],
    [
      'schema migration failed',
      'Degraded',
      pipelineWith({
        migration: { job: 'acme-migrate-0123456789', phase: 'Failed', message: 'BackoffLimitExceeded: Job has reached the specified backoff limit' },
      }),
    ],
    [
      'a consumer crash-looping',
      'Degraded',
      pipelineWith({
        deployments: {
          producer: ok,
          sms: {
            ...ok,
            ready: 1,
            stalled: { reason: 'CrashLoopBackOff', message: 'pod acme-consumer-sms-1 container consumer: CrashLoopBackOff (6 restarts)' },
          },
          events: ok,
          common: ok,
        },
      }),
    ],
    [
      'a rollout past its progress deadline',
      'Degraded',
      pipelineWith({
        deployments: {
          producer: {
            ...ok,
            updated: 1,
            stalled: { reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "acme-producer-5c8d" has timed out progressing.' },
          },
          sms: ok,
          events: ok,
          common: ok,
        },
        changed: true,
      }),
    ],
  ])('%s -> %s', (_name, expected, obj) => {
    expect(health('health-syncpipeline.lua', obj).status).toBe(expected);
  });

  test('the message explains a failure', () => {
    expect(health('health-syncpipeline.lua', pipelineWith({ error: { reason: 'KafkaUnreachable', message: 'connect ECONNREFUSED' } })).message).toBe(
      'KafkaUnreachable: connect ECONNREFUSED',
    );
  });
});

describe('KafkaTopic health (gopher-lua)', () => {
  const topic = (status: unknown, generation = 1, annotations?: Record<string, string>) => ({
    metadata: { name: 'acme-sms-batched', generation, ...(annotations ? { annotations } : {}) },
    status,
  });
  test.each([
    ['no status', 'Progressing', topic(undefined)],
    ['Ready True', 'Healthy', topic({ observedGeneration: 1, topicName: 'sms_batched', conditions: [{ type: 'Ready', status: 'True' }] })],
    [
      'Ready False',
      'Degraded',
      topic({ observedGeneration: 1, conditions: [{ type: 'Ready', status: 'False', reason: 'KafkaError', message: 'Partitions cannot be decreased' }] }),
    ],
    ['spec changed, not yet observed', 'Progressing', topic({ observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] }, 2)],
    ['unmanaged', 'Suspended', topic({ observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] }, 1, { 'strimzi.io/managed': 'false' })],
  ])('%s -> %s', (_name, expected, obj) => {
    expect(health('health-kafkatopic.lua', obj).status).toBe(expected);
  });
});

test('argocd-cm-health.yaml carries exactly the scripts in config/argocd/*.lua', () => {
  const cm = parse(readFileSync(join(dir, 'argocd-cm-health.yaml'), 'utf8')) as { data: Record<string, string> };
  expect(cm.data['resource.customizations.health.mobileforge.credeau.com_MobileForgeSyncPipeline']).toBe(
    readFileSync(join(dir, 'health-syncpipeline.lua'), 'utf8'),
  );
  expect(cm.data['resource.customizations.health.kafka.strimzi.io_KafkaTopic']).toBe(readFileSync(join(dir, 'health-kafkatopic.lua'), 'utf8'));
});
