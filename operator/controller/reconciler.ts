// One reconcile of one pipeline, as a chain of named steps: gather (the topics' partitions, the
// consumers held back by a layout switch or a rewind), decide (the pure model: render, status,
// events), act (apply what differs, prune what is no longer wanted, the topics as their mode
// has them, status only if it changed). Each step's I/O lives in a module of its own; the I/O
// comes in through ReconcilerDeps, so tests can hand in fakes.
import type * as k8s from '@kubernetes/client-node';
import type { SyncPipeline, SyncPipelineStatus } from '../api/v1alpha1.js';
import type { Capabilities } from '../model/objects/autoscaling.js';
import { eventsFor, type PipelineEvent } from '../model/report/events.js';
import { configHashOf } from './config-hash.js';
import type { ReconcilerDeps } from './reconciler-deps.js';
import { renderResolved, type RenderResult } from '../model/render.js';
import { resolve, type ResolvedPipeline } from '../model/resolve.js';
import type { PartitionCounts } from '../model/kafka/topics.js';
import { kafkaAccess } from '../model/kafka/kafka-access.js';
import { findConflict, type KafkaConflict } from '../model/kafka/conflicts.js';
import { apiErrorMessage } from '../../core/errors.js';
import { contentHash } from './diff.js';
import { buildStatus, observeMigration, type MigrationObservation, type Observation, type TopicObservation } from '../model/report/status.js';
import { kafkaSecrets as pipelineKafkaSecrets, lazyAdmin } from './pipeline-kafka.js';
import type { WorkResult } from './work-queue.js';
import { PipelineChildren, withoutHeld } from './children.js';
import { TopicBackends, type ReconcileFailure } from './topic-backends.js';
import { FlowObserver } from './flow-observer.js';
import { consumerLayoutStep, type LayoutOutcome } from './layout-step.js';
import { rewindStep, type RewindOutcome } from './rewind-step.js';
import { TopicsFinalizer } from './topics-finalizer.js';

export type { ReconcilerCache, ReconcilerDeps, ReconcilerWriter } from './reconciler-deps.js';

/** Consumers held back this reconcile, and why: a switch of consumer layout, a rewind. */
interface Held {
  layout: LayoutOutcome;
  rewind: RewindOutcome;
}

