// The operator's Secret handling against the real API server: the watch cache holds digests
// only, and the SecretReader fetches values on demand, again only after a change.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { ClusterCache } from '../../../operator/controller/caches.js';
import { SecretReader } from '../../../operator/controller/secret-reader.js';
import { createNamespace, deleteNamespace } from '../../support/kube.js';
import { createSecret, kubectlRun } from '../../support/operator-env.js';
import { requireKube, testKubeConfig } from '../../support/services.js';
import { waitFor } from '../../support/wait.js';

let kc: k8s.KubeConfig;
let ns: string;
let cache: ClusterCache;
let gets = 0;

beforeAll(async () => {
  kc = await requireKube(testKubeConfig());
  ns = await createNamespace(kc, 'secrets');
  cache = new ClusterCache(kc, { namespaces: [ns], onChange: () => undefined });
  await cache.watchSecrets();
});
afterAll(async () => {
  await cache?.stop();
  if (ns) await deleteNamespace(kc, ns);
});

test('the cache holds digests; values are fetched on demand, again only after a change', async () => {
  createSecret(ns, 'kafka-user', { username: 'mobileforge', password: 'first-password' });
  const cached = await waitFor('the Secret in the cache', () => cache.secret(ns, 'kafka-user'));
  expect(JSON.stringify(cached)).not.toContain(Buffer.from('first-password').toString('base64'));
  expect(cached.data?.password).toMatch(/^sha256:[0-9a-f]{32}$/);

  const core = kc.makeApiClient(k8s.CoreV1Api);
  const reader = new SecretReader(cache, (namespace, name) => {
    gets++;
    return core.readNamespacedSecret({ name, namespace });
  });

  expect(await reader.values(ns, 'kafka-user')).toEqual({ username: 'mobileforge', password: 'first-password' });
  expect(await reader.values(ns, 'kafka-user')).toEqual({ username: 'mobileforge', password: 'first-password' });
  expect(gets).toBe(1);

  const before = cached.metadata?.resourceVersion;
  createSecret(ns, 'kafka-user', { username: 'mobileforge', password: 'rotated' });
  await waitFor('the rotation in the cache', () => cache.secret(ns, 'kafka-user')?.metadata?.resourceVersion !== before);
  expect(await reader.values(ns, 'kafka-user')).toEqual({ username: 'mobileforge', password: 'rotated' });
  expect(gets).toBe(2);

  kubectlRun(['delete', 'secret', 'kafka-user', '-n', ns]);
  await waitFor('the deletion in the cache', () => !cache.secret(ns, 'kafka-user'));
  expect(await reader.values(ns, 'kafka-user')).toBeUndefined();
  expect(gets).toBe(2);
});
