// The Secrets and ConfigMaps a pipeline's pods read, and the hash over them that goes into the
// pod templates: when a referenced value changes, the hash changes and the pods roll, which
// is how a rotated password reaches processes that read it once at start-up.
import { createHash } from 'node:crypto';
import type { V1EnvVar } from '@kubernetes/client-node';
import { componentOverrides, type SyncPipelineSpec } from '../../api/v1alpha1.js';
import { caBundle, caKey, passwordKey, uriKey, usernameKey, type SecretKey } from '../../api/secret-refs.js';
import { ALL_COMPONENTS } from '../../../core/domain.js';

/** One Secret or ConfigMap and the keys of it that the pods read. */
export interface ObjectKeys {
  name: string;
  keys: string[];
}

const keysOf = (...refs: SecretKey[]): ObjectKeys => ({ name: refs[0]!.name, keys: refs.map((r) => r.key) });

/** Keys the components' extra env reads through `valueFrom` of the given kind. */
function extraEnvKeys(spec: SyncPipelineSpec, source: 'secretKeyRef' | 'configMapKeyRef'): ObjectKeys[] {
  return ALL_COMPONENTS.flatMap((c) =>
    (componentOverrides(spec, c).env ?? []).flatMap((e: V1EnvVar) => {
      const ref = e.valueFrom?.[source];
      return ref?.name && ref.key ? [{ name: ref.name, keys: [ref.key] }] : [];
    }),
  );
}

/** The database CA bundles of either kind (added only when given, so other pipelines' hashes stay as they were). */
function databaseCaKeys(spec: SyncPipelineSpec, kind: 'secret' | 'configMap'): ObjectKeys[] {
  return [spec.postgres.ca, spec.mongodb.tls?.ca].flatMap((ref) => {
    const src = ref && caBundle(ref);
    return src?.kind === kind ? [{ name: src.name, keys: [src.key] }] : [];
  });
}

/** Every Secret key the pipeline's pods read: database and Kafka credentials, CAs, extra env. */
export function referencedSecrets(spec: SyncPipelineSpec): ObjectKeys[] {
  const credentials = (ref: Parameters<typeof usernameKey>[0]) => keysOf(usernameKey(ref), passwordKey(ref));
  const refs: ObjectKeys[] = [credentials(spec.postgres.credentialsSecretRef)];
  const m = spec.mongodb;
  if (m.credentialsSecretRef) refs.push(credentials(m.credentialsSecretRef));
  if (m.uriSecretRef) refs.push(keysOf(uriKey(m.uriSecretRef)));
  const k = spec.kafka;
  if (k.sasl) refs.push(credentials(k.sasl.credentialsSecretRef));
  if (k.tls?.enabled && k.tls.caSecretRef) refs.push(keysOf(caKey(k.tls.caSecretRef)));
  return [...refs, ...databaseCaKeys(spec, 'secret'), ...extraEnvKeys(spec, 'secretKeyRef')];
}

/** ConfigMap keys the pods read through extra env (`configMapKeyRef`). */
export function referencedConfigMaps(spec: SyncPipelineSpec): ObjectKeys[] {
  return [...databaseCaKeys(spec, 'configMap'), ...extraEnvKeys(spec, 'configMapKeyRef')];
}

/** An object's values (or digests of them) by key; undefined when the object does not exist. */
export type ValueLookup = (name: string) => Readonly<Record<string, string>> | undefined;

/**
 * Hash of every referenced key's value (digests suffice: only change matters), or of its
 * absence. ConfigMaps add lines only when referenced, so the hash of a pipeline without any
 * is what it was before ConfigMaps counted.
 */
export function configHash(spec: SyncPipelineSpec, secrets: ValueLookup, configMaps: ValueLookup): string {
  const h = createHash('sha256');
  const add = (refs: ObjectKeys[], prefix: string, values: ValueLookup) => {
    for (const ref of [...refs].sort((a, b) => a.name.localeCompare(b.name))) {
      const data = values(ref.name);
      for (const key of [...ref.keys].sort()) h.update(`${prefix}${ref.name}/${key}=${data?.[key] ?? '<missing>'}\n`);
    }
  };
  add(referencedSecrets(spec), '', secrets);
  add(referencedConfigMaps(spec), 'configmap:', configMaps);
  return h.digest('hex').slice(0, 16);
}
