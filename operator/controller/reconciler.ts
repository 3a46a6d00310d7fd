// One reconcile of one pipeline: gather (caches, Kafka), decide (the pure model: render,
// status, events), act (apply what differs, prune what is no longer wanted, write status only
// if it changed). The I/O comes in through ReconcilerDeps, so tests can hand in fakes.
import type * as k8s from '@kubernetes/client-node';
import type { SyncPipeline, SyncPipelineStatus } from '../api/v1alpha1.js';
import type { Capabilities } from '../model/autoscaling.js';
import { consumerLayout, topicMode } from '../model/defaults.js';
import { eventsFor, type PipelineEvent } from '../model/events.js';
import { KINDS_GATED_BY_MIGRATION } from '../model/maintenance.js';
import { componentLabel, deploymentName, PAUSED_ANNOTATION, kafkaTopicObjectName, partitionsCronJobName } from '../model/naming.js';
import { configHash } from '../model/references.js';
import { render, type RenderResult } from '../model/render.js';
import { pipelineTopicNames, pipelineTopics, type DesiredTopic, type PartitionCounts } from '../model/topics.js';
import { ALL_CONSUMERS, consumersOf, type ComponentName, type ConsumerLayout, type ConsumerName } from '../../core/domain.js';
import { handOver, heldLayout, layoutGroups, switchStep, type LiveConsumers } from '../model/layout-switch.js';
import { cannotConnect, decideFlow, flowDue, lagUnreadable, nextTraffic, steadyLagging, type FlowMemory, type LaggingCondition } from '../model/flow.js';
import { kafkaAccess } from '../model/kafka-access.js';
import { findConflict, type KafkaConflict } from '../model/conflicts.js';
import { kafkaFailure } from '../model/kafka-failure.js';
import { ownedKinds, type KindInfo } from '../model/owned-kinds.js';
import { apiErrorMessage, describeRef, refOf, type ObjectRef } from './cluster.js';
import { contentHash, needsApply, withAppliedHash } from './diff.js';
import {
  buildStatus,
  observeCronJob,
  observeDeployment,
  observeMigration,
  observeStrimziTopics,
  type DeploymentObservation,
  type KafkaTopicObject,
  type MigrationObservation,
  type Observation,
  type TopicObservation,
} from './status.js';
import { flowReadFailure, InsufficientBrokersError, type TopicAdmin, type TopicAdminPool } from './topic-admin.js';
import { kafkaConfigFor } from '../model/kafka-access.js';
import { rewindStep } from './rewind-step.js';
import type { SecretSource } from './secret-reader.js';
import type { WorkResult } from './work-queue.js';
import { errorMessage } from '../../core/errors.js';

/** Admin-mode topics whose deletion the user asked for are cleaned up through this finalizer. */
const TOPICS_FINALIZER = 'mobileforge.credeau.com/delete-topics';

/** What the reconciler reads: the watch caches (ClusterCache), never the API server directly. */
export interface ReconcilerCache {
  pipeline(namespace: string, name: string): SyncPipeline | undefined;
  /** Every pipeline the operator watches: another one may already hold a topic or group. */
  pipelines(): SyncPipeline[];
  get<T extends k8s.KubernetesObject>(apiVersion: string, kind: string, name: string, namespace?: string): T | undefined;
  list<T extends k8s.KubernetesObject>(apiVersion: string, kind: string, namespace?: string): T[];
  /** Secrets and ConfigMaps with digests in place of their values. */
  secret(namespace: string, name: string): k8s.V1Secret | undefined;
  configMap(namespace: string, name: string): k8s.V1ConfigMap | undefined;
}

/** What the reconciler writes (ClusterClient). */
export interface ReconcilerWriter {
  apply<T extends k8s.KubernetesObject>(obj: T): Promise<T>;
  delete(ref: ObjectRef): Promise<void>;
  writeStatus(p: SyncPipeline, status: SyncPipelineStatus): Promise<void>;
  setFinalizers(p: SyncPipeline, finalizers: string[]): Promise<void>;
  recordEvent(p: SyncPipeline, e: PipelineEvent): Promise<void>;
}

