// What the operator may do on a pipeline's Kafka cluster, decided in one place from the topic
// mode. Writing topics is the job of whoever manages them (the operator only in admin mode);
// reading offsets is harmless and tells every mode its consumer lag, so it happens in all.
import { logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { SyncPipelineSpec } from '../../api/v1alpha1.js';
import { caKey, passwordKey, usernameKey } from '../../api/secret-refs.js';
import { topicMode } from '../defaults.js';

export interface KafkaAccess {
  /**
   * Create missing topics, raise their partitions and delete them on pipeline deletion,
   * through the Kafka admin API. Only when the operator manages the topics (admin mode): a
   * Strimzi topic operator or a team owning the topics would see its work undone.
   */
  readonly manageTopics: boolean;
  /**
   * Read the consumer groups' committed offsets (OffsetFetch) and the topics' end offsets
   * (ListOffsets), for status.flow and Lagging. Read-only: nothing on the cluster changes.
   */
  readonly readOffsets: boolean;
}

const ACCESS: Readonly<Record<ReturnType<typeof topicMode>, KafkaAccess>> = {
  admin: { manageTopics: true, readOffsets: true },
  strimzi: { manageTopics: false, readOffsets: true },
  unmanaged: { manageTopics: false, readOffsets: true },
};

export function kafkaAccess(spec: SyncPipelineSpec): KafkaAccess {
  return ACCESS[topicMode(spec)];
}

// The client settings every Kafka client of ours uses for a pipeline's cluster: the operator's
// (topics, offsets) and the CLI's (dead letters). Pure: the Secrets' values come in through `secret`.
export type SecretValue = (name: string, key: string) => string | undefined;

export class KafkaCredentialsError extends Error {
  override name = 'KafkaCredentialsError';
}

/** kafkajs settings for a pipeline's cluster; secrets are read through `secret`. */
export function kafkaConfigFor(spec: SyncPipelineSpec, secret: SecretValue, clientId = 'mobileforge-operator'): KafkaConfig {
  const k = spec.kafka;
  const cfg: KafkaConfig = {
    clientId,
    brokers: k.bootstrapServers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { retries: 1, initialRetryTime: 200 },
  };
  if (k.tls?.enabled) {
    const ref = k.tls.caSecretRef ? caKey(k.tls.caSecretRef) : undefined;
    const ca = ref ? secret(ref.name, ref.key) : undefined;
    if (ref && !ca) throw new KafkaCredentialsError(`Secret ${ref.name} has no key ${ref.key}`);
    cfg.ssl = ca ? { ca: [ca] } : true;
  }
  if (k.sasl) {
    const ref = k.sasl.credentialsSecretRef;
    const user = usernameKey(ref);
    const pass = passwordKey(ref);
    const username = secret(user.name, user.key);
    const password = secret(pass.name, pass.key);
    if (!username || !password) throw new KafkaCredentialsError(`Secret ${ref.name} lacks the Kafka SASL username or password`);
    cfg.sasl = { mechanism: k.sasl.mechanism, username, password } as SASLOptions;
  }
  return cfg;
}
