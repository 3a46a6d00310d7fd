import { describe, expect, test } from '@jest/globals';
import { buildStatus, type Observation } from '../../../operator/controller/status.js';
import { render } from '../../../operator/model/render.js';
import { pipeline } from '../../support/fixtures.js';

const ready = { exists: true, desired: 2, ready: 2, updated: 2, observedCurrent: true };
function observe(over: Partial<Observation> = {}): Observation {
  const r = render(pipeline({ dau: 60_000 }), { capabilities: { keda: true } });
  return {
    generation: 3,
    paused: false,
    render: r,
    deployments: { producer: ready, sms: ready, events: ready, common: ready },
    topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: 3, ready: true })),
    topicMode: 'admin',
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
    expect(cond(s, 'Reconciling')?.status).toBe('False');
  });

  test('the first component that is not ready explains Ready=False; Reconciling while converging', () => {
    const s = buildStatus(observe({ deployments: { producer: ready, sms: { ...ready, ready: 1 }, events: ready, common: ready } }), undefined, 't1');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'Unavailable', message: 'SmsConsumer: 1/2 replicas ready' });
    expect(cond(s, 'SmsConsumer')?.status).toBe('False');
    expect(cond(s, 'Reconciling')?.status).toBe('True');
  });

  test('an unchanged observation gives an identical status (transition times kept): nothing to write', () => {
    const first = buildStatus(observe(), undefined, 't1');
    expect(buildStatus(observe(), first, 't2')).toEqual(first);
    const flipped = buildStatus(observe({ deployments: { producer: { ...ready, ready: 0 }, sms: ready, events: ready, common: ready } }), first, 't3');
    expect(cond(flipped, 'Ready')?.lastTransitionTime).toBe('t3');
    expect(cond(flipped, 'SmsConsumer')?.lastTransitionTime).toBe('t1');
  });

  test('errors and missing capabilities surface as reasons', () => {
    expect(cond(buildStatus(observe({ error: { reason: 'KafkaUnreachable', message: 'down' } }), undefined, 't'), 'Ready')).toMatchObject({ status: 'False', reason: 'KafkaUnreachable' });
    const noKeda = render(pipeline(), { capabilities: { keda: false } });
    expect(cond(buildStatus(observe({ render: noKeda }), undefined, 't'), 'Autoscaling')).toMatchObject({ status: 'True', reason: 'FallbackToHPA' });
  });

  test('paused: Paused=True and Ready reason Paused', () => {
    const s = buildStatus(observe({ paused: true }), buildStatus(observe(), undefined, 't1'), 't2');
    expect(cond(s, 'Paused')?.status).toBe('True');
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'Paused' });
  });
});