export interface ReconcilerDeps {
  cache: ReconcilerCache;
  client: ReconcilerWriter;
  topics: TopicAdminPool;
  /** Secret values, for the Kafka admin client only (the cache holds digests). */
  secrets: SecretSource;
  capabilities: () => Capabilities;
  now?: () => Date;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** How soon to look again while topics or pods are not ready. */
  pendingRequeueMs?: number;
  /** How often to read consumer lag and produce rate from Kafka, in every topic mode (0: never). Default 30 s. */
  flowIntervalMs?: number;
  /** Lag growing for this long sets Lagging=True. Default 5 minutes. */
  laggingAfterMs?: number;
}

type ReconcileFailure = NonNullable<Observation['error']>;

/** What the gather step learnt from Kafka (admin mode) or the KafkaTopics (Strimzi mode). */
interface KafkaView {
  /** Partitions the topics already have: never ask for fewer. */
  existing: PartitionCounts;
  /** The admin client's configuration, when admin mode could read the topics. */
  config?: ReturnType<typeof kafkaConfigFor>;
  error?: ReconcileFailure;
  /** What failed when admin mode could not read the topics (the lag cannot be read either). */
  cause?: unknown;
}

interface ApplyOutcome {
  wanted: Set<string>;
  created: string[];
  updated: string[];
  failures: string[];
}

interface TopicsOutcome {
  topics: TopicObservation[];
  /** Admin mode only: what was ensured through Kafka this time. */
  ensured: TopicObservation[];
  error?: ReconcileFailure;
}

function isPaused(p: SyncPipeline): boolean {
  return p.spec.paused === true || p.metadata.annotations?.[PAUSED_ANNOTATION] === 'true';
}

const pipelineKey = (p: SyncPipeline) => `${p.metadata.namespace}/${p.metadata.name}`;

const kindName = (ref: ObjectRef) => `${ref.kind}/${ref.name}`;

