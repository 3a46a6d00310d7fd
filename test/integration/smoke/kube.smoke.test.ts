import { afterAll, beforeAll, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { requireKube, testKubeConfig, uniqueName } from '../../support/services.js';

const group = `${uniqueName('smoke').replace(/-/g, '')}.mobileforge.test`;
const ns = uniqueName('smoke');
let kc: k8s.KubeConfig;
let objects: k8s.KubernetesObjectApi;
let core: k8s.CoreV1Api;
let ext: k8s.ApiextensionsV1Api;

const crdName = `widgets.${group}`;
const crd: k8s.V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: crdName },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: { type: 'object', properties: { size: { type: 'integer' }, color: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};

beforeAll(async () => {
  kc = await requireKube(testKubeConfig());
  objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  core = kc.makeApiClient(k8s.CoreV1Api);
  ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
});
afterAll(async () => {
  await core?.deleteNamespace({ name: ns }).catch(() => undefined);
  await ext?.deleteCustomResourceDefinition({ name: crdName }).catch(() => undefined);
});

async function waitEstablished(name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const got = await ext.readCustomResourceDefinition({ name });
    if (got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`CRD ${name} never became Established`);
}

// Established is set before every API server handler serves the resource (requests in that
// window get 429/404), so wait until a list succeeds.
async function waitServed(path: string): Promise<void> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const [, grp, version, , namespace, plural] = path.split('/').filter(Boolean);
  for (let i = 0; i < 100; i++) {
    try {
      await custom.listNamespacedCustomObject({ group: grp!, version: version!, namespace: namespace!, plural: plural! });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${path} is never served`);
}

test('kube-apiserver: namespace, CRD Established, custom object, server-side apply, watch event', async () => {
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await ext.createCustomResourceDefinition({ body: crd });
  await waitEstablished(crdName);
  const path = `/apis/${group}/v1/namespaces/${ns}/widgets`;
  await waitServed(path);

  // Watch first, so the apply below must arrive as an event.
  const events: { phase: string; size: unknown }[] = [];
  const gotModified = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no MODIFIED watch event within 20 s')), 20000);
    void new k8s.Watch(kc)
      .watch(
        path,
        {},
        (phase, obj: { spec?: { size?: unknown } }) => {
          events.push({ phase, size: obj.spec?.size });
          if (phase === 'MODIFIED') {
            clearTimeout(timer);
            resolve();
          }
        },
        (err: unknown) => (err ? reject(err) : undefined),
      )
      .then((ctl) => gotModified.finally(() => ctl.abort()));
  });

  const created = await objects.create({
    apiVersion: `${group}/v1`,
    kind: 'Widget',
    metadata: { name: 'w1', namespace: ns },
    spec: { size: 1, color: 'red' },
  } as k8s.KubernetesObject);
  expect(created.metadata?.uid).toBeTruthy();

  const applied = await objects.patch(
    { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1', namespace: ns }, spec: { size: 2 } } as k8s.KubernetesObject,
    undefined,
    undefined,
    'mobileforge-smoke',
    true,
    k8s.PatchStrategy.ServerSideApply,
  );
  const managers = applied.metadata?.managedFields?.map((f) => `${f.manager}/${f.operation}`) ?? [];
  expect(managers).toContain('mobileforge-smoke/Apply');
  expect((applied as k8s.KubernetesObject & { spec: { size: number; color: string } }).spec).toEqual({ size: 2, color: 'red' });

  await gotModified;
  expect(events.map((e) => e.phase)).toContain('MODIFIED');
  expect(events.find((e) => e.phase === 'MODIFIED')?.size).toBe(2);
});