export class Reconciler {
  private readonly now: () => Date;
  private readonly log: (msg: string, fields?: Record<string, unknown>) => void;
  private readonly children: PipelineChildren;
  private readonly backends: TopicBackends;
  private readonly flow: FlowObserver;
  private readonly finalizer: TopicsFinalizer;

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.log = deps.log ?? (() => undefined);
    const kafkaSecrets = (r: ResolvedPipeline) => pipelineKafkaSecrets(deps.secrets, r);
    this.children = new PipelineChildren(deps.cache, deps.client);
    this.backends = new TopicBackends({ cache: deps.cache, topics: deps.topics, kafkaSecrets, capabilities: deps.capabilities });
    this.flow = new FlowObserver({
      topics: deps.topics,
      kafkaSecrets,
      now: this.now,
      log: this.log,
      intervalMs: this.flowIntervalMs(),
      laggingAfterMs: deps.laggingAfterMs ?? 300_000,
    });
    this.finalizer = new TopicsFinalizer({
      topics: deps.topics,
      kafkaSecrets,
      capabilities: deps.capabilities,
      pipelines: () => deps.cache.pipelines(),
      setFinalizers: (p, f) => deps.client.setFinalizers(p, f),
      recordEvent: (p, e) => deps.client.recordEvent(p, e),
    });
  }

  async reconcile(namespace: string, name: string): Promise<WorkResult> {
    const p = this.deps.cache.pipeline(namespace, name);
    if (!p) return this.forget(`${namespace}/${name}`);
    if (p.metadata.deletionTimestamp) return this.finalizer.finalize(p).then(() => ({}));
    const caps = this.deps.capabilities();
    // The spec with every default applied, once: each step below reads this.
    const r = resolve(p);
    if (r.paused) return this.recordPaused(p, r, caps);
    const conflict = findConflict(p, this.deps.cache.pipelines());
    if (conflict) return this.recordConflict(p, r, caps, conflict);
    await this.finalizer.ensure(p, r);

    // Gather: the topics' partitions (never ask for fewer), the consumers held back.
    const backend = this.backends.for(r);
    const kafka = await backend.gather(r, this.partitionsFromStatus(p));
    const held = await this.consumersHeld(p, r);
    // Decide: the wanted objects, and whether the migration of this spec has run.
    const result = renderResolved(r, { capabilities: caps, existingPartitions: kafka.existing, configHash: configHashOf(this.deps.cache, p, r) });
    const migration = this.migrationOf(p, result);
    // Act: workloads roll out only once the migration Job of this spec has succeeded; until then
    // what runs keeps running as it is (wanted, so not pruned, but not updated).
    const applied = await this.children.apply(withoutHeld(result.objects, [...held.layout.hold, ...held.rewind.hold]), migration.phase === 'Succeeded');
    const pruned = await this.children.prune(p, caps, applied.wanted);
    const applyError: ReconcileFailure | undefined = applied.failures[0] ? { reason: 'ApplyFailed', message: applied.failures[0] } : undefined;
    const topics = await backend.reconcile(r, result, (kafka.error ?? applyError) ? undefined : kafka);
    const error = kafka.error ?? applyError ?? topics.error;
    const flow = await this.flow.observe(p, r, kafka);

    // Report.
    const changed = applied.created.length + applied.updated.length + pruned.deleted.length > 0;
    const status = buildStatus(
      {
        ...this.observation(p, result, migration, topics.topics, changed, error),
        ...flow,
        consumerLayout: { holding: held.layout.holding, ...(held.layout.waiting ? { waiting: held.layout.waiting } : {}) },
        ...(held.rewind.status ? { rewind: held.rewind.status } : {}),
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
    return this.nextLook(r, status);
  }

  /** Look again: soon while not Ready; at the flow interval to keep lag current. */
  private nextLook(r: ResolvedPipeline, status: SyncPipelineStatus): WorkResult {
    const ready = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    const flowMs = kafkaAccess(r).readOffsets && this.flowIntervalMs() > 0 ? this.flowIntervalMs() : undefined;
    const pendingMs = ready ? undefined : (this.deps.pendingRequeueMs ?? 10_000);
    const again = Math.min(flowMs ?? Infinity, pendingMs ?? Infinity);
    return Number.isFinite(again) ? { requeueAfterMs: again } : {};
  }

  /** A pipeline that is gone: its children go with it through their owner references. */
  private async forget(key: string): Promise<WorkResult> {
    this.flow.forget(key);
    await this.deps.topics.release(key);
    return {};
  }

  private flowIntervalMs(): number {
    return this.deps.flowIntervalMs ?? 30_000;
  }

  /** A switch of consumer layout, then a rewind, each holding consumers back while it runs (model/kafka/layout-switch.ts, model/kafka/rewind.ts). */
  private async consumersHeld(p: SyncPipeline, r: ResolvedPipeline): Promise<Held> {
    const live = this.children.liveConsumers(p);
    const kafka = lazyAdmin(this.deps.topics, this.deps.secrets, r);
    const recordEvents = (events: PipelineEvent[]) => this.recordEvents(p, events);
    const layout = await consumerLayoutStep(p, r, { live, ...kafka, recordEvents });
    const rewind = await rewindStep(p, r, {
      layout: { holding: layout.holding, switching: layout.waiting !== undefined },
      live,
      ...kafka,
      recordEvents,
      now: this.now(),
    });
    return { layout, rewind };
  }

  /**
   * Another pipeline holds some of this one's topics or consumer groups: apply nothing (what
   * already runs keeps running as it is, on the names it had) and say why in status, once.
   */
  private async recordConflict(p: SyncPipeline, r: ResolvedPipeline, caps: Capabilities, conflict: KafkaConflict): Promise<WorkResult> {
    const result = renderResolved(r, { capabilities: caps, configHash: configHashOf(this.deps.cache, p, r) });
    const error = { reason: 'Conflict', message: conflict.message };
    const status = buildStatus(this.observation(p, result, this.migrationOf(p, result), [], false, error), p.status, this.now().toISOString());
    await this.writeStatusIfChanged(p, status);
    const wasConflict = p.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === 'Conflict') ?? false;
    if (!wasConflict) await this.recordEvents(p, [{ type: 'Warning', reason: 'Conflict', message: conflict.message }]);
    // The manager re-queues waiting pipelines when another pipeline changes or goes away.
    return {};
  }

  /** Paused means no writes at all: only the first reconcile after pausing records it. */
  private async recordPaused(p: SyncPipeline, r: ResolvedPipeline, caps: Capabilities): Promise<WorkResult> {
    if (p.status?.conditions?.some((c) => c.type === 'Paused' && c.status === 'True')) return {};
    const result = renderResolved(r, { capabilities: caps });
    const observation: Observation = {
      generation: p.metadata.generation ?? 0,
      paused: true,
      render: result,
      deployments: {},
      topics: [],
      migration: observeMigration(result.migrationJob, undefined),
      changed: false,
    };
    await this.writeStatusIfChanged(p, buildStatus(observation, p.status, this.now().toISOString()));
    return {};
  }

  private migrationOf(p: SyncPipeline, result: RenderResult): MigrationObservation {
    return observeMigration(result.migrationJob, this.deps.cache.get<k8s.V1Job>('batch/v1', 'Job', result.migrationJob, p.metadata.namespace));
  }

  private observation(
    p: SyncPipeline,
    result: RenderResult,
    migration: MigrationObservation,
    topics: TopicObservation[],
    changed: boolean,
    error: ReconcileFailure | undefined,
  ): Observation {
    return {
      generation: p.metadata.generation ?? 0,
      paused: false,
      render: result,
      ...this.children.observe(p, result),
      topics,
      migration,
      changed,
      ...(error ? { error } : {}),
    };
  }

  private async recordEvents(p: SyncPipeline, events: PipelineEvent[]): Promise<void> {
    for (const e of events) await this.deps.client.recordEvent(p, e).catch((err: unknown) => this.log('event not recorded', { error: apiErrorMessage(err) }));
  }

  private partitionsFromStatus(p: SyncPipeline): PartitionCounts {
    return Object.fromEntries((p.status?.topics ?? []).filter((t) => t.partitions > 0).map((t) => [t.name, t.partitions]));
  }

  private async writeStatusIfChanged(p: SyncPipeline, status: SyncPipelineStatus): Promise<void> {
    // Key order differs between what we build and what the API server returns: compare content.
    if (contentHash(status) === contentHash(p.status ?? {})) return;
    await this.deps.client.writeStatus(p, status);
  }
}

class ReconcileError extends Error {
  override name = 'ReconcileError';
}
