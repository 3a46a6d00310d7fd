// Domain facts shared by the operator's model and the workloads: the data sources the SDK
// syncs, the Kafka topic each lands on, and which consumer group reads it. The values are the
// seed deployment document's (docs/domain.md#the-reference-deployment); everything else derives from this table.

export const SOURCES = ['sms', 'events', 'apps_and_device', 'contacts', 'call_logs'] as const;
export type Source = (typeof SOURCES)[number];

export const TOPICS = ['sms_batched', 'events_log', 'apps_and_device_batched', 'contacts_batched', 'call_logs_batched'] as const;
export type TopicName = (typeof TOPICS)[number];

/**
 * How a pipeline's consumers are laid out: the seed's production split (one consumer group and
 * Deployment each for SMS, events and the rest), or its basic deployment's single consumer that
 * reads every topic in one group, for environments too small to keep three busy.
 */
export const CONSUMER_LAYOUTS = ['split', 'single'] as const;
export type ConsumerLayout = (typeof CONSUMER_LAYOUTS)[number];

/** The consumers of the split layout, each with its own group. */
export const SPLIT_CONSUMERS = ['sms', 'events', 'common'] as const;
export type SplitConsumer = (typeof SPLIT_CONSUMERS)[number];
/** The one consumer of the single layout, over every topic. */
const SINGLE_CONSUMER = 'all';
export type ConsumerName = SplitConsumer | typeof SINGLE_CONSUMER;
export const ALL_CONSUMERS: readonly ConsumerName[] = [...SPLIT_CONSUMERS, SINGLE_CONSUMER];

export function consumersOf(layout: ConsumerLayout): readonly ConsumerName[] {
  return layout === 'single' ? [SINGLE_CONSUMER] : SPLIT_CONSUMERS;
}

/** The workloads a pipeline runs: the Producer API and one Deployment per consumer group. */
export type ComponentName = 'producer' | ConsumerName;
export const ALL_COMPONENTS: readonly ComponentName[] = ['producer', ...ALL_CONSUMERS];

export function componentsOf(layout: ConsumerLayout): readonly ComponentName[] {
  return ['producer', ...consumersOf(layout)];
}

export const REGIONS = ['india', 'other'] as const;
export type Region = (typeof REGIONS)[number];

export interface TopicFacts {
  readonly source: Source;
  /** Partitions in the seed's topic table (sized there for 150K-200K DAU). */
  readonly seedPartitions: number;
  /** The split layout's consumer that reads it. */
  readonly consumer: SplitConsumer;
  /** Contacts and call logs are never collected in India. */
  readonly allowedInIndia: boolean;
}

export const TOPIC_FACTS: Readonly<Record<TopicName, TopicFacts>> = {
  sms_batched: { source: 'sms', seedPartitions: 16, consumer: 'sms', allowedInIndia: true },
  events_log: { source: 'events', seedPartitions: 20, consumer: 'events', allowedInIndia: true },
  apps_and_device_batched: { source: 'apps_and_device', seedPartitions: 10, consumer: 'common', allowedInIndia: true },
  contacts_batched: { source: 'contacts', seedPartitions: 10, consumer: 'common', allowedInIndia: false },
  call_logs_batched: { source: 'call_logs', seedPartitions: 10, consumer: 'common', allowedInIndia: false },
};

/** The seed's consumer-group names for its production split, and the single consumer's. */
export const CONSUMER_GROUPS: Readonly<Record<ConsumerName, string>> = {
  sms: 'sms-consumer-group',
  events: 'events-consumer-group',
  common: 'common-consumer-group',
  all: 'all-consumer-group',
};

/**
 * How one pipeline names its topics and consumer groups on a Kafka cluster: the seed's names
 * behind optional prefixes, so that dev and uat (or two products) can share one cluster
 * without reading each other's data. No prefix gives the seed's names exactly.
 */
export interface KafkaNaming {
  readonly topicPrefix: string;
  readonly groupPrefix: string;
}

/** Characters Kafka allows in topic names (and that are safe in group ids). */
export const KAFKA_NAME_PATTERN = '^[a-zA-Z0-9._-]+$';

/**
 * The topic of the audit rows (`usage` and `unauthorized_requests`): the Producer API produces
 * them with the same guarantees as data, and the consumer that reads the seed's common topics
 * (the single layout's one consumer) writes them to the insights database, each row once by its
 * unique id.
 */
export const AUDIT_TOPIC = 'usage_audit';
/** The split layout's consumer that reads the audit topic (the single layout's reads every topic). */
const AUDIT_CONSUMER: SplitConsumer = 'common';
/**
 * The compacted topic of client records (who may sync, with what secret) that the Producer API
 * replicas share: each publishes what it reads from the clients table, and a replica starting
 * while PostgreSQL is away authenticates from it. No consumer group reads it.
 */
export const CLIENTS_TOPIC = 'sync_clients';

/** A topic a pipeline's consumers read: the seed's data topics and the audit topic. */
export type ConsumedTopic = TopicName | typeof AUDIT_TOPIC;
/** Every topic of a pipeline, by its name behind the prefix. */
export type PipelineTopic = ConsumedTopic | typeof CLIENTS_TOPIC;

/** Whether a topic's cluster name is a pipeline's audit topic, whatever its prefix. */
export function isAuditTopic(name: string): boolean {
  return name.endsWith(AUDIT_TOPIC);
}

export function kafkaTopicName(naming: Pick<KafkaNaming, 'topicPrefix'>, topic: PipelineTopic): string {
  return `${naming.topicPrefix}${topic}`;
}

export function consumerGroupName(naming: KafkaNaming, consumer: ConsumerName): string {
  return `${naming.groupPrefix}${CONSUMER_GROUPS[consumer]}`;
}

/** Where a consumer sends what it can never write: one dead-letter topic per topic it reads. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export function topicForSource(source: Source): TopicName {
  const found = TOPICS.find((t) => TOPIC_FACTS[t].source === source);
  if (!found) throw new Error(`no topic for source ${source}`);
  return found;
}

/** Data topics a consumer reads in a region, in the seed's order (the single consumer: all of them). */
function dataTopicsForConsumer(consumer: ConsumerName, region: Region): TopicName[] {
  return TOPICS.filter((t) => (consumer === SINGLE_CONSUMER || TOPIC_FACTS[t].consumer === consumer) && (region !== 'india' || TOPIC_FACTS[t].allowedInIndia));
}

/** Topics a consumer reads in a region: its data topics, then the audit topic for the one that writes audit rows. */
export function topicsForConsumer(consumer: ConsumerName, region: Region): ConsumedTopic[] {
  const data: ConsumedTopic[] = dataTopicsForConsumer(consumer, region);
  return consumer === SINGLE_CONSUMER || consumer === AUDIT_CONSUMER ? [...data, AUDIT_TOPIC] : data;
}

/** The consumer of a layout that reads a topic. */
export function consumerOfTopic(layout: ConsumerLayout, topic: ConsumedTopic): ConsumerName {
  if (layout === 'single') return SINGLE_CONSUMER;
  return topic === AUDIT_TOPIC ? AUDIT_CONSUMER : TOPIC_FACTS[topic].consumer;
}
