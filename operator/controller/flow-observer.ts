// Consumer lag and produce rate, read from Kafka at most every flow interval, in every topic
// mode: admin mode reuses the client that manages the topics; the others get a client that only
// reads offsets, with the same TLS and SASL settings. Between reads status keeps what it said;
// when Kafka refuses or cannot be reached, status keeps the last figures and Lagging turns
// Unknown saying why. Never fails the reconcile: it is information about the data, not about
// the objects. The decisions are model/kafka/flow.ts's.
import type { SyncPipeline } from '../api/v1alpha1.js';
import type { ResolvedPipeline } from '../model/resolve.js';
import { cannotConnect, decideFlow, flowDue, lagUnreadable, nextTraffic, steadyLagging, type FlowMemory, type LaggingCondition } from '../model/kafka/flow.js';
import { kafkaAccess, kafkaConfigFor, type SecretValue } from '../model/kafka/kafka-access.js';
import { layoutGroups } from '../model/kafka/layout-switch.js';
import type { ConsumerName } from '../../core/domain.js';
import { errorMessage } from '../../core/errors.js';
import type { Observation } from '../model/report/status.js';
import { flowReadFailure, type TopicAdminPool } from './topic-admin.js';
import type { KafkaView } from './topic-backends.js';

export interface FlowObserverDeps {
  topics: TopicAdminPool;
  kafkaSecrets: (r: ResolvedPipeline) => Promise<SecretValue>;
  now: () => Date;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  intervalMs: number;
  laggingAfterMs: number;
}

export type FlowObservation = Pick<Observation, 'flow' | 'lagging' | 'traffic'>;

const pipelineKey = (p: SyncPipeline) => `${p.metadata.namespace}/${p.metadata.name}`;

export class FlowObserver {
  /** Per pipeline: the last Kafka offsets read, to tell a rate and a growing lag (model/kafka/flow.ts). */
  private readonly memory = new Map<string, FlowMemory>();
  /**
   * Per Kafka cluster (its bootstrap servers): a reading that could not connect, and when. The
   * cluster's other pipelines take it as their own until the next flow interval instead of each
   * waiting for the same connection timeout: an operator with no route to a cluster (a network
   * policy dropping its packets) would otherwise spend its workers waiting, pipeline by pipeline.
   */
  private readonly unreachable = new Map<string, { at: number; error: unknown }>();

  constructor(private readonly d: FlowObserverDeps) {}

  /** A pipeline that is gone. */
  forget(key: string): void {
    this.memory.delete(key);
  }

  async observe(p: SyncPipeline, r: ResolvedPipeline, kafka: KafkaView): Promise<FlowObservation> {
    const key = pipelineKey(p);
    const memory = this.memory.get(key) ?? {};
    const now = this.d.now().getTime();
    const access = kafkaAccess(r);
    const last = p.status?.conditions?.find((x) => x.type === 'Lagging');
    const lastLagging = last && ({ status: last.status, reason: last.reason, message: last.message } as LaggingCondition);
    const keep = (lagging = lastLagging) => ({
      ...(p.status?.flow ? { flow: p.status.flow } : {}),
      ...(lagging ? { lagging } : {}),
      ...(memory.traffic?.dau === r.dau ? { traffic: { ...memory.traffic, at: now } } : {}),
    });
    if (!access.readOffsets || !flowDue(memory, now, this.d.intervalMs, last !== undefined)) return keep();
    const groups = layoutGroups(r)[r.consumerLayout];
    const groupNames: Partial<Record<ConsumerName, string>> = Object.fromEntries(groups.map((g) => [g.consumer, g.group]));
    const unreadable = (err: unknown) => {
      this.d.log('consumer lag not read', { pipeline: key, error: errorMessage(err) });
      this.memory.set(key, { ...memory, failedAt: now });
      return keep(steadyLagging(lastLagging, lagUnreadable(flowReadFailure(err, r.kafka), r.kafka.bootstrapServers, p.status?.flow?.observedAt)));
    };
    // Admin mode could not reach Kafka for the topics: the offsets are out of reach too.
    if (kafka.error) return unreadable(kafka.cause ?? new Error(kafka.error.message));
    const cluster = [...r.kafka.bootstrapServers].sort().join(',');
    const down = this.unreachable.get(cluster);
    if (down && now - down.at < this.d.intervalMs) return unreadable(down.error);
    let config = kafka.config;
    try {
      config ??= kafkaConfigFor(r.kafka, await this.d.kafkaSecrets(r));
    } catch (err) {
      return unreadable(err);
    }
    try {
      const reader = access.manageTopics ? this.d.topics.for(config, key) : this.d.topics.reader(config, key);
      const read = await reader.flow(groups);
      this.unreachable.delete(cluster);
      const decision = decideFlow({ at: now, ...read }, groupNames, p.status?.flow, memory, this.d.laggingAfterMs);
      const traffic = nextTraffic(memory.traffic, r.dau, now, decision.flow.recordsPerMinute);
      this.memory.set(key, { ...decision.memory, traffic });
      return { flow: decision.flow, lagging: decision.lagging, traffic: { ...traffic, at: now } };
    } catch (err) {
      await this.d.topics.evict(config, key); // reconnect, with fresh metadata, next time
      if (cannotConnect(flowReadFailure(err, r.kafka))) this.unreachable.set(cluster, { at: now, error: err });
      return unreadable(err);
    }
  }
}
