// The Secrets and ConfigMaps a pipeline's pods read, and the hash over them that goes into the
// pod templates: when a referenced value changes, the hash changes and the pods roll, which
// is how a rotated password reaches processes that read it once at start-up.
import { createHash } from 'node:crypto';
import type { V1EnvVar } from '@kubernetes/client-node';
import { ALL_COMPONENTS } from '../../../core/domain.js';
import type { ResolvedPipeline, SecretKey } from '../resolve.js';

/** What the references are read from. */
type Referencing = Pick<ResolvedPipeline, 'postgres' | 'mongodb' | 'kafka' | 'extraEnv'>;

/** One Secret or ConfigMap and the keys of it that the pods read. */
export interface ObjectKeys {
  name: string;
  keys: string[];
}

const keysOf = (...refs: SecretKey[]): ObjectKeys => ({ name: refs[0]!.name, keys: refs.map((r) => r.key) });

/** Keys the components' extra env reads through `valueFrom` of the given kind. */
function extraEnvKeys(r: Referencing, source: 'secretKeyRef' | 'configMapKeyRef'): ObjectKeys[] {
  return ALL_COMPONENTS.flatMap((c) =>
    r.extraEnv[c].flatMap((e: V1EnvVar) => {
      const ref = e.valueFrom?.[source];
      return ref?.name && ref.key ? [{ name: ref.name, keys: [ref.key] }] : [];
    }),
  );
}

/** The database CA bundles of either kind (added only when given, so other pipelines' hashes stay as they were). */
function databaseCaKeys(r: Referencing, kind: 'secret' | 'configMap'): ObjectKeys[] {
  return [r.postgres.ca, r.mongodb.ca].flatMap((src) => (src?.kind === kind ? [{ name: src.name, keys: [src.key] }] : []));
}

/** Every Secret key the pipeline's pods read: database and Kafka credentials, CAs, extra env. */
export function referencedSecrets(r: Referencing): ObjectKeys[] {
  const refs: ObjectKeys[] = [keysOf(r.postgres.username, r.postgres.password)];
  const m = r.mongodb;
  if (m.credentials) refs.push(keysOf(m.credentials.username, m.credentials.password));
  if (m.uri) refs.push(keysOf(m.uri));
  const k = r.kafka;
  if (k.sasl) refs.push(keysOf(k.sasl.username, k.sasl.password));
  if (k.tls.ca) refs.push(keysOf(k.tls.ca));
  return [...refs, ...databaseCaKeys(r, 'secret'), ...extraEnvKeys(r, 'secretKeyRef')];
}

/** ConfigMap keys the pods read through extra env (`configMapKeyRef`). */
export function referencedConfigMaps(r: Referencing): ObjectKeys[] {
  return [...databaseCaKeys(r, 'configMap'), ...extraEnvKeys(r, 'configMapKeyRef')];
}

/** An object's values (or digests of them) by key; undefined when the object does not exist. */
export type ValueLookup = (name: string) => Readonly<Record<string, string>> | undefined;

/**
 * Hash of every referenced key's value (digests suffice: only change matters), or of its
 * absence. ConfigMaps add lines only when referenced, so the hash of a pipeline without any
 * is what it was before ConfigMaps counted.
 */
export function configHash(r: Referencing, secrets: ValueLookup, configMaps: ValueLookup): string {
  const h = createHash('sha256');
  const add = (refs: ObjectKeys[], prefix: string, values: ValueLookup) => {
    for (const ref of [...refs].sort((a, b) => a.name.localeCompare(b.name))) {
      const data = values(ref.name);
      for (const key of [...ref.keys].sort()) h.update(`${prefix}${ref.name}/${key}=${data?.[key] ?? '<missing>'}\n`);
    }
  };
  add(referencedSecrets(r), '', secrets);
  add(referencedConfigMaps(r), 'configmap:', configMaps);
  return h.digest('hex').slice(0, 16);
}
