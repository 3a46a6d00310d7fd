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

export function kafkaTopicName(naming: KafkaNaming, topic: TopicName): string {
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

/** Topics a consumer reads in a region, in the seed's order (the single consumer: all of them). */
export function topicsForConsumer(consumer: ConsumerName, region: Region): TopicName[] {
  return TOPICS.filter((t) => (consumer === SINGLE_CONSUMER || TOPIC_FACTS[t].consumer === consumer) && (region !== 'india' || TOPIC_FACTS[t].allowedInIndia));
}

/** The consumer of a layout that reads a topic. */
export function consumerOfTopic(layout: ConsumerLayout, topic: TopicName): ConsumerName {
  return layout === 'single' ? SINGLE_CONSUMER : TOPIC_FACTS[topic].consumer;
}
