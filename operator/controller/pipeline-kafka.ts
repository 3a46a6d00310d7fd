// A pipeline's Kafka clients: its Secrets' values, read on demand (the watch cache holds only
// digests), and its admin client, made on first use.
import type { ResolvedPipeline } from '../model/resolve.js';
import { kafkaConfigFor, kafkaSecretNames, type SecretValue } from '../model/kafka/kafka-access.js';
import type { SecretSource } from './secret-reader.js';
import type { TopicAdmin, TopicAdminPool } from './topic-admin.js';

/** The Kafka Secrets' values (SASL credentials, CA) the pipeline's spec names. */
export async function kafkaSecrets(secrets: SecretSource, r: ResolvedPipeline): Promise<SecretValue> {
  const values = new Map(await Promise.all(kafkaSecretNames(r.kafka).map(async (n) => [n, await secrets.values(r.metadata.namespace!, n)] as const)));
  return (name, key) => values.get(name)?.[key];
}

export interface LazyAdmin {
  admin: () => Promise<TopicAdmin>;
  /** Drops the client after a failure, so the next use reconnects (nothing when none was made). */
  evict: () => Promise<void>;
}

/** The pipeline's Kafka admin client from the pool, made on first use. */
export function lazyAdmin(pool: TopicAdminPool, secrets: SecretSource, r: ResolvedPipeline): LazyAdmin {
  const key = `${r.metadata.namespace}/${r.metadata.name}`;
  let config: ReturnType<typeof kafkaConfigFor> | undefined;
  return {
    admin: async () => {
      config ??= kafkaConfigFor(r.kafka, await kafkaSecrets(secrets, r));
      return pool.for(config, key);
    },
    evict: async () => {
      if (config) await pool.evict(config, key);
    },
  };
}
