import { describe, expect, test } from '@jest/globals';
import { APPLIED_HASH_ANNOTATION, isSubset, needsApply, withAppliedHash } from '../../../operator/controller/diff.js';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', labels: { a: '1' } },
  spec: { template: { spec: { containers: [{ name: 'c', image: 'i:1', env: [{ name: 'X', value: '1' }] }] } } },
};
// What the API server returns: our fields plus defaults and other managers' fields.
const stored = (o: typeof deployment) => ({
  ...structuredClone(o),
  metadata: {
    ...structuredClone(o.metadata),
    uid: 'u',
    resourceVersion: '9',
    annotations: { ...(o.metadata as { annotations?: object }).annotations, 'other.io/x': 'y' },
  },
  spec: {
    replicas: 7,
    template: {
      spec: {
        containers: [{ ...structuredClone(o.spec.template.spec.containers[0]!), terminationMessagePath: '/dev/termination-log' }],
        restartPolicy: 'Always',
      },
    },
  },
  status: { readyReplicas: 3 },
});

describe('change detection', () => {
  test('subset: extra map keys are fine, lists must match element by element', () => {
    expect(isSubset({ a: 1 }, { a: 1, b: 2 })).toBe(true);
    expect(isSubset({ a: [1, 2] }, { a: [1, 2, 3] })).toBe(false);
    expect(isSubset({ a: { b: 'x' } }, { a: { b: 'y' } })).toBe(false);
    expect(isSubset({ a: 1 }, undefined)).toBe(false);
  });

  test('nothing to apply when the stored object holds what we want', () => {
    const want = withAppliedHash(deployment);
    expect(needsApply(want, stored(want))).toBe(false);
  });

  test('apply when missing, hand-edited, or when what we want changed (even a removal)', () => {
    const want = withAppliedHash(deployment);
    expect(needsApply(want, undefined)).toBe(true);
    const edited = stored(want);
    edited.spec.template.spec.containers[0]!.image = 'evil:latest';
    expect(needsApply(want, edited)).toBe(true);
    // Removing an env var leaves the desired object a subset of the stored one; the hash catches it.
    const fewer = withAppliedHash({ ...deployment, spec: { template: { spec: { containers: [{ name: 'c', image: 'i:1', env: [] }] } } } });
    const hashOf = (o: object) => (o as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations?.[APPLIED_HASH_ANNOTATION];
    expect(hashOf(fewer)).not.toBe(hashOf(want));
    expect(needsApply(fewer, stored(want))).toBe(true);
  });
});
