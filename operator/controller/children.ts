// A pipeline's children as the watch caches show them, and the two writes that bring them to
// what render() wants: apply what differs, prune what is no longer wanted.
import type * as k8s from '@kubernetes/client-node';
import type { SyncPipeline } from '../api/v1alpha1.js';
import type { Capabilities } from '../model/objects/autoscaling.js';
import type { LiveConsumers } from '../model/kafka/layout-switch.js';
import { KINDS_GATED_BY_MIGRATION } from '../model/objects/maintenance.js';
import { componentLabel, deploymentName, partitionsCronJobName } from '../model/naming.js';
import { COMPONENT_LABEL, INSTANCE_LABEL } from '../../core/labels.js';
import { ownedKinds, type KindInfo } from '../model/objects/owned-kinds.js';
import type { RenderResult } from '../model/render.js';
import { ALL_CONSUMERS, type ComponentName } from '../../core/domain.js';
import { describeRef, refOf, type ObjectRef } from './cluster.js';
import { apiErrorMessage } from '../../core/errors.js';
import { needsApply, withAppliedHash } from './diff.js';
import { observeCronJob, observeDeployment, type DeploymentObservation, type Observation } from '../model/report/status.js';

/** What the children are read from: the watch caches, never the API server directly. */
export interface ChildCache {
  get<T extends k8s.KubernetesObject>(apiVersion: string, kind: string, name: string, namespace?: string): T | undefined;
  list<T extends k8s.KubernetesObject>(apiVersion: string, kind: string, namespace?: string): T[];
}

export interface ChildWriter {
  apply<T extends k8s.KubernetesObject>(obj: T): Promise<T>;
  delete(ref: ObjectRef): Promise<void>;
}

export interface ApplyOutcome {
  wanted: Set<string>;
  created: string[];
  updated: string[];
  failures: string[];
}

export interface PruneOutcome {
  deleted: string[];
  failures: string[];
}

const kindName = (ref: ObjectRef) => `${ref.kind}/${ref.name}`;

export class PipelineChildren {
  constructor(
    private readonly cache: ChildCache,
    private readonly client: ChildWriter,
  ) {}

  /** The pipeline's pods (by its instance label). */
  pods(p: SyncPipeline): k8s.V1Pod[] {
    return this.cache.list<k8s.V1Pod>('v1', 'Pod', p.metadata.namespace).filter((pod) => pod.metadata?.labels?.[INSTANCE_LABEL] === p.metadata.name);
  }

  /** Consumers of either layout that have a Deployment or pods of this pipeline. */
  liveConsumers(p: SyncPipeline): LiveConsumers {
    const { namespace, name } = p.metadata;
    const podComponents = new Set(this.pods(p).map((pod) => pod.metadata?.labels?.[COMPONENT_LABEL]));
    return {
      deployments: ALL_CONSUMERS.filter((c) => this.cache.get<k8s.V1Deployment>('apps/v1', 'Deployment', deploymentName(name!, c), namespace)),
      pods: ALL_CONSUMERS.filter((c) => podComponents.has(componentLabel(c))),
    };
  }

  /** Each component's Deployment and pods, and the partition CronJob, as status reports them. */
  observe(p: SyncPipeline, result: RenderResult): Pick<Observation, 'deployments' | 'partitionMaintenance'> {
    const { namespace, name } = p.metadata;
    const pods = this.pods(p);
    const podsOf = (c: ComponentName) => pods.filter((pod) => pod.metadata?.labels?.[COMPONENT_LABEL] === componentLabel(c));
    const deployments = Object.fromEntries(
      (Object.keys(result.components) as ComponentName[]).map((c) => [
        c,
        observeDeployment(this.cache.get<k8s.V1Deployment>('apps/v1', 'Deployment', deploymentName(name, c), namespace), podsOf(c)),
      ]),
    ) as Partial<Record<ComponentName, DeploymentObservation>>;
    const cronJob = partitionsCronJobName(name);
    const partitionMaintenance = observeCronJob(cronJob, this.cache.get<k8s.V1CronJob>('batch/v1', 'CronJob', cronJob, namespace));
    return { deployments, ...(partitionMaintenance ? { partitionMaintenance } : {}) };
  }

  /**
   * Applies, in parallel, every object that differs from the cache (the objects do not depend
   * on each other at admission: an HPA may name a Deployment that does not exist yet). Until the
   * migration Job of this spec has succeeded, workloads are not updated (`migrated` false).
   */
  async apply(objects: k8s.KubernetesObject[], migrated: boolean): Promise<ApplyOutcome> {
    const wanted = new Set<string>();
    const applies = objects
      .map((obj) => {
        const desired = withAppliedHash(obj);
        const ref = refOf(desired);
        wanted.add(kindName(ref));
        return { desired, ref, live: this.cache.get(ref.apiVersion, ref.kind, ref.name, ref.namespace) };
      })
      .filter((a) => (migrated || !KINDS_GATED_BY_MIGRATION.has(a.ref.kind)) && needsApply(a.desired, a.live));
    const outcomes = await Promise.allSettled(applies.map((a) => this.client.apply(a.desired)));
    const out: ApplyOutcome = { wanted, created: [], updated: [], failures: [] };
    outcomes.forEach((o, i) => {
      const a = applies[i]!;
      if (o.status === 'fulfilled') (a.live ? out.updated : out.created).push(kindName(a.ref));
      else out.failures.push(`${describeRef(a.ref)}: ${apiErrorMessage(o.reason)}`);
    });
    return out;
  }

  /** Deletes objects of ours this pipeline no longer wants (e.g. India drops contacts/call logs). */
  async prune(p: SyncPipeline, caps: Capabilities, wanted: Set<string>): Promise<PruneOutcome> {
    const deleted: string[] = [];
    const failures: string[] = [];
    for (const kind of ownedKinds(caps)) {
      for (const o of this.ownedBy(p, kind)) {
        const ref = refOf({ ...o, apiVersion: kind.apiVersion, kind: kind.kind });
        if (wanted.has(kindName(ref))) continue;
        try {
          await this.client.delete(ref);
          deleted.push(kindName(ref));
        } catch (err) {
          failures.push(`${describeRef(ref)}: ${apiErrorMessage(err)}`);
        }
      }
    }
    return { deleted, failures };
  }

  /** Children of a kind that this pipeline owns (label-selected, then owner-checked). */
  private ownedBy(p: SyncPipeline, kind: KindInfo): k8s.KubernetesObject[] {
    return this.cache.list(kind.apiVersion, kind.kind, p.metadata.namespace).filter((o) => {
      if (o.metadata?.labels?.[INSTANCE_LABEL] !== p.metadata.name) return false;
      const owners = o.metadata?.ownerReferences ?? [];
      // KafkaTopics kept on deletion carry no owner reference; the labels identify them.
      return owners.some((r) => r.uid === p.metadata.uid) || (kind.kind === 'KafkaTopic' && owners.length === 0);
    });
  }
}

/** Objects of the held consumers' components left out of what is applied. */
export function withoutHeld(objects: k8s.KubernetesObject[], held: readonly ComponentName[]): k8s.KubernetesObject[] {
  const labels = new Set(held.map(componentLabel));
  return objects.filter((o) => !labels.has(o.metadata?.labels?.[COMPONENT_LABEL] ?? ''));
}
