import { describe, expect, test } from '@jest/globals';
import type { V1Deployment, V1Job, V1PodSpec } from '@kubernetes/client-node';
import { render } from '../../../operator/model/render.js';
import { pipeline } from '../../support/fixtures.js';

const envOf = (pod: V1PodSpec) => Object.fromEntries((pod.containers[0]!.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

function pods(p: ReturnType<typeof pipeline>): { name: string; pod: V1PodSpec }[] {
  const r = render(p, { capabilities: { keda: true } });
  return r.objects.flatMap((o) => {
    if (o.kind === 'Deployment') return [{ name: o.metadata!.name!, pod: (o as V1Deployment).spec!.template.spec! }];
    if (o.kind === 'Job') return [{ name: o.metadata!.name!, pod: (o as V1Job).spec!.template.spec! }];
    return [];
  });
}

describe('TLS to the databases', () => {
  test('production checks the PostgreSQL certificate and host name by default; other environments keep prefer', () => {
    for (const { pod } of pods(pipeline({ environment: 'production' }))) expect(envOf(pod).DI_POSTGRES_SSLMODE).toBe('verify-full');
    for (const { pod } of pods(pipeline({ environment: 'uat' }))) expect(envOf(pod).DI_POSTGRES_SSLMODE).toBe('prefer');
    for (const { pod } of pods(pipeline({ environment: 'production', postgres: { host: 'pg', credentialsSecretRef: { name: 'pg' }, sslMode: 'require' } })))
      expect(envOf(pod).DI_POSTGRES_SSLMODE).toBe('require');
  });

  test('the CA bundles are mounted read-only into every workload and the migration Job, and named in their variables', () => {
    const p = pipeline({
      postgres: { host: 'db.rds.amazonaws.com', credentialsSecretRef: { name: 'pg' }, ca: { configMapRef: { name: 'rds-ca', key: 'global-bundle.pem' } } },
      mongodb: { host: 'docdb', credentialsSecretRef: { name: 'mongo' }, retryWrites: false, tls: { ca: { secretRef: { name: 'docdb-ca' } } } },
    });
    const all = pods(p);
    expect(all.map((x) => x.name).filter((n) => n.includes('migrate'))).toHaveLength(1);
    for (const { name, pod } of all) {
      // The producer never talks to MongoDB: it gets PostgreSQL's CA only.
      const mongo = !name.endsWith('-producer');
      expect(pod.volumes?.slice(1)).toEqual([
        { name: 'postgres-ca', configMap: { name: 'rds-ca', items: [{ key: 'global-bundle.pem', path: 'ca.crt' }] } },
        ...(mongo ? [{ name: 'mongodb-ca', secret: { secretName: 'docdb-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] : []),
      ]);
      expect(pod.containers[0]!.volumeMounts?.slice(1)).toEqual([
        { name: 'postgres-ca', mountPath: '/etc/mobileforge/postgres-ca', readOnly: true },
        ...(mongo ? [{ name: 'mongodb-ca', mountPath: '/etc/mobileforge/mongodb-ca', readOnly: true }] : []),
      ]);
      expect(envOf(pod)).toMatchObject({ DI_POSTGRES_SSL_CA_FILE: '/etc/mobileforge/postgres-ca/ca.crt' });
      if (mongo) expect(envOf(pod)).toMatchObject({ DI_MONGODB_TLS: 'true', DI_MONGODB_TLS_CA_FILE: '/etc/mobileforge/mongodb-ca/ca.crt' });
    }
  });

  test('without a CA nothing is mounted and MongoDB TLS stays off unless asked', () => {
    for (const { pod } of pods(pipeline())) {
      expect(pod.volumes?.map((v) => v.name)).toEqual(['tmp']);
      expect(envOf(pod).DI_MONGODB_TLS).toBeUndefined();
    }
    const asked = pipeline({ mongodb: { host: 'm', credentialsSecretRef: { name: 'mongo' }, tls: { enabled: true } } });
    for (const { name, pod } of pods(asked)) if (!name.endsWith('-producer')) expect(envOf(pod).DI_MONGODB_TLS).toBe('true');
  });
});