export class Reconciler {
  /** Per pipeline: the last Kafka offsets read, to tell a rate and a growing lag (model/flow.ts). */
  private readonly flowMemory = new Map<string, FlowMemory>();
  /**
   * Per Kafka cluster (its bootstrap servers): a reading that could not connect, and when. The
   * cluster's other pipelines take it as their own until the next flow interval instead of each
   * waiting for the same connection timeout: an operator with no route to a cluster (a network
   * policy dropping its packets) would otherwise spend its workers waiting, pipeline by pipeline.
   */
  private readonly unreachable = new Map<string, { at: number; error: unknown }>();
  private readonly now: () => Date;
  private readonly log: (msg: string, fields?: Record<string, unknown>) => void;

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.log = deps.log ?? (() => undefined);
  }

  async reconcile(namespace: string, name: string): Promise<WorkResult> {
    const p = this.deps.cache.pipeline(namespace, name);
    if (!p) {
      this.flowMemory.delete(`${namespace}/${name}`);
      await this.deps.topics.release(`${namespace}/${name}`);
      return {}; // deleted: children go with it through their owner references
    }
    if (p.metadata.deletionTimestamp) return this.finalize(p);
    const caps = this.deps.capabilities();
    if (isPaused(p)) return this.recordPaused(p, caps);
    const conflict = findConflict(p, this.deps.cache.pipelines());
    if (conflict) return this.recordConflict(p, caps, conflict);
    await this.ensureFinalizer(p);

    // Gather.
    const kafka = await this.gatherKafka(p, caps);
    // Decide.
    const result = render(p, { capabilities: caps, existingPartitions: kafka.existing, configHash: this.configHashOf(p) });
    const migration = observeMigration(result.migrationJob, this.deps.cache.get<k8s.V1Job>('batch/v1', 'Job', result.migrationJob, namespace));
    // A switch of consumer layout holds the new consumers back until the old ones have stopped
    // and their offsets are handed over (model/layout-switch.ts).
    const layout = await this.consumerLayoutStep(p);
    // A rewind asked for by annotation holds its consumer back the same way (model/rewind.ts).
    const rewind = await rewindStep(p, {
      layout: { holding: layout.holding, switching: layout.waiting !== undefined },
      live: this.liveConsumers(p),
      ...this.kafkaAdmin(p),
      recordEvents: (events) => this.recordEvents(p, events),
      now: this.now(),
    });
    const held = new Set([...layout.hold, ...rewind.hold].map(componentLabel));
    const objects = result.objects.filter((o) => !held.has(o.metadata?.labels?.['app.kubernetes.io/component'] ?? ''));
    // Act. Workloads roll out only once the migration Job of this spec has succeeded; until
    // then what runs keeps running as it is (wanted, so not pruned, but not updated).
    const applied = await this.applyChildren(objects, migration.phase === 'Succeeded');
    const pruned = await this.pruneUnwanted(p, caps, applied.wanted);
    const applyError: ReconcileFailure | undefined = applied.failures[0] ? { reason: 'ApplyFailed', message: applied.failures[0] } : undefined;
    const topics = await this.reconcileTopics(p, result, caps, (kafka.error ?? applyError) ? undefined : kafka.config);
    const error = kafka.error ?? applyError ?? topics.error;
    const flow = await this.observeFlow(p, kafka);

    const consumerLayoutObservation = { holding: layout.holding, ...(layout.waiting ? { waiting: layout.waiting } : {}) };
    const status = buildStatus(
      {
        ...this.observe(p, result, migration, topics.topics, applied, pruned, error),
        ...flow,
        consumerLayout: consumerLayoutObservation,
        ...(rewind.status ? { rewind: rewind.status } : {}),
      },
      p.status,
      this.now().toISOString(),
    );
    await this.writeStatusIfChanged(p, status);
    await this.recordEvents(
      p,
      eventsFor(p.status, {
        created: applied.created,
        updated: applied.updated,
        pruned: pruned.deleted,
        applyFailures: applied.failures,
        pruneFailures: pruned.failures,
        ensuredTopics: topics.ensured,
        ...(topics.error ? { topicsFailed: topics.error } : {}),
        ...(kafka.error ? { kafkaFailed: kafka.error } : {}),
        ...(result.topicsBlocked ? { topicsBlocked: result.topicsBlocked } : {}),
        ...(result.engineFallback ? { engineFallback: result.engineFallback } : {}),
        migration,
      }),
    );

    if (error) throw new ReconcileError(error.message);
    const ready = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    // Look again: soon while not Ready; at the flow interval to keep lag current.
    const flowMs = kafkaAccess(p.spec).readOffsets && this.flowIntervalMs() > 0 ? this.flowIntervalMs() : undefined;
    const pendingMs = ready ? undefined : (this.deps.pendingRequeueMs ?? 10_000);
    const again = Math.min(flowMs ?? Infinity, pendingMs ?? Infinity);
    return Number.isFinite(again) ? { requeueAfterMs: again } : {};
  }

  private flowIntervalMs(): number {
    return this.deps.flowIntervalMs ?? 30_000;
  }

  /**
   * Consumer lag and produce rate, read from Kafka at most every flowIntervalMs, in every topic
   * mode: admin mode reuses the client that manages the topics; the others get a client that
   * only reads offsets, with the same TLS and SASL settings. Between reads status keeps what it
   * said; when Kafka refuses or cannot be reached, status keeps the last figures and Lagging
   * turns Unknown saying why. Never fails the reconcile: it is information about the data, not
   * about the objects.
   */
  private async observeFlow(p: SyncPipeline, kafka: KafkaView): Promise<Pick<Observation, 'flow' | 'lagging' | 'traffic'>> {
    const key = pipelineKey(p);
    const memory = this.flowMemory.get(key) ?? {};
    const now = this.now().getTime();
    const access = kafkaAccess(p.spec);
    const last = p.status?.conditions?.find((x) => x.type === 'Lagging');
    const lastLagging = last && ({ status: last.status, reason: last.reason, message: last.message } as LaggingCondition);
    const keep = (lagging = lastLagging) => ({
      ...(p.status?.flow ? { flow: p.status.flow } : {}),
      ...(lagging ? { lagging } : {}),
      ...(memory.traffic?.dau === p.spec.dau ? { traffic: { ...memory.traffic, at: now } } : {}),
    });
    if (!access.readOffsets || !flowDue(memory, now, this.flowIntervalMs())) return keep();
    const groups = layoutGroups(p.spec)[consumerLayout(p.spec)];
    const groupNames: Partial<Record<ConsumerName, string>> = Object.fromEntries(groups.map((g) => [g.consumer, g.group]));
    const unreadable = (err: unknown) => {
      this.log('consumer lag not read', { pipeline: key, error: errorMessage(err) });
      this.flowMemory.set(key, { ...memory, failedAt: now });
      return keep(steadyLagging(lastLagging, lagUnreadable(flowReadFailure(err, p.spec), p.spec.kafka.bootstrapServers, p.status?.flow?.observedAt)));
    };
    // Admin mode could not reach Kafka for the topics: the offsets are out of reach too.
    if (kafka.error) return unreadable(kafka.cause ?? new Error(kafka.error.message));
    const cluster = [...p.spec.kafka.bootstrapServers].sort().join(',');
    const down = this.unreachable.get(cluster);
    if (down && now - down.at < this.flowIntervalMs()) return unreadable(down.error);
    let config = kafka.config;
    try {
      config ??= kafkaConfigFor(p.spec, await this.kafkaSecrets(p));
    } catch (err) {
      return unreadable(err);
    }
    try {
      const reader = access.manageTopics ? this.deps.topics.for(config, key) : this.deps.topics.reader(config, key);
      const read = await reader.flow(groups);
      this.unreachable.delete(cluster);
      const decision = decideFlow({ at: now, ...read }, groupNames, p.status?.flow, memory, this.deps.laggingAfterMs ?? 300_000);
      const traffic = nextTraffic(memory.traffic, p.spec.dau, now, decision.flow.recordsPerMinute);
      this.flowMemory.set(key, { ...decision.memory, traffic });
      return { flow: decision.flow, lagging: decision.lagging, traffic: { ...traffic, at: now } };
    } catch (err) {
      await this.deps.topics.evict(config, key); // reconnect, with fresh metadata, next time
      if (cannotConnect(flowReadFailure(err, p.spec))) this.unreachable.set(cluster, { at: now, error: err });
      return unreadable(err);
    }
  }

  /**
   * Another pipeline holds some of this one's topics or consumer groups: apply nothing (what
   * already runs keeps running as it is, on the names it had) and say why in status, once.
   */
  private async recordConflict(p: SyncPipeline, caps: Capabilities, conflict: KafkaConflict): Promise<WorkResult> {
    const result = render(p, { capabilities: caps, configHash: this.configHashOf(p) });
    const migration = observeMigration(result.migrationJob, this.deps.cache.get<k8s.V1Job>('batch/v1', 'Job', result.migrationJob, p.metadata.namespace));
    const error = { reason: 'Conflict', message: conflict.message };
    const nothing: ApplyOutcome = { wanted: new Set(), created: [], updated: [], failures: [] };
    const status = buildStatus(this.observe(p, result, migration, [], nothing, { deleted: [] }, error), p.status, this.now().toISOString());
    await this.writeStatusIfChanged(p, status);
    const wasConflict = p.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === 'Conflict') ?? false;
    if (!wasConflict) await this.recordEvents(p, [{ type: 'Warning', reason: 'Conflict', message: conflict.message }]);
    // The manager re-queues waiting pipelines when another pipeline changes or goes away.
    return {};
  }

  /** Paused means no writes at all: only the first reconcile after pausing records it. */
  private async recordPaused(p: SyncPipeline, caps: Capabilities): Promise<WorkResult> {
    if (p.status?.conditions?.some((c) => c.type === 'Paused' && c.status === 'True')) return {};
    const result = render(p, { capabilities: caps });
    const observation: Observation = {
      generation: p.metadata.generation ?? 0,
      paused: true,
      render: result,
      deployments: {},
      topics: [],
      topicMode: topicMode(p.spec),
      migration: observeMigration(result.migrationJob, undefined),
      changed: false,
    };
    await this.writeStatusIfChanged(p, buildStatus(observation, p.status, this.now().toISOString()));
    return {};
  }

  /** The topics' current partition counts, from Kafka (admin mode) or the KafkaTopics (Strimzi). */
  private async gatherKafka(p: SyncPipeline, caps: Capabilities): Promise<KafkaView> {
    const existing = this.partitionsFromStatus(p);
    if (kafkaAccess(p.spec).manageTopics) {
      let config: KafkaView['config'];
      try {
        config = kafkaConfigFor(p.spec, await this.kafkaSecrets(p));
        return { existing: { ...existing, ...(await this.deps.topics.for(config, pipelineKey(p)).partitions(pipelineTopicNames(p.spec))) }, config };
      } catch (err) {
        if (config) await this.deps.topics.evict(config, pipelineKey(p));
        return { existing, error: kafkaFailure(err, p.spec, 'cannot read topics'), cause: err };
      }
    }
    if (topicMode(p.spec) === 'strimzi' && caps.kafkaTopicApiVersion) {
      for (const t of pipelineTopics(p.spec)) {
        const kt = this.deps.cache.get<KafkaTopicObject>(
          caps.kafkaTopicApiVersion,
          'KafkaTopic',
          kafkaTopicObjectName(p.metadata.name, t.topic, t.role),
          p.metadata.namespace,
        );
        if (kt?.spec?.partitions) existing[t.name] = Math.max(existing[t.name] ?? 0, kt.spec.partitions);
      }
    }
    return { existing };
  }

  /**
   * Where a switch of consumer layout stands, and the consumers to hold back for it. At the
   * hand-over step it reads the groups from Kafka and commits the new groups' offsets.
   */
  private async consumerLayoutStep(p: SyncPipeline): Promise<{ holding: ConsumerLayout; waiting?: string; hold: ConsumerName[] }> {
    const wanted = consumerLayout(p.spec);
    const live = this.liveConsumers(p);
    const from = heldLayout(p.status?.consumerLayout, live, wanted);
    const step = switchStep(from, wanted, live);
    const hold = [...consumersOf(wanted)];
    if (step.step === 'none' || step.step === 'done') return { holding: wanted, hold: [] };
    if (step.step === 'stop') return { holding: from, waiting: step.waiting, hold };
    let config: ReturnType<typeof kafkaConfigFor> | undefined;
    try {
      config = kafkaConfigFor(p.spec, await this.kafkaSecrets(p));
      const admin = this.deps.topics.for(config, pipelineKey(p));
      const groups = layoutGroups(p.spec);
      const decision = handOver(groups[from], groups[wanted], await admin.groupStates([...groups.split, ...groups.single]));
      if ('waiting' in decision) return { holding: from, waiting: decision.waiting, hold };
      await admin.commitOffsets(decision.commits);
      const partitions = decision.commits.reduce((n, c) => n + c.partitions.length, 0);
      await this.recordEvents(p, [
        {
          type: 'Normal',
          reason: 'ConsumerLayoutSwitched',
          message: `consumer layout ${from} -> ${wanted}: committed offsets handed over on ${partitions} partitions (${groups[wanted].map((g) => g.group).join(', ')}); starting the ${wanted} consumers`,
        },
      ]);
      return { holding: wanted, hold: [] };
    } catch (err) {
      if (config) await this.deps.topics.evict(config, pipelineKey(p));
      return {
        holding: from,
        waiting: `switching the consumer layout from ${from} to ${wanted}: cannot hand the committed offsets over: ${errorMessage(err)}`,
        hold,
      };
    }
  }

  /** The pipeline's Kafka admin client, made on first use, and how to drop it after a failure. */
  private kafkaAdmin(p: SyncPipeline): { admin: () => Promise<TopicAdmin>; evict: () => Promise<void> } {
    let config: ReturnType<typeof kafkaConfigFor> | undefined;
    return {
      admin: async () => {
        config ??= kafkaConfigFor(p.spec, await this.kafkaSecrets(p));
        return this.deps.topics.for(config, pipelineKey(p));
      },
      evict: async () => {
        if (config) await this.deps.topics.evict(config, pipelineKey(p));
      },
    };
  }

  /** The pipeline's pods (by its instance label), from the cache. */
  private podsOf(p: SyncPipeline): k8s.V1Pod[] {
    return this.deps.cache
      .list<k8s.V1Pod>('v1', 'Pod', p.metadata.namespace)
      .filter((pod) => pod.metadata?.labels?.['app.kubernetes.io/instance'] === p.metadata.name);
  }

  /** Consumers of either layout that have a Deployment or pods of this pipeline. */
  private liveConsumers(p: SyncPipeline): LiveConsumers {
    const { namespace, name } = p.metadata;
    const podComponents = new Set(this.podsOf(p).map((pod) => pod.metadata?.labels?.['app.kubernetes.io/component']));
    return {
      deployments: ALL_CONSUMERS.filter((c) => this.deps.cache.get<k8s.V1Deployment>('apps/v1', 'Deployment', deploymentName(name!, c), namespace)),
      pods: ALL_CONSUMERS.filter((c) => podComponents.has(componentLabel(c))),
    };
  }

  /** Applies, in parallel, every rendered object that differs from the cache (the objects do not
   * depend on each other at admission: an HPA may name a Deployment that does not exist yet). */
  private async applyChildren(objects: k8s.KubernetesObject[], migrated: boolean): Promise<ApplyOutcome> {
    const wanted = new Set<string>();
    const applies = objects
      .map((obj) => {
        const desired = withAppliedHash(obj);
        const ref = refOf(desired);
        wanted.add(kindName(ref));
        return { desired, ref, live: this.deps.cache.get(ref.apiVersion, ref.kind, ref.name, ref.namespace) };
      })
      .filter((a) => (migrated || !KINDS_GATED_BY_MIGRATION.has(a.ref.kind)) && needsApply(a.desired, a.live));
    const outcomes = await Promise.allSettled(applies.map((a) => this.deps.client.apply(a.desired)));
    const out: ApplyOutcome = { wanted, created: [], updated: [], failures: [] };
    outcomes.forEach((o, i) => {
      const a = applies[i]!;
      if (o.status === 'fulfilled') (a.live ? out.updated : out.created).push(kindName(a.ref));
      else out.failures.push(`${describeRef(a.ref)}: ${apiErrorMessage(o.reason)}`);
    });
    return out;
  }

  /** Deletes objects of ours this pipeline no longer wants (e.g. India drops contacts/call logs). */
  private async pruneUnwanted(p: SyncPipeline, caps: Capabilities, wanted: Set<string>): Promise<{ deleted: string[]; failures: string[] }> {
    const deleted: string[] = [];
    const failures: string[] = [];
    for (const kind of ownedKinds(caps)) {
      for (const o of this.ownedBy(p, kind)) {
        const ref = refOf({ ...o, apiVersion: kind.apiVersion, kind: kind.kind });
        if (wanted.has(kindName(ref))) continue;
        try {
          await this.deps.client.delete(ref);
          deleted.push(kindName(ref));
        } catch (err) {
          failures.push(`${describeRef(ref)}: ${apiErrorMessage(err)}`);
        }
      }
    }
    return { deleted, failures };
  }

  /** Topics: created or raised through Kafka in admin mode (when `config` is given: gatherKafka
   * makes one only where kafkaAccess allows managing topics), read from KafkaTopic status in
   * Strimzi mode, taken as rendered when unmanaged. */
  private async reconcileTopics(p: SyncPipeline, result: RenderResult, caps: Capabilities, config: KafkaView['config']): Promise<TopicsOutcome> {
    switch (topicMode(p.spec)) {
      case 'admin': {
        if (!config) return { topics: [], ensured: [] };
        try {
          const topics = await this.deps.topics.for(config, pipelineKey(p)).ensure(result.topics);
          return { topics, ensured: topics };
        } catch (err) {
          if (err instanceof InsufficientBrokersError) return { topics: [], ensured: [], error: { reason: 'InsufficientBrokers', message: err.message } };
          await this.deps.topics.evict(config, pipelineKey(p));
          return { topics: [], ensured: [], error: { reason: 'TopicsFailed', message: `Kafka admin: ${errorMessage(err)}` } };
        }
      }
      case 'strimzi': {
        const version = caps.kafkaTopicApiVersion;
        const live = (t: DesiredTopic) =>
          version
            ? this.deps.cache.get<KafkaTopicObject>(version, 'KafkaTopic', kafkaTopicObjectName(p.metadata.name, t.topic, t.role), p.metadata.namespace)
            : undefined;
        return { topics: version ? observeStrimziTopics(result.topics, live) : [], ensured: [] };
      }
      case 'unmanaged':
        return {
          topics: result.topics.map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, ready: true })),
          ensured: [],
        };
    }
  }

  private observe(
    p: SyncPipeline,
    result: RenderResult,
    migration: MigrationObservation,
    topics: TopicObservation[],
    applied: ApplyOutcome,
    pruned: { deleted: string[] },
    error: ReconcileFailure | undefined,
  ): Observation {
    const { namespace, name } = p.metadata;
    const pods = this.podsOf(p);
    const podsOf = (c: ComponentName) => pods.filter((pod) => pod.metadata?.labels?.['app.kubernetes.io/component'] === componentLabel(c));
    const deployments = Object.fromEntries(
      (Object.keys(result.components) as ComponentName[]).map((c) => [
        c,
        observeDeployment(this.deps.cache.get<k8s.V1Deployment>('apps/v1', 'Deployment', deploymentName(name, c), namespace), podsOf(c)),
      ]),
    ) as Partial<Record<ComponentName, DeploymentObservation>>;
    const cronJob = partitionsCronJobName(name);
    const partitionMaintenance = observeCronJob(cronJob, this.deps.cache.get<k8s.V1CronJob>('batch/v1', 'CronJob', cronJob, namespace));
    return {
      generation: p.metadata.generation ?? 0,
      paused: false,
      render: result,
      deployments,
      topics,
      topicMode: topicMode(p.spec),
      migration,
      ...(partitionMaintenance ? { partitionMaintenance } : {}),
      changed: applied.created.length + applied.updated.length + pruned.deleted.length > 0,
      ...(error ? { error } : {}),
    };
  }

  private async recordEvents(p: SyncPipeline, events: PipelineEvent[]): Promise<void> {
    for (const e of events) await this.deps.client.recordEvent(p, e).catch((err: unknown) => this.log('event not recorded', { error: apiErrorMessage(err) }));
  }

  private partitionsFromStatus(p: SyncPipeline): PartitionCounts {
    return Object.fromEntries((p.status?.topics ?? []).filter((t) => t.partitions > 0).map((t) => [t.name, t.partitions]));
  }

  /** The Kafka Secrets' values (SASL credentials, CA), read on demand: the cache holds digests. */
  private async kafkaSecrets(p: SyncPipeline): Promise<(name: string, key: string) => string | undefined> {
    const k = p.spec.kafka;
    const names = [k.sasl?.credentialsSecretRef.name, k.tls?.enabled ? k.tls.caSecretRef?.name : undefined].filter((n): n is string => Boolean(n));
    const values = new Map(await Promise.all(names.map(async (n) => [n, await this.deps.secrets.values(p.metadata.namespace!, n)] as const)));
    return (name, key) => values.get(name)?.[key];
  }

  /** The rolling-restart hash over the referenced Secrets' and ConfigMaps' digests. */
  private configHashOf(p: SyncPipeline): string {
    const ns = p.metadata.namespace!;
    return configHash(
      p.spec,
      (n) => this.deps.cache.secret(ns, n)?.data,
      (n) => {
        const cm = this.deps.cache.configMap(ns, n);
        return cm ? { ...cm.binaryData, ...cm.data } : undefined;
      },
    );
  }

  /** Children of a kind that this pipeline owns (label-selected, then owner-checked). */
  private ownedBy(p: SyncPipeline, kind: KindInfo): k8s.KubernetesObject[] {
    return this.deps.cache.list(kind.apiVersion, kind.kind, p.metadata.namespace).filter((o) => {
      if (o.metadata?.labels?.['app.kubernetes.io/instance'] !== p.metadata.name) return false;
      const owners = o.metadata?.ownerReferences ?? [];
      // KafkaTopics kept on deletion carry no owner reference; the labels identify them.
      return owners.some((r) => r.uid === p.metadata.uid) || (kind.kind === 'KafkaTopic' && owners.length === 0);
    });
  }

  private async writeStatusIfChanged(p: SyncPipeline, status: SyncPipelineStatus): Promise<void> {
    // Key order differs between what we build and what the API server returns: compare content.
    if (contentHash(status) === contentHash(p.status ?? {})) return;
    await this.deps.client.writeStatus(p, status);
  }

  private wantsTopicFinalizer(p: SyncPipeline): boolean {
    return kafkaAccess(p.spec).manageTopics && p.spec.kafka.topicManagement?.deleteTopicsOnDeletion === true;
  }

  private async ensureFinalizer(p: SyncPipeline): Promise<void> {
    const has = p.metadata.finalizers?.includes(TOPICS_FINALIZER) ?? false;
    const wants = this.wantsTopicFinalizer(p);
    if (has === wants) return;
    const others = (p.metadata.finalizers ?? []).filter((f) => f !== TOPICS_FINALIZER);
    await this.deps.client.setFinalizers(p, wants ? [...others, TOPICS_FINALIZER] : others);
  }

  /**
   * The pipeline is being deleted: delete its admin-mode topics if asked, then let it go. The
   * spec as it is now decides: a pipeline moved to another topic mode (or no longer asking)
   * just before its deletion keeps its topics.
   */
  private async finalize(p: SyncPipeline): Promise<WorkResult> {
    if (!p.metadata.finalizers?.includes(TOPICS_FINALIZER)) return {};
    if (this.wantsTopicFinalizer(p)) {
      const config = kafkaConfigFor(p.spec, await this.kafkaSecrets(p));
      // Never a topic another pipeline holds (this one may have come to share it since).
      const held = new Set(findConflict(p, this.deps.cache.pipelines())?.topics ?? []);
      const names = render(p, { capabilities: this.deps.capabilities() })
        .topics.map((t) => t.name)
        .filter((n) => !held.has(n));
      await this.deps.topics.for(config, pipelineKey(p)).delete(names);
      await this.deps.client
        .recordEvent(p, { type: 'Normal', reason: 'TopicsDeleted', message: `deleted topics ${names.join(', ')} as deleteTopicsOnDeletion asked` })
        .catch(() => undefined);
    }
    await this.deps.client.setFinalizers(
      p,
      (p.metadata.finalizers ?? []).filter((f) => f !== TOPICS_FINALIZER),
    );
    return {};
  }
}

class ReconcileError extends Error {
  override name = 'ReconcileError';
}
