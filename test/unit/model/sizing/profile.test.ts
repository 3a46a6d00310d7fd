import { describe, expect, test } from '@jest/globals';
import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import { ENVIRONMENTS } from '../../../../operator/api/v1alpha1.js';
import { ONE_PROCESS_CPU, podResourcesFor } from '../../../../operator/model/sizing/profile.js';
import { parseQuantity } from '../../../../core/quantity.js';
import { render } from '../../../../operator/model/render.js';
import { pipeline } from '../../../support/fixtures.js';

const cores = (q: string) => Number(parseQuantity(q).milli) / 1000;

describe('environment profiles', () => {
  test.each(ENVIRONMENTS)('%s: the CPU target is a load one process can reach, so the autoscaler can fire', (environment) => {
    const r = render(pipeline({ environment }), { capabilities: { keda: false } });
    const hpas = r.objects.filter((o): o is V2HorizontalPodAutoscaler => o.kind === 'HorizontalPodAutoscaler');
    expect(hpas.length).toBeGreaterThan(0);
    const request = cores(podResourcesFor(environment).requests.cpu);
    expect(request).toBeLessThanOrEqual(ONE_PROCESS_CPU);
    for (const hpa of hpas) {
      const cpu = hpa.spec!.metrics!.find((m) => m.resource?.name === 'cpu')!.resource!.target.averageUtilization!;
      // with a margin: the process must get there before its one thread saturates
      expect((cpu / 100) * request).toBeLessThan(0.9 * ONE_PROCESS_CPU);
    }
  });

  test.each(ENVIRONMENTS)('%s: limits leave room above the requests', (environment) => {
    const { requests, limits } = podResourcesFor(environment);
    expect(cores(limits.cpu)).toBeGreaterThan(cores(requests.cpu));
    expect(Number(parseQuantity(limits.memory).milli)).toBeGreaterThan(Number(parseQuantity(requests.memory).milli));
  });
});
