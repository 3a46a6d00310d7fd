// One reconcile of one pipeline: gather (caches, Kafka), decide (the pure model and status),
// act (apply what differs, prune what is no longer wanted, write status only if it changed).
import { createHash } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import type { SyncPipeline, SyncPipelineStatus } from '../api/v1alpha1.js';
import type { Capabilities } from '../model/autoscaling.js';
import { topicMode } from '../model/defaults.js';
import { KINDS_GATED_BY_MIGRATION } from '../model/maintenance.js';
import { deploymentName, PAUSED_ANNOTATION, kafkaTopicObjectName, partitionsCronJobName } from '../model/naming.js';
import { render, type RenderResult } from '../model/render.js';
import type { PartitionCounts } from '../model/topics.js';
import { TOPICS, type TopicName, COMPONENTS, type ComponentName } from '../../core/domain.js';
import type { ClusterCache, KindInfo } from './caches.js';
import { ownedKinds } from './caches.js';
import { apiErrorMessage, describeRef, refOf, type ClusterClient, type PipelineEvent } from './cluster.js';
import { contentHash, needsApply, withAppliedHash } from './diff.js';
import { buildStatus, observeCronJob, observeMigration, type DeploymentObservation, type Observation, type TopicObservation } from './status.js';
import { KafkaCredentialsError, kafkaConfigFor, type TopicAdminPool } from './topic-admin.js';
import type { SecretSource } from './secret-reader.js';
import type { WorkResult } from './work-queue.js';
import { errorMessage } from '../../core/errors.js';

/** Admin-mode topics whose deletion the user asked for are cleaned up through this finalizer. */
const TOPICS_FINALIZER = 'mobileforge.credeau.com/delete-topics';

export interface ReconcilerDeps {
  cache: ClusterCache;
  client: ClusterClient;
  topics: TopicAdminPool;
  /** Secret values, for the Kafka admin client only (the cache holds digests). */
  secrets: SecretSource;
  capabilities: () => Capabilities;
  now?: () => Date;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** How soon to look again while topics or pods are not ready. */
  pendingRequeueMs?: number;
}

function isPaused(p: SyncPipeline): boolean {
  return p.spec.paused === true || p.metadata.annotations?.[PAUSED_ANNOTATION] === 'true';
}

/** Secrets the pods reference: a change in any of them rolls the pods. */
export function referencedSecrets(p: SyncPipeline): { name: string; keys: string[] }[] {
  const s = p.spec;
  const refs: { name: string; keys: string[] }[] = [
    {
      name: s.postgres.credentialsSecretRef.name,
      keys: [s.postgres.credentialsSecretRef.usernameKey ?? 'username', s.postgres.credentialsSecretRef.passwordKey ?? 'password'],
    },
  ];
  const m = s.mongodb;
  if (m.credentialsSecretRef)
    refs.push({
      name: m.credentialsSecretRef.name,
      keys: [m.credentialsSecretRef.usernameKey ?? 'username', m.credentialsSecretRef.passwordKey ?? 'password'],
    });
  if (m.uriSecretRef) refs.push({ name: m.uriSecretRef.name, keys: [m.uriSecretRef.key ?? 'uri'] });
  const k = s.kafka;
  if (k.sasl)
    refs.push({
      name: k.sasl.credentialsSecretRef.name,
      keys: [k.sasl.credentialsSecretRef.usernameKey ?? 'username', k.sasl.credentialsSecretRef.passwordKey ?? 'password'],
    });
  if (k.tls?.enabled && k.tls.caSecretRef) refs.push({ name: k.tls.caSecretRef.name, keys: [k.tls.caSecretRef.key ?? 'ca.crt'] });
  return [...refs, ...extraEnvRefs(p, 'secretKeyRef')];
}

/** Secret or ConfigMap keys the components' extra env reads (`valueFrom`). */
function extraEnvRefs(p: SyncPipeline, source: 'secretKeyRef' | 'configMapKeyRef'): { name: string; keys: string[] }[] {
  const s = p.spec;
  return [s.producer, ...Object.values(s.consumers ?? {})].flatMap((c) =>
    (c?.env ?? []).flatMap((e) => {
      const ref = (e.valueFrom as Record<typeof source, { name?: string; key?: string } | undefined> | undefined)?.[source];
      return ref?.name && ref.key ? [{ name: ref.name, keys: [ref.key] }] : [];
    }),
  );
}

/** ConfigMap keys the pods read through extra env (`configMapKeyRef`): a change rolls them too. */
export function referencedConfigMaps(p: SyncPipeline): { name: string; keys: string[] }[] {
  return extraEnvRefs(p, 'configMapKeyRef');
}

