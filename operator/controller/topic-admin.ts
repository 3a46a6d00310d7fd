// The operator's Kafka admin clients (kafkajs). In admin topic mode they create missing topics
// and raise partition counts; they never decrease partitions (Kafka cannot) and never change
// the replication factor of an existing topic (that needs a reassignment); both are reported
// in status instead. In every mode they read consumer lag (OffsetReader: offsets only).
import { createHash } from 'node:crypto';
import type { Admin, ITopicMetadata, KafkaConfig } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { errorMessage } from '../../core/errors.js';
import { isAuditTopic } from '../../core/domain.js';
import type { ResolvedKafka } from '../model/resolve.js';
import type { DesiredTopic, PartitionCounts } from '../model/kafka/topics.js';
import type { TopicObservation } from '../model/report/status.js';
import type { FlowReadFailure, FlowSample } from '../model/kafka/flow.js';
import { kafkaFailure } from '../model/report/kafka-failure.js';
import { KafkaCredentialsError } from '../model/kafka/kafka-access.js';
import type { GroupState, LayoutGroup, OffsetCommit } from '../model/kafka/layout-switch.js';
import type { TopicOffsets } from '../model/kafka/rewind.js';

/** Kafka's UNKNOWN_TOPIC_OR_PARTITION, also once kafkajs has given up retrying it (as its cause). */
function unknownTopic(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if ((e as Error & { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
  return false;
}

/** The cluster has fewer brokers than a topic's replication factor: Kafka cannot create it. */
export class InsufficientBrokersError extends Error {
  override name = 'InsufficientBrokersError';
}

/**
 * Reads the offsets behind consumer lag and produce rate, and nothing else: Metadata (of the
 * pipeline's topics, or the list of topics when one is missing), ListOffsets, FindCoordinator
 * and OffsetFetch. What the operator uses where it does not manage the topics. (Admin clients
 * never ask Kafka to auto-create a topic their Metadata requests name.)
 */
export interface OffsetReader {
  /** Each group's uncommitted records per topic, and the sum of the topics' end offsets. Fails with a FlowReadError. */
  flow(groups: readonly GroupTopics[]): Promise<Omit<FlowSample, 'at'>>;
}

/** A reading of the offsets that failed, with the step it failed at (model/kafka/flow.ts says what status makes of it). */
export class FlowReadError extends Error {
  override name = 'FlowReadError';
  constructor(
    readonly step: FlowReadFailure['step'],
    readonly target: { topics?: readonly string[]; group?: string },
    cause: unknown,
  ) {
    super(errorMessage(cause), { cause });
  }
}

/** What a failed reading of the offsets was doing, the Kafka error names and client error classes in it, and what it says about the connection. */
export function flowReadFailure(err: unknown, k: Pick<ResolvedKafka, 'sasl' | 'tls'>): FlowReadFailure {
  const kafkaErrors = new Set<string>();
  const clientErrors = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (e: unknown): void => {
    if (!(e instanceof Error) || seen.has(e)) return;
    seen.add(e);
    const type = (e as Error & { type?: unknown }).type;
    if (typeof type === 'string') kafkaErrors.add(type);
    if (e.name.startsWith('KafkaJS')) clientErrors.add(e.name);
    walk(e.cause);
    const errors = (e as Error & { errors?: unknown }).errors; // KafkaJSAggregateError
    if (Array.isArray(errors)) for (const inner of errors) walk(inner);
  };
  walk(err);
  const base = { kafkaErrors: [...kafkaErrors], clientErrors: [...clientErrors], connection: kafkaFailure(err, k, 'cannot read consumer lag') };
  if (err instanceof FlowReadError) return { step: err.step, ...err.target, ...base, message: err.message };
  if (err instanceof KafkaCredentialsError) return { step: 'credentials', ...base, message: err.message };
  return { step: 'connect', ...base, message: errorMessage(err) };
}

export interface TopicAdmin extends OffsetReader {
  /** Partition counts of the topics that exist. */
  partitions(names: string[]): Promise<PartitionCounts>;
  ensure(topics: DesiredTopic[]): Promise<TopicObservation[]>;
  delete(names: string[]): Promise<void>;
  /** Members and committed offsets of consumer groups, on those of their topics that exist. */
  groupStates(groups: readonly Pick<GroupTopics, 'group' | 'topics'>[]): Promise<GroupState[]>;
  /** Commits offsets for groups that have no members (a group's members commit their own). */
  commitOffsets(commits: readonly OffsetCommit[]): Promise<void>;
  /** Per partition of each topic that exists, the offset of the first record at or after `ms` (the partition's end when all are older). */
  offsetsAt(topics: readonly string[], ms: number): Promise<TopicOffsets>;
  close(): Promise<void>;
}

/** A consumer group and the topics (cluster names) it reads. */
export type GroupTopics = LayoutGroup;

/** Called with the Kafka API name of every request an admin client sends (for the operator's metrics). */
export type KafkaRequestObserver = (api: string) => void;

class KafkaTopicAdmin implements TopicAdmin {
  private admin: Admin | undefined;
  constructor(
    private readonly config: KafkaConfig,
    private readonly onRequest?: KafkaRequestObserver,
  ) {}

  private async connected(): Promise<Admin> {
    if (!this.admin) {
      const admin = new Kafka(this.config).admin();
      const observe = this.onRequest;
      if (observe) admin.on(admin.events.REQUEST, (e) => observe(e.payload.apiName));
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  /**
   * Metadata of those of `names` that exist. Usually all do, and one Metadata request for just
   * these topics answers; only when one is missing is the cluster's whole topic list read (a
   * request whose answer grows with every topic of every pipeline on the cluster).
   */
  private async metadataOf(names: string[]): Promise<Map<string, ITopicMetadata>> {
    if (names.length === 0) return new Map();
    const admin = await this.connected();
    const byName = (topics: ITopicMetadata[]) => new Map(topics.map((t) => [t.name, t]));
    try {
      return byName((await admin.fetchTopicMetadata({ topics: names })).topics);
    } catch (err) {
      if (!unknownTopic(err)) throw err;
      const existing = new Set(await admin.listTopics());
      const present = names.filter((n) => existing.has(n));
      return present.length ? byName((await admin.fetchTopicMetadata({ topics: present })).topics) : new Map();
    }
  }

  async partitions(names: string[]): Promise<PartitionCounts> {
    return Object.fromEntries([...(await this.metadataOf(names))].map(([name, t]) => [name, t.partitions.length]));
  }

  async ensure(topics: DesiredTopic[]): Promise<TopicObservation[]> {
    const admin = await this.connected();
    const names = topics.map((t) => t.name);
    let meta = await this.metadataOf(names);
    const missing = topics.filter((t) => !meta.has(t.name));
    if (missing.length > 0) {
      // Kafka's own refusal (INVALID_REPLICATION_FACTOR) does not say what to change.
      const brokers = (await admin.describeCluster()).brokers.length;
      const tooWide = missing.filter((t) => t.replicationFactor > brokers);
      if (tooWide.length > 0) {
        const rf = Math.max(...tooWide.map((t) => t.replicationFactor));
        throw new InsufficientBrokersError(
          `replication factor ${rf} needs at least ${rf} brokers, the cluster has ${brokers}: add brokers or set spec.kafka.replicationFactor (topics ${tooWide.map((t) => t.name).join(', ')} not created)`,
        );
      }
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
          configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const grow = topics.filter((t) => (meta.get(t.name)?.partitions.length ?? Infinity) < t.partitions);
    if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow.map((t) => ({ topic: t.name, count: t.partitions })) });
    // Read again only what this call changed.
    if (missing.length > 0 || grow.length > 0) meta = await this.metadataOf(names);

    return topics.map((t) => {
      const m = meta.get(t.name);
      const partitions = m?.partitions.length ?? 0;
      const rf = m?.partitions[0]?.replicas.length ?? 0;
      const leaderless = m?.partitions.filter((p) => p.leader < 0).length ?? 0;
      const problems = [
        partitions < t.partitions ? `${partitions}/${t.partitions} partitions` : '',
        leaderless > 0 ? `${leaderless} partitions without a leader` : '',
        rf !== t.replicationFactor && partitions > 0 ? `replication factor ${rf}, wanted ${t.replicationFactor} (not changed automatically)` : '',
      ].filter(Boolean);
      const ready = partitions >= t.partitions && leaderless === 0;
      return { name: t.name, partitions, replicationFactor: rf, ready, ...(problems.length ? { message: problems.join(', ') } : {}) };
    });
  }

  async delete(names: string[]): Promise<void> {
    const admin = await this.connected();
    const existing = new Set(await admin.listTopics());
    const present = names.filter((n) => existing.has(n));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  }

  async flow(groups: readonly GroupTopics[]): Promise<Omit<FlowSample, 'at'>> {
    // Each step's failure says what was being read: status names the missing permission.
    const step = async <T>(name: FlowReadFailure['step'], target: { topics?: readonly string[]; group?: string }, read: () => Promise<T>): Promise<T> => {
      try {
        return await read();
      } catch (err) {
        throw new FlowReadError(name, target, err);
      }
    };
    const admin = await step('connect', {}, () => this.connected());
    // Reading the metadata first also refreshes the leaders: a client that saw these topics
    // before they were re-created (or their partitions raised) would ask the wrong broker.
    const wanted = [...new Set(groups.flatMap((g) => g.topics))];
    const topics = [...(await step('topics', { topics: wanted }, () => this.metadataOf(wanted))).keys()];
    // One topic at a time: kafkajs's admin answers concurrent fetchTopicOffsets calls with
    // "not the leader" (they race on its metadata refresh).
    const ends = new Map<string, Map<number, { high: number; low: number }>>();
    for (const t of topics) {
      const offsets = await step('end-offsets', { topics: [t] }, () => admin.fetchTopicOffsets(t));
      ends.set(t, new Map(offsets.map((o) => [o.partition, { high: Number(o.high), low: Number(o.low) }])));
    }
    const lag: FlowSample['lag'] = {};
    for (const g of groups) {
      const present = g.topics.filter((t) => ends.has(t));
      if (present.length === 0) continue;
      const committed = await step('committed', { group: g.group, topics: present }, () => admin.fetchOffsets({ groupId: g.group, topics: present }));
      lag[g.consumer] = Object.fromEntries(
        committed.map((c) => {
          const end = ends.get(c.topic)!;
          // No commit yet: the group starts from the beginning, so everything still there is behind.
          const behind = c.partitions.reduce((n, p) => {
            const e = end.get(p.partition);
            if (!e) return n;
            const at = Number(p.offset);
            return n + Math.max(0, e.high - (at >= 0 ? at : e.low));
          }, 0);
          return [c.topic, behind];
        }),
      );
    }
    // The produce rate is the data's: audit rows follow the requests and would count them twice.
    const produced = [...ends].filter(([t]) => !isAuditTopic(t)).reduce((n, [, parts]) => n + [...parts.values()].reduce((a, p) => a + p.high, 0), 0);
    return { lag, produced };
  }

  async groupStates(groups: readonly Pick<GroupTopics, 'group' | 'topics'>[]): Promise<GroupState[]> {
    const admin = await this.connected();
    const existing = new Set((await this.metadataOf([...new Set(groups.flatMap((g) => g.topics))])).keys());
    const described = new Map((await admin.describeGroups(groups.map((g) => g.group))).groups.map((d) => [d.groupId, d.members.length]));
    const states: GroupState[] = [];
    for (const g of groups) {
      const topics = g.topics.filter((t) => existing.has(t));
      const committed = topics.length > 0 ? await admin.fetchOffsets({ groupId: g.group, topics }) : [];
      states.push({
        group: g.group,
        members: described.get(g.group) ?? 0,
        committed: Object.fromEntries(
          committed.map((c) => [c.topic, Object.fromEntries(c.partitions.filter((p) => Number(p.offset) >= 0).map((p) => [p.partition, Number(p.offset)]))]),
        ),
      });
    }
    return states;
  }

  async commitOffsets(commits: readonly OffsetCommit[]): Promise<void> {
    const admin = await this.connected();
    for (const c of commits)
      await admin.setOffsets({ groupId: c.group, topic: c.topic, partitions: c.partitions.map((p) => ({ partition: p.partition, offset: String(p.offset) })) });
  }

  async offsetsAt(topics: readonly string[], ms: number): Promise<TopicOffsets> {
    const admin = await this.connected();
    const existing = [...(await this.metadataOf([...topics])).keys()];
    const out: Record<string, Record<number, number>> = {};
    // One topic at a time, as in flow(): concurrent offset requests race on the metadata.
    for (const t of existing) {
      const offsets = await admin.fetchTopicOffsetsByTimestamp(t, ms);
      out[t] = Object.fromEntries(offsets.map((o) => [o.partition, Number(o.offset)]));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }
}

/** A digest of the cluster configuration (the SASL password and CA are not kept as Map keys), per pipeline. */
function poolKey(config: KafkaConfig, pipeline: string): string {
  return `${pipeline}#${createHash('sha256')
    .update(JSON.stringify([config.brokers, config.ssl, config.sasl]))
    .digest('hex')}`;
}

/**
 * One admin client per pipeline (and cluster configuration), reused across its reconciles.
 * Not one per cluster: a kafkajs client refreshes the metadata of every topic it has ever
 * read offsets of, on each new topic and whenever it is stale, so a client shared by 300
 * pipelines fetched the metadata of all their topics again and again (46,000 Metadata requests
 * while 300 pipelines took their first readings, against a few hundred with one each).
 */
export class TopicAdminPool {
  private readonly admins = new Map<string, TopicAdmin>();
  constructor(private readonly factory: (config: KafkaConfig) => TopicAdmin) {}

  /** Admin clients of real Kafka clusters, each request reported to `onRequest`. */
  static forKafka(onRequest?: KafkaRequestObserver): TopicAdminPool {
    return new TopicAdminPool((c) => new KafkaTopicAdmin(c, onRequest));
  }

  /** The same client, typed to read offsets only: where the pipeline's topics are not the operator's to manage. */
  reader(config: KafkaConfig, pipeline: string): OffsetReader {
    return this.for(config, pipeline);
  }

  /** The admin client of `pipeline` (namespace/name) on the cluster `config` names. */
  for(config: KafkaConfig, pipeline: string): TopicAdmin {
    const key = poolKey(config, pipeline);
    let admin = this.admins.get(key);
    if (!admin) {
      admin = this.factory(config);
      this.admins.set(key, admin);
    }
    return admin;
  }

  /** Drops a client after a failure, so the next reconcile reconnects. */
  async evict(config: KafkaConfig, pipeline: string): Promise<void> {
    const key = poolKey(config, pipeline);
    await this.admins.get(key)?.close();
    this.admins.delete(key);
  }

  /** Closes the clients of a pipeline that is gone. */
  async release(pipeline: string): Promise<void> {
    for (const [key, admin] of this.admins) {
      if (!key.startsWith(`${pipeline}#`)) continue;
      this.admins.delete(key);
      await admin.close();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.admins.values()].map((a) => a.close()));
    this.admins.clear();
  }
}
