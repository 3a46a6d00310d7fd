// The I/O of a switch of consumer layout (model/kafka/layout-switch.ts decides): while the old
// consumers stop, the new ones are held back; once they have, the groups are read from Kafka and
// the new groups' offsets committed, with an Event.
import type { SyncPipeline } from '../api/v1alpha1.js';
import type { ResolvedPipeline } from '../model/resolve.js';
import type { PipelineEvent } from '../model/report/events.js';
import { handOver, heldLayout, layoutGroups, switchStep, type LiveConsumers } from '../model/kafka/layout-switch.js';
import { consumersOf, type ConsumerLayout, type ConsumerName } from '../../core/domain.js';
import { errorMessage } from '../../core/errors.js';
import type { TopicAdmin } from './topic-admin.js';

export interface LayoutIo {
  live: LiveConsumers;
  admin: () => Promise<TopicAdmin>;
  evict: () => Promise<void>;
  recordEvents: (events: PipelineEvent[]) => Promise<void>;
}

export interface LayoutOutcome {
  /** The layout whose groups hold the offsets now. */
  holding: ConsumerLayout;
  /** Why the new layout's consumers wait, while they do. */
  waiting?: string;
  /** Consumers whose objects must not be applied (so are pruned) for now. */
  hold: ConsumerName[];
}

/** Where a switch of consumer layout stands, and the consumers to hold back for it. */
export async function consumerLayoutStep(p: SyncPipeline, r: ResolvedPipeline, io: LayoutIo): Promise<LayoutOutcome> {
  const wanted = r.consumerLayout;
  const from = heldLayout(p.status?.consumerLayout, io.live, wanted);
  const step = switchStep(from, wanted, io.live);
  const hold = [...consumersOf(wanted)];
  if (step.step === 'none' || step.step === 'done') return { holding: wanted, hold: [] };
  if (step.step === 'stop') return { holding: from, waiting: step.waiting, hold };
  try {
    const admin = await io.admin();
    const groups = layoutGroups(r);
    const decision = handOver(groups[from], groups[wanted], await admin.groupStates([...groups.split, ...groups.single]));
    if ('waiting' in decision) return { holding: from, waiting: decision.waiting, hold };
    await admin.commitOffsets(decision.commits);
    const partitions = decision.commits.reduce((n, c) => n + c.partitions.length, 0);
    await io.recordEvents([
      {
        type: 'Normal',
        reason: 'ConsumerLayoutSwitched',
        message: `consumer layout ${from} -> ${wanted}: committed offsets handed over on ${partitions} partitions (${groups[wanted].map((g) => g.group).join(', ')}); starting the ${wanted} consumers`,
      },
    ]);
    return { holding: wanted, hold: [] };
  } catch (err) {
    await io.evict();
    return {
      holding: from,
      waiting: `switching the consumer layout from ${from} to ${wanted}: cannot hand the committed offsets over: ${errorMessage(err)}`,
      hold,
    };
  }
}
