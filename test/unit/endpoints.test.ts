import { describe, expect, test } from '@jest/globals';
import { externalServices } from '../support/endpoints.js';

describe('test endpoints', () => {
  test('a service counts as external only through its marker variable', () => {
    expect([...externalServices({ MONGODB_URI: 'mongodb://db:27017/' })]).toEqual(['mongo']);
    // A developer's KUBECONFIG must never send tests to a real cluster.
    expect([...externalServices({ KUBECONFIG: '/home/me/.kube/config' })]).toEqual([]);
    expect([...externalServices({ MOBILEFORGE_TEST_KUBECONFIG: '/tmp/kc' })]).toEqual(['kube']);
  });
});
