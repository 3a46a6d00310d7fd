// The I/O of a rewind (model/kafka/rewind.ts decides): reads the consumer's group and the offsets at
// the asked time from Kafka, commits the new offsets, records the Event. The reconciler holds
// the consumer's objects back while this says so.
import type { ResolvedPipeline } from '../model/resolve.js';
import type { RewindStatus, SyncPipeline } from '../api/v1alpha1.js';
import type { PipelineEvent } from '../model/report/events.js';
import { layoutGroups, type LiveConsumers } from '../model/kafka/layout-switch.js';
import { REWIND_ANNOTATION } from '../model/naming.js';
import { describeRewind, rewindPlan, rewindStopping, wantedRewind } from '../model/kafka/rewind.js';
import type { ConsumerLayout, ConsumerName } from '../../core/domain.js';
import { errorMessage } from '../../core/errors.js';
import type { TopicAdmin } from './topic-admin.js';

export interface RewindIo {
  /** The consumer layout whose groups hold the offsets, and whether a switch of layout is under way. */
  layout: { holding: ConsumerLayout; switching: boolean };
  live: LiveConsumers;
  /** The pipeline's Kafka admin client; throws when its credentials cannot be read. */
  admin: () => Promise<TopicAdmin>;
  /** Drops the admin client after a failure, so the next try reconnects. */
  evict: () => Promise<void>;
  recordEvents: (events: PipelineEvent[]) => Promise<void>;
  now: Date;
}

export interface RewindOutcome {
  /** Consumers whose objects must not be applied (so are pruned) for now. */
  hold: ConsumerName[];
  /** What status says of the rewind, when it changed. */
  status?: RewindStatus;
}

export async function rewindStep(p: SyncPipeline, r: ResolvedPipeline, io: RewindIo): Promise<RewindOutcome> {
  const value = p.metadata.annotations?.[REWIND_ANNOTATION];
  const recorded = p.status?.rewind;
  const wanted = wantedRewind(value, recorded, io.layout.holding, io.now);
  if (!wanted) {
    // Taken away before the offsets moved: the consumer starts again where it was.
    if (recorded?.phase === 'Rewinding' && recorded.request !== value)
      return {
        hold: [],
        status: { ...recorded, phase: 'Failed', message: 'the rewind annotation was removed or changed before the offsets were moved; nothing was changed' },
      };
    return { hold: [] };
  }
  if ('invalid' in wanted) {
    await io.recordEvents([{ type: 'Warning', reason: 'RewindRefused', message: wanted.invalid }]);
    return { hold: [], status: { request: wanted.value, phase: 'Failed', message: wanted.invalid } };
  }
  const { request } = wanted;
  const rewinding = (message: string): RewindOutcome => ({
    hold: [request.consumer],
    status: { request: request.value, consumer: request.consumer, toTime: request.toTime, phase: 'Rewinding', message },
  });
  if (io.layout.switching) return { hold: [], status: rewinding('waiting for the switch of consumer layout to finish').status! };
  const stopping = rewindStopping(request, io.live);
  if (stopping) return rewinding(stopping);
  const group = layoutGroups(r)[io.layout.holding].find((g) => g.consumer === request.consumer);
  if (!group)
    return { hold: [], status: { request: request.value, phase: 'Failed', message: `the ${request.consumer} consumer reads no topic in this pipeline` } };
  try {
    const admin = await io.admin();
    const [state] = await admin.groupStates([group]);
    const plan = rewindPlan(group, state, await admin.offsetsAt(group.topics, request.toMs));
    if ('waiting' in plan) return rewinding(`rewinding the ${request.consumer} consumer to ${request.toTime}: ${plan.waiting}`);
    await admin.commitOffsets(plan.commits);
    const message = describeRewind(request, group.group, plan);
    await io.recordEvents([{ type: 'Normal', reason: 'ConsumerRewound', message }]);
    return {
      hold: [],
      status: {
        request: request.value,
        consumer: request.consumer,
        toTime: request.toTime,
        phase: 'Completed',
        message,
        completionTime: io.now.toISOString(),
      },
    };
  } catch (err) {
    await io.evict();
    return rewinding(`rewinding the ${request.consumer} consumer to ${request.toTime}: cannot move the committed offsets: ${errorMessage(err)}`);
  }
}
