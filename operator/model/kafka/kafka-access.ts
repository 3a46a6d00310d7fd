// What the operator may do on a pipeline's Kafka cluster, as the topic mode resolved it
// (resolve.ts: writing topics is the job of whoever manages them, the operator only in admin
// mode; reading offsets is harmless and tells every mode its consumer lag, so it happens in all),
// and the client settings for that cluster.
import { logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { ResolvedKafka, ResolvedPipeline } from '../resolve.js';

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

export function kafkaAccess(r: Pick<ResolvedPipeline, 'kafka'>): KafkaAccess {
  return { manageTopics: r.kafka.topics.manageTopics, readOffsets: r.kafka.topics.readOffsets };
}

// The client settings every Kafka client of ours uses for a pipeline's cluster: the operator's
// (topics, offsets) and the CLI's (dead letters). Pure: the Secrets' values come in through `secret`.
export type SecretValue = (name: string, key: string) => string | undefined;

export class KafkaCredentialsError extends Error {
  override name = 'KafkaCredentialsError';
}

/** The Secrets `kafkaConfigFor` reads for a cluster (SASL credentials, CA), each named once. */
export function kafkaSecretNames(k: Pick<ResolvedKafka, 'tls' | 'sasl'>): string[] {
  return [...new Set([k.sasl?.username.name, k.sasl?.password.name, k.tls.ca?.name].filter((n): n is string => Boolean(n)))];
}

/** kafkajs settings for a pipeline's cluster; secrets are read through `secret`. */
export function kafkaConfigFor(
  k: Pick<ResolvedKafka, 'bootstrapServers' | 'tls' | 'sasl'>,
  secret: SecretValue,
  clientId = 'mobileforge-operator',
): KafkaConfig {
  const cfg: KafkaConfig = {
    clientId,
    brokers: [...k.bootstrapServers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10000,
    retry: { retries: 1, initialRetryTime: 200 },
  };
  if (k.tls.enabled) {
    const ref = k.tls.ca;
    const ca = ref ? secret(ref.name, ref.key) : undefined;
    if (ref && !ca) throw new KafkaCredentialsError(`Secret ${ref.name} has no key ${ref.key}`);
    cfg.ssl = ca ? { ca: [ca] } : true;
  }
  if (k.sasl) {
    const { username: user, password: pass } = k.sasl;
    const username = secret(user.name, user.key);
    const password = secret(pass.name, pass.key);
    if (!username || !password) throw new KafkaCredentialsError(`Secret ${user.name} lacks the Kafka SASL username or password`);
    cfg.sasl = { mechanism: k.sasl.mechanism, username, password } as SASLOptions;
  }
  return cfg;
}
