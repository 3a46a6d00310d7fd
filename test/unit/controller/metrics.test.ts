import { describe, expect, test } from '@jest/globals';
import { OperatorMetrics } from '../../../operator/controller/metrics.js';
import type { SyncPipeline } from '../../../operator/api/v1alpha1.js';
import { pipeline } from '../../support/fixtures.js';

function withStatus(name: string, ready: 'True' | 'False', groups: NonNullable<SyncPipeline['status']>['flow']): SyncPipeline {
  const p = pipeline({}, name);
  return {
    ...p,
    status: {
      conditions: [{ type: 'Ready', status: ready, reason: 'X', message: '', lastTransitionTime: '2026-11-26T00:00:00Z' }],
      ...(groups ? { flow: groups } : {}),
      components: { sms: { ready: 1, desired: 2, min: 1, max: 4 } },
    },
  } as SyncPipeline;
}

const series = async (m: OperatorMetrics, name: string) =>
  (await m.registry.getMetricsAsJSON()).find((x) => x.name === name)?.values.map((v) => ({ labels: v.labels, value: v.value })) ?? [];

describe('per-pipeline gauges (read from the pipelines at scrape time)', () => {
  test('none before this replica reconciles anything', async () => {
    const m = new OperatorMetrics(false);
    expect(await series(m, 'mobileforge_pipeline_ready')).toEqual([]);
    expect(await series(m, 'mobileforge_pipeline_consumer_lag')).toEqual([]);
  });

  test('Ready as 1/0 and lag per group and topic from status.flow; a deleted pipeline loses its series', async () => {
    const m = new OperatorMetrics(false);
    let seen: SyncPipeline[] = [
      withStatus('a', 'True', {
        lag: 12,
        groups: [{ consumer: 'sms', group: 'sms-group', lag: 12, topics: [{ name: 'a.sms', lag: 12 }] }],
        observedAt: '2026-11-26T00:00:00Z',
      }),
      withStatus('b', 'False', undefined),
    ];
    m.pipelinesSeen = () => seen;
    expect(await series(m, 'mobileforge_pipeline_ready')).toEqual([
      { labels: { pipeline_namespace: 'sync', pipeline: 'a' }, value: 1 },
      { labels: { pipeline_namespace: 'sync', pipeline: 'b' }, value: 0 },
    ]);
    expect(await series(m, 'mobileforge_pipeline_consumer_lag')).toEqual([
      { labels: { pipeline_namespace: 'sync', pipeline: 'a', consumer: 'sms', group: 'sms-group', topic: 'a.sms' }, value: 12 },
    ]);
    expect((await series(m, 'mobileforge_pipeline_replicas')).filter((s) => s.labels.pipeline === 'a')).toEqual(
      ['ready', 'desired', 'min', 'max'].map((kind, i) => ({
        labels: { pipeline_namespace: 'sync', pipeline: 'a', component: 'sms', kind },
        value: [1, 2, 1, 4][i],
      })),
    );
    seen = [seen[1]!];
    expect(await series(m, 'mobileforge_pipeline_ready')).toEqual([{ labels: { pipeline_namespace: 'sync', pipeline: 'b' }, value: 0 }]);
    expect(await series(m, 'mobileforge_pipeline_consumer_lag')).toEqual([]);
  });
});
