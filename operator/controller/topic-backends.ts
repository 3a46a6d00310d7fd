// The three topic modes behind one interface: who makes the pipeline's topics, where their
// partition counts are read, and what status says of them. When the operator manages them
// (admin mode) it does so through the Kafka admin API; when Strimzi does, KafkaTopics are
// rendered (model/kafka/strimzi.ts) and their status read; when someone else does (unmanaged),
// they are taken as rendered. The backend follows the resolved `kafka.topics.managedBy`
// (model/resolve.ts, the one place the mode is turned into its consequences).
import type * as k8s from '@kubernetes/client-node';
import type { Capabilities } from '../model/objects/autoscaling.js';
import type { ResolvedPipeline, ResolvedTopicManagement } from '../model/resolve.js';
import { kafkaConfigFor, type SecretValue } from '../model/kafka/kafka-access.js';
import { kafkaFailure } from '../model/report/kafka-failure.js';
import { kafkaTopicObjectName } from '../model/naming.js';
import type { RenderResult } from '../model/render.js';
import { pipelineTopicNames, pipelineTopics, type DesiredTopic, type PartitionCounts } from '../model/kafka/topics.js';
import { errorMessage } from '../../core/errors.js';
import { observeStrimziTopics, type KafkaTopicObject, type Observation, type TopicObservation } from '../model/report/status.js';
import { InsufficientBrokersError, type TopicAdminPool } from './topic-admin.js';

export type ReconcileFailure = NonNullable<Observation['error']>;

/** What the gather step learnt of the topics: Kafka's view (admin mode) or the KafkaTopics' (Strimzi mode). */
export interface KafkaView {
  /** Partitions the topics already have: never ask for fewer. */
  existing: PartitionCounts;
  /** The admin client's configuration, when admin mode could read the topics. */
  config?: ReturnType<typeof kafkaConfigFor>;
  error?: ReconcileFailure;
  /** What failed when admin mode could not read the topics (the lag cannot be read either). */
  cause?: unknown;
}

interface TopicsOutcome {
  topics: TopicObservation[];
  /** Admin mode only: what was ensured through Kafka this time. */
  ensured: TopicObservation[];
  error?: ReconcileFailure;
}

export interface TopicBackend {
  /** The topics' partition counts now, on top of what status last reported. */
  gather(r: ResolvedPipeline, fromStatus: PartitionCounts): Promise<KafkaView>;
  /**
   * The topics as this reconcile leaves them. `view` is undefined when an earlier failure
   * (Kafka unreadable, an apply refused) means nothing should be changed on Kafka now.
   */
  reconcile(r: ResolvedPipeline, result: RenderResult, view: KafkaView | undefined): Promise<TopicsOutcome>;
}

export interface TopicBackendDeps {
  cache: { get<T extends k8s.KubernetesObject>(apiVersion: string, kind: string, name: string, namespace?: string): T | undefined };
  topics: TopicAdminPool;
  /** The pipeline's Kafka Secrets' values (SASL credentials, CA). */
  kafkaSecrets: (r: ResolvedPipeline) => Promise<SecretValue>;
  capabilities: () => Capabilities;
}

const pipelineKey = (r: ResolvedPipeline) => `${r.metadata.namespace}/${r.metadata.name}`;

/** Admin mode: the operator creates missing topics and raises partitions through Kafka. */
class AdminTopics implements TopicBackend {
  constructor(private readonly d: TopicBackendDeps) {}

  async gather(r: ResolvedPipeline, fromStatus: PartitionCounts): Promise<KafkaView> {
    let config: KafkaView['config'];
    try {
      config = kafkaConfigFor(r.kafka, await this.d.kafkaSecrets(r));
      return { existing: { ...fromStatus, ...(await this.d.topics.for(config, pipelineKey(r)).partitions(pipelineTopicNames(r))) }, config };
    } catch (err) {
      if (config) await this.d.topics.evict(config, pipelineKey(r));
      return { existing: fromStatus, error: kafkaFailure(err, r.kafka, 'cannot read topics'), cause: err };
    }
  }

  async reconcile(r: ResolvedPipeline, result: RenderResult, view: KafkaView | undefined): Promise<TopicsOutcome> {
    if (!view?.config) return { topics: [], ensured: [] };
    try {
      const topics = await this.d.topics.for(view.config, pipelineKey(r)).ensure(result.topics);
      return { topics, ensured: topics };
    } catch (err) {
      if (err instanceof InsufficientBrokersError) return { topics: [], ensured: [], error: { reason: 'InsufficientBrokers', message: err.message } };
      await this.d.topics.evict(view.config, pipelineKey(r));
      return { topics: [], ensured: [], error: { reason: 'TopicsFailed', message: `Kafka admin: ${errorMessage(err)}` } };
    }
  }
}

/** Strimzi mode: KafkaTopics are rendered and applied; their spec and status say where the topics are. */
class StrimziTopics implements TopicBackend {
  constructor(private readonly d: TopicBackendDeps) {}

  private live(r: ResolvedPipeline, t: Pick<DesiredTopic, 'topic' | 'role'>): KafkaTopicObject | undefined {
    const version = this.d.capabilities().kafkaTopicApiVersion;
    return version
      ? this.d.cache.get<KafkaTopicObject>(version, 'KafkaTopic', kafkaTopicObjectName(r.metadata.name, t.topic, t.role), r.metadata.namespace)
      : undefined;
  }

  async gather(r: ResolvedPipeline, fromStatus: PartitionCounts): Promise<KafkaView> {
    const existing = { ...fromStatus };
    for (const t of pipelineTopics(r)) {
      const partitions = this.live(r, t)?.spec?.partitions;
      if (partitions) existing[t.name] = Math.max(existing[t.name] ?? 0, partitions);
    }
    return { existing };
  }

  async reconcile(r: ResolvedPipeline, result: RenderResult): Promise<TopicsOutcome> {
    if (!this.d.capabilities().kafkaTopicApiVersion) return { topics: [], ensured: [] };
    return { topics: observeStrimziTopics(result.topics, (t) => this.live(r, t)), ensured: [] };
  }
}

/** Unmanaged mode: someone else makes the topics; they are taken as rendered. */
class UnmanagedTopics implements TopicBackend {
  async gather(_r: ResolvedPipeline, fromStatus: PartitionCounts): Promise<KafkaView> {
    return { existing: fromStatus };
  }

  async reconcile(_r: ResolvedPipeline, result: RenderResult): Promise<TopicsOutcome> {
    return {
      topics: result.topics.map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, ready: true })),
      ensured: [],
    };
  }
}

/** The backends, one per manager of the topics; `for` picks a pipeline's. */
export class TopicBackends {
  private readonly byManager: Readonly<Record<ResolvedTopicManagement['managedBy'], TopicBackend>>;
  constructor(deps: TopicBackendDeps) {
    this.byManager = { operator: new AdminTopics(deps), strimzi: new StrimziTopics(deps), outside: new UnmanagedTopics() };
  }
  for(r: ResolvedPipeline): TopicBackend {
    return this.byManager[r.kafka.topics.managedBy];
  }
}