function deploymentObservation(d: k8s.V1Deployment | undefined): DeploymentObservation | undefined {
  if (!d) return undefined;
  const desired = d.spec?.replicas ?? 1;
  return {
    exists: true,
    desired,
    ready: d.status?.readyReplicas ?? 0,
    updated: d.status?.updatedReplicas ?? 0,
    observedCurrent: (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0),
  };
}

interface KafkaTopicObject extends k8s.KubernetesObject {
  spec?: { partitions?: number; replicas?: number; topicName?: string };
  status?: { conditions?: { type: string; status: string; message?: string; reason?: string }[]; topicName?: string };
}

export class Reconciler {
  private readonly now: () => Date;
  private readonly log: (msg: string, fields?: Record<string, unknown>) => void;

  constructor(private readonly deps: ReconcilerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.log = deps.log ?? (() => undefined);
  }

  async reconcile(namespace: string, name: string): Promise<WorkResult> {
    const p = this.deps.cache.pipeline(namespace, name);
    if (!p) return {}; // deleted: children go with it through their owner references
    if (p.metadata.deletionTimestamp) return this.finalize(p);

    const caps = this.deps.capabilities();
    if (isPaused(p)) {
      // Paused means no writes at all: only the first reconcile after pausing records it.
      if (p.status?.conditions?.some((c) => c.type === 'Paused' && c.status === 'True')) return {};
      const result = render(p, { capabilities: caps });
      const migration = observeMigration(result.migrationJob, undefined);
      await this.writeStatusIfChanged(
        p,
        buildStatus(
          {
            generation: p.metadata.generation ?? 0,
            paused: true,
            render: result,
            deployments: {},
            topics: [],
            topicMode: topicMode(p.spec),
            migration,
            changed: false,
          },
          p.status,
          this.now().toISOString(),
        ),
      );
      return {};
    }
    await this.ensureFinalizer(p);

    const mode = topicMode(p.spec);
    let error: Observation['error'];
    const events: PipelineEvent[] = [];

    // Gather: partitions the topics already have (never ask for fewer).
    let existing: PartitionCounts = this.partitionsFromStatus(p);
    let kafkaConfig: ReturnType<typeof kafkaConfigFor> | undefined;
    if (mode === 'admin') {
      try {
        kafkaConfig = kafkaConfigFor(p.spec, await this.kafkaSecrets(p));
        existing = { ...existing, ...(await this.deps.topics.for(kafkaConfig).partitions(TOPICS.slice())) };
      } catch (err) {
        if (kafkaConfig) await this.deps.topics.evict(kafkaConfig);
        error = {
          reason: err instanceof KafkaCredentialsError ? 'KafkaCredentialsMissing' : 'KafkaUnreachable',
          message: `cannot read topics: ${errorMessage(err)}`,
        };
      }
    } else if (mode === 'strimzi' && caps.kafkaTopicApiVersion) {
      for (const t of TOPICS) {
        const kt = this.deps.cache.get<KafkaTopicObject>(caps.kafkaTopicApiVersion, 'KafkaTopic', kafkaTopicObjectName(name, t), namespace);
        if (kt?.spec?.partitions) existing[t] = Math.max(existing[t] ?? 0, kt.spec.partitions);
      }
    }

    const result = render(p, { capabilities: caps, existingPartitions: existing, configHash: this.configHash(p) });

    // Gate: workloads roll out only once the migration Job of this spec has succeeded. Until
    // then what runs keeps running as it is (kept in `wanted`, so not pruned, but not updated).
    const migration = observeMigration(result.migrationJob, this.deps.cache.get<k8s.V1Job>('batch/v1', 'Job', result.migrationJob, namespace));
    const migrated = migration.phase === 'Succeeded';

    // Act: apply what differs from the cache, in parallel (the objects do not depend on each
    // other at admission: an HPA may name a Deployment that does not exist yet).
    const wanted = new Set<string>();
    const applies = result.objects
      .map((obj) => {
        const desired = withAppliedHash(obj);
        const ref = refOf(desired);
        wanted.add(`${ref.kind}/${ref.name}`);
        const live = this.deps.cache.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
        return { desired, ref, live };
      })
      .filter((a) => (migrated || !KINDS_GATED_BY_MIGRATION.has(a.ref.kind)) && needsApply(a.desired, a.live));
    const outcomes = await Promise.allSettled(applies.map((a) => this.deps.client.apply(a.desired)));
    const created: string[] = [];
    const updated: string[] = [];
    outcomes.forEach((o, i) => {
      const a = applies[i]!;
      if (o.status === 'fulfilled') (a.live ? updated : created).push(`${a.ref.kind}/${a.ref.name}`);
      else {
        const message = `${describeRef(a.ref)}: ${apiErrorMessage(o.reason)}`;
        error ??= { reason: 'ApplyFailed', message };
        events.push({ type: 'Warning', reason: 'ApplyFailed', message });
      }
    });
    let changed = created.length + updated.length > 0;
    // One event per reconcile, not one per object: Events are writes too.
    if (created.length) events.push({ type: 'Normal', reason: 'Created', message: `created ${created.join(', ')}` });
    if (updated.length) events.push({ type: 'Normal', reason: 'Updated', message: `updated ${updated.join(', ')}` });

    // Prune: objects of ours this pipeline no longer wants (e.g. India drops contacts/call logs).
    const pruned: string[] = [];
    for (const kind of ownedKinds(caps)) {
      for (const o of this.ownedBy(p, kind)) {
        const ref = refOf({ ...o, apiVersion: kind.apiVersion, kind: kind.kind });
        if (wanted.has(`${ref.kind}/${ref.name}`)) continue;
        try {
          await this.deps.client.delete(ref);
          changed = true;
          pruned.push(`${ref.kind}/${ref.name}`);
        } catch (err) {
          events.push({ type: 'Warning', reason: 'PruneFailed', message: `${describeRef(ref)}: ${apiErrorMessage(err)}` });
        }
      }
    }
    if (pruned.length) events.push({ type: 'Normal', reason: 'Pruned', message: `deleted ${pruned.join(', ')}: no longer wanted` });

    // Topics: admin mode through Kafka, strimzi mode from KafkaTopic status.
    let topics: TopicObservation[] = [];
    if (mode === 'admin' && kafkaConfig && !error) {
      try {
        topics = await this.deps.topics.for(kafkaConfig).ensure(result.topics);
        const before = this.partitionsFromStatus(p);
        for (const t of topics) {
          if (before[t.name as TopicName] === undefined && t.partitions > 0 && !p.status?.topics?.some((s) => s.name === t.name))
            events.push({ type: 'Normal', reason: 'TopicReady', message: `topic ${t.name} has ${t.partitions} partitions` });
          else if ((before[t.name as TopicName] ?? 0) < t.partitions)
            events.push({ type: 'Normal', reason: 'PartitionsRaised', message: `topic ${t.name} raised to ${t.partitions} partitions` });
        }
      } catch (err) {
        await this.deps.topics.evict(kafkaConfig);
        error = { reason: 'TopicsFailed', message: `Kafka admin: ${errorMessage(err)}` };
        events.push({ type: 'Warning', reason: 'TopicsFailed', message: error.message });
      }
    } else if (mode === 'strimzi') {
      topics = this.strimziTopics(p, result, caps);
    } else if (mode === 'unmanaged') {
      topics = result.topics.map((t) => ({ name: t.name, partitions: t.partitions, replicationFactor: t.replicationFactor, ready: true }));
    }
    if (result.topicsBlocked && !p.status?.conditions?.some((c) => c.type === 'Topics' && c.reason === 'StrimziNotInstalled')) {
      events.push({ type: 'Warning', reason: 'StrimziNotInstalled', message: result.topicsBlocked });
    }
    if (result.engineFallback && p.status?.autoscalingEngine !== 'hpa')
      events.push({ type: 'Warning', reason: 'FallbackToHPA', message: result.engineFallback });

    const deployments = Object.fromEntries(
      COMPONENTS.map((c) => [c, deploymentObservation(this.deps.cache.get<k8s.V1Deployment>('apps/v1', 'Deployment', deploymentName(name, c), namespace))]),
    ) as Partial<Record<ComponentName, DeploymentObservation>>;

    const cronJob = partitionsCronJobName(name);
    const partitionMaintenance = observeCronJob(cronJob, this.deps.cache.get<k8s.V1CronJob>('batch/v1', 'CronJob', cronJob, namespace));
    if (migration.phase === 'Failed' && p.status?.migration?.phase !== 'Failed')
      events.push({ type: 'Warning', reason: 'MigrationFailed', message: `Job ${migration.job}: ${migration.message ?? 'failed'}` });
    if (migration.phase === 'Succeeded' && p.status?.migration?.phase !== 'Succeeded')
      events.push({ type: 'Normal', reason: 'MigrationSucceeded', message: `schema migrated by Job ${migration.job}` });

    const status = buildStatus(
      {
        generation: p.metadata.generation ?? 0,
        paused: false,
        render: result,
        deployments,
        topics,
        topicMode: mode,
        migration,
        ...(partitionMaintenance ? { partitionMaintenance } : {}),
        changed,
        ...(error ? { error } : {}),
      },
      p.status,
      this.now().toISOString(),
    );
    await this.writeStatusIfChanged(p, status);
    for (const e of events) await this.deps.client.recordEvent(p, e).catch((err: unknown) => this.log('event not recorded', { error: apiErrorMessage(err) }));

    if (error) throw new ReconcileError(error.message);
    const ready = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    return ready ? {} : { requeueAfterMs: this.deps.pendingRequeueMs ?? 10_000 };
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

  /** Hash of the referenced Secret and ConfigMap keys' contents (their digests, or their absence). */
  configHash(p: SyncPipeline): string {
    const h = createHash('sha256');
    const ns = p.metadata.namespace!;
    const add = (refs: { name: string; keys: string[] }[], prefix: string, values: (name: string) => Record<string, string> | undefined) => {
      for (const ref of [...refs].sort((a, b) => a.name.localeCompare(b.name))) {
        const data = values(ref.name);
        for (const key of [...ref.keys].sort()) h.update(`${prefix}${ref.name}/${key}=${data?.[key] ?? '<missing>'}\n`);
      }
    };
    add(referencedSecrets(p), '', (n) => this.deps.cache.secret(ns, n)?.data);
    // ConfigMaps only add lines when referenced: hashes of pipelines without any stay as they were.
    add(referencedConfigMaps(p), 'configmap:', (n) => {
      const cm = this.deps.cache.configMap(ns, n);
      return cm ? { ...cm.binaryData, ...cm.data } : undefined;
    });
    return h.digest('hex').slice(0, 16);
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

  private strimziTopics(p: SyncPipeline, result: RenderResult, caps: Capabilities): TopicObservation[] {
    if (!caps.kafkaTopicApiVersion) return [];
    return result.topics.map((t) => {
      const kt = this.deps.cache.get<KafkaTopicObject>(
        caps.kafkaTopicApiVersion!,
        'KafkaTopic',
        kafkaTopicObjectName(p.metadata.name, t.name),
        p.metadata.namespace,
      );
      const ready = kt?.status?.conditions?.find((c) => c.type === 'Ready');
      return {
        name: t.name,
        partitions: kt?.spec?.partitions ?? 0,
        replicationFactor: kt?.spec?.replicas ?? t.replicationFactor,
        ready: ready?.status === 'True',
        ...(ready?.status === 'True'
          ? {}
          : { message: ready?.message ?? (kt ? 'the Strimzi topic operator has not reported it Ready' : 'KafkaTopic not created yet') }),
      };
    });
  }

  private async writeStatusIfChanged(p: SyncPipeline, status: SyncPipelineStatus): Promise<void> {
    // Key order differs between what we build and what the API server returns: compare content.
    if (contentHash(status) === contentHash(p.status ?? {})) return;
    await this.deps.client.writeStatus(p, status);
  }

  private wantsTopicFinalizer(p: SyncPipeline): boolean {
    return topicMode(p.spec) === 'admin' && p.spec.kafka.topicManagement?.deleteTopicsOnDeletion === true;
  }

  private async ensureFinalizer(p: SyncPipeline): Promise<void> {
    const has = p.metadata.finalizers?.includes(TOPICS_FINALIZER) ?? false;
    const wants = this.wantsTopicFinalizer(p);
    if (has === wants) return;
    const others = (p.metadata.finalizers ?? []).filter((f) => f !== TOPICS_FINALIZER);
    await this.deps.client.setFinalizers(p, wants ? [...others, TOPICS_FINALIZER] : others);
  }

  /** The pipeline is being deleted: delete its admin-mode topics if asked, then let it go. */
  private async finalize(p: SyncPipeline): Promise<WorkResult> {
    if (!p.metadata.finalizers?.includes(TOPICS_FINALIZER)) return {};
    const config = kafkaConfigFor(p.spec, await this.kafkaSecrets(p));
    const names = render(p, { capabilities: this.deps.capabilities() }).topics.map((t) => t.name);
    await this.deps.topics.for(config).delete(names);
    await this.deps.client
      .recordEvent(p, { type: 'Normal', reason: 'TopicsDeleted', message: `deleted topics ${names.join(', ')} as deleteTopicsOnDeletion asked` })
      .catch(() => undefined);
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
