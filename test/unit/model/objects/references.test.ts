import { describe, expect, test } from '@jest/globals';
import type { KubernetesObject, V1PodSpec } from '@kubernetes/client-node';
import { configHash, referencedConfigMaps, referencedSecrets } from '../../../../operator/model/objects/references.js';
import { render } from '../../../../operator/model/render.js';
import { pipeline } from '../../../support/fixtures.js';
import { resolve } from '../../../../operator/model/resolve.js';

/** Every pipeline option that makes pods read a Secret or a ConfigMap. */
const everything = pipeline({
  kafka: {
    bootstrapServers: ['kafka:9093'],
    tls: { enabled: true, caSecretRef: { name: 'kafka-ca', key: 'root.pem' } },
    sasl: { mechanism: 'scram-sha-512', credentialsSecretRef: { name: 'kafka-user', usernameKey: 'user' } },
  },
  mongodb: { uriSecretRef: { name: 'mongo-uri' }, tls: { ca: { secretRef: { name: 'docdb-ca' } } } },
  postgres: { host: 'pg', credentialsSecretRef: { name: 'pg-creds' }, ca: { configMapRef: { name: 'rds-ca', key: 'bundle.pem' } } },
  producer: { env: [{ name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'extra', key: 'token' } } }] },
  consumers: { sms: { env: [{ name: 'FLAGS', valueFrom: { configMapKeyRef: { name: 'flags', key: 'sms' } } }] } },
});

function podSpecs(objects: KubernetesObject[]): V1PodSpec[] {
  return objects.flatMap((o) => {
    const spec = (o as { spec?: { template?: { spec?: V1PodSpec }; jobTemplate?: { spec?: { template?: { spec?: V1PodSpec } } } } }).spec;
    const pod = spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec;
    return pod ? [pod] : [];
  });
}

/** `name/key` of every Secret or ConfigMap key the rendered pods read, through env or volumes. */
function readByPods(objects: KubernetesObject[], source: 'secret' | 'configMap'): Set<string> {
  const found = new Set<string>();
  for (const pod of podSpecs(objects)) {
    for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
      for (const e of c.env ?? []) {
        const ref = source === 'secret' ? e.valueFrom?.secretKeyRef : e.valueFrom?.configMapKeyRef;
        if (ref) found.add(`${ref.name}/${ref.key}`);
      }
    }
    for (const v of pod.volumes ?? []) {
      const vol =
        source === 'secret'
          ? v.secret && { name: v.secret.secretName, items: v.secret.items }
          : v.configMap && { name: v.configMap.name, items: v.configMap.items };
      for (const item of vol?.items ?? []) found.add(`${vol!.name}/${item.key}`);
    }
  }
  return found;
}

const flat = (refs: { name: string; keys: string[] }[]) => new Set(refs.flatMap((r) => r.keys.map((k) => `${r.name}/${k}`)));

describe('referenced Secrets and ConfigMaps', () => {
  test('are exactly what the rendered pod specs read, key defaults included', () => {
    const objects = render(everything, { capabilities: { keda: true } }).objects;
    expect(flat(referencedSecrets(resolve(everything)))).toEqual(readByPods(objects, 'secret'));
    expect(flat(referencedConfigMaps(resolve(everything)))).toEqual(readByPods(objects, 'configMap'));
    expect(flat(referencedSecrets(resolve(everything)))).toEqual(
      new Set([
        'pg-creds/username',
        'pg-creds/password',
        'mongo-uri/uri',
        'kafka-user/user',
        'kafka-user/password',
        'kafka-ca/root.pem',
        'docdb-ca/ca.crt',
        'extra/token',
      ]),
    );
  });

  test('the config hash follows a referenced value, and only a referenced one', () => {
    const secrets: Record<string, Record<string, string>> = { 'pg-creds': { username: 'sha256:a', password: 'sha256:b' } };
    const hash = () =>
      configHash(
        resolve(pipeline()),
        (n) => secrets[n],
        () => undefined,
      );
    const before = hash();
    secrets['pg-creds'] = { ...secrets['pg-creds'], unrelated: 'sha256:c' };
    expect(hash()).toBe(before);
    secrets['pg-creds'] = { ...secrets['pg-creds'], password: 'sha256:d' };
    expect(hash()).not.toBe(before);
  });
});
