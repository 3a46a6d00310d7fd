// A pipeline's Kafka clients: its Secrets' values, read on demand (the watch cache holds only
// digests), and its admin client, made on first use.
import type { SyncPipeline } from '../api/v1alpha1.js';
import { kafkaConfigFor, type SecretValue } from '../model/kafka/kafka-access.js';
import type { SecretSource } from './secret-reader.js';
import type { TopicAdmin, TopicAdminPool } from './topic-admin.js';

/** The Kafka Secrets' values (SASL credentials, CA) the pipeline's spec names. */
export async function kafkaSecrets(secrets: SecretSource, p: SyncPipeline): Promise<SecretValue> {
  const k = p.spec.kafka;
  const names = [k.sasl?.credentialsSecretRef.name, k.tls?.enabled ? k.tls.caSecretRef?.name : undefined].filter((n): n is string => Boolean(n));
  const values = new Map(await Promise.all(names.map(async (n) => [n, await secrets.values(p.metadata.namespace!, n)] as const)));
  return (name, key) => values.get(name)?.[key];
}

export interface LazyAdmin {
  admin: () => Promise<TopicAdmin>;
  /** Drops the client after a failure, so the next use reconnects (nothing when none was made). */
  evict: () => Promise<void>;
}

/** The pipeline's Kafka admin client from the pool, made on first use. */
export function lazyAdmin(pool: TopicAdminPool, secrets: SecretSource, p: SyncPipeline): LazyAdmin {
  const key = `${p.metadata.namespace}/${p.metadata.name}`;
  let config: ReturnType<typeof kafkaConfigFor> | undefined;
  return {
    admin: async () => {
      config ??= kafkaConfigFor(p.spec, await kafkaSecrets(secrets, p));
      return pool.for(config, key);
    },
    evict: async () => {
      if (config) await pool.evict(config, key);
    },
  };
}
