// Topics whose deletion the user asked for (admin mode, deleteTopicsOnDeletion) are deleted
// through a finalizer on the pipeline, before it goes.
import type { SyncPipeline } from '../api/v1alpha1.js';
import type { Capabilities } from '../model/objects/autoscaling.js';
import { findConflict } from '../model/kafka/conflicts.js';
import type { PipelineEvent } from '../model/report/events.js';
import { kafkaAccess, kafkaConfigFor, type SecretValue } from '../model/kafka/kafka-access.js';
import { renderResolved } from '../model/render.js';
import { resolve, type ResolvedPipeline } from '../model/resolve.js';
import type { TopicAdminPool } from './topic-admin.js';

const TOPICS_FINALIZER = 'mobileforge.credeau.com/delete-topics';

export interface TopicsFinalizerDeps {
  topics: TopicAdminPool;
  kafkaSecrets: (r: ResolvedPipeline) => Promise<SecretValue>;
  capabilities: () => Capabilities;
  pipelines: () => SyncPipeline[];
  setFinalizers: (p: SyncPipeline, finalizers: string[]) => Promise<void>;
  recordEvent: (p: SyncPipeline, e: PipelineEvent) => Promise<void>;
}

const wanted = (r: ResolvedPipeline) => kafkaAccess(r).manageTopics && r.kafka.topics.deleteTopicsOnDeletion;

export class TopicsFinalizer {
  constructor(private readonly d: TopicsFinalizerDeps) {}

  /** Adds or removes the finalizer as the spec asks. */
  async ensure(p: SyncPipeline, r: ResolvedPipeline): Promise<void> {
    const has = p.metadata.finalizers?.includes(TOPICS_FINALIZER) ?? false;
    const wants = wanted(r);
    if (has === wants) return;
    const others = (p.metadata.finalizers ?? []).filter((f) => f !== TOPICS_FINALIZER);
    await this.d.setFinalizers(p, wants ? [...others, TOPICS_FINALIZER] : others);
  }

  /**
   * The pipeline is being deleted: delete its admin-mode topics if asked, then let it go. The
   * spec as it is now decides: a pipeline moved to another topic mode (or no longer asking)
   * just before its deletion keeps its topics.
   */
  async finalize(p: SyncPipeline): Promise<void> {
    if (!p.metadata.finalizers?.includes(TOPICS_FINALIZER)) return;
    const r = resolve(p);
    if (wanted(r)) {
      const config = kafkaConfigFor(r.kafka, await this.d.kafkaSecrets(r));
      // Never a topic another pipeline holds (this one may have come to share it since).
      const held = new Set(findConflict(p, this.d.pipelines())?.topics ?? []);
      const names = renderResolved(r, { capabilities: this.d.capabilities() })
        .topics.map((t) => t.name)
        .filter((n) => !held.has(n));
      await this.d.topics.for(config, `${p.metadata.namespace}/${p.metadata.name}`).delete(names);
      await this.d
        .recordEvent(p, { type: 'Normal', reason: 'TopicsDeleted', message: `deleted topics ${names.join(', ')} as deleteTopicsOnDeletion asked` })
        .catch(() => undefined);
    }
    await this.d.setFinalizers(
      p,
      (p.metadata.finalizers ?? []).filter((f) => f !== TOPICS_FINALIZER),
    );
  }
}
