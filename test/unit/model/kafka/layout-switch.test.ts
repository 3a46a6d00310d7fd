import { describe, expect, test } from '@jest/globals';
import { handOver, heldLayout, layoutGroups, switchStep, type GroupState } from '../../../../operator/model/kafka/layout-switch.js';
import { resolveNaming } from '../../../../operator/model/resolve.js';

const none = { deployments: [], pods: [] };
// topic and group prefix "p."
const groups = layoutGroups({ region: 'other', kafka: { naming: resolveNaming({ topicPrefix: 'p.' }) } });

describe('which layout holds the offsets', () => {
  test('what status recorded; else the layout whose Deployments exist; a new pipeline starts in its spec', () => {
    expect(heldLayout('split', { deployments: ['all'], pods: [] }, 'single')).toBe('split');
    expect(heldLayout(undefined, { deployments: ['sms', 'events'], pods: [] }, 'single')).toBe('split');
    expect(heldLayout(undefined, { deployments: ['all'], pods: [] }, 'split')).toBe('single');
    expect(heldLayout(undefined, none, 'single')).toBe('single');
  });
});

describe('the switch, step by step', () => {
  test('no switch when the held layout is the wanted one', () => {
    expect(switchStep('split', 'split', { deployments: ['sms', 'events', 'common'], pods: ['sms'] })).toEqual({ step: 'none' });
  });

  test('stop first: while any old Deployment or pod remains, nothing new starts', () => {
    const stop = switchStep('split', 'single', { deployments: ['events'], pods: ['sms'] });
    expect(stop).toMatchObject({ step: 'stop' });
    expect(stop.step === 'stop' && stop.waiting).toMatch(/from split to single: waiting for the split consumers \(sms, events\) to stop/);
  });

  test('then hand over, once only the new layout is left to start', () => {
    expect(switchStep('split', 'single', none)).toEqual({ step: 'hand-over' });
    expect(switchStep('single', 'split', none)).toEqual({ step: 'hand-over' });
  });

  test('a new layout already running means the switch finished (status is behind)', () => {
    expect(switchStep('split', 'single', { deployments: ['all'], pods: ['all'] })).toEqual({ step: 'done' });
  });
});

describe('layoutGroups', () => {
  test("each layout's groups with the cluster names of the topics they read; India has no contacts or call logs", () => {
    expect(groups.single).toEqual([
      {
        consumer: 'all',
        group: 'p.all-consumer-group',
        topics: ['p.sms_batched', 'p.events_log', 'p.apps_and_device_batched', 'p.contacts_batched', 'p.call_logs_batched', 'p.usage_audit'],
      },
    ]);
    // The audit topic is the common consumer's (it reads the seed's least busy topics).
    expect(groups.split.map((g) => [g.group, g.topics.length])).toEqual([
      ['p.sms-consumer-group', 1],
      ['p.events-consumer-group', 1],
      ['p.common-consumer-group', 4],
    ]);
    const india = layoutGroups({ region: 'india', kafka: { naming: resolveNaming({}) } });
    expect(india.single[0]!.topics).toEqual(['sms_batched', 'events_log', 'apps_and_device_batched', 'usage_audit']);
  });
});

describe('handOver', () => {
  const state = (group: string, committed: GroupState['committed'], members = 0): GroupState => ({ group, members, committed });

  test('split -> single: the single group starts, per partition, where each split group committed', () => {
    const states = [
      state('p.sms-consumer-group', { 'p.sms_batched': { 0: 120, 1: 95 } }),
      state('p.events-consumer-group', { 'p.events_log': { 0: 7 } }),
      state('p.common-consumer-group', { 'p.contacts_batched': { 2: 3 } }),
      state('p.all-consumer-group', {}),
    ];
    expect(handOver(groups.split, groups.single, states)).toEqual({
      commits: [
        {
          group: 'p.all-consumer-group',
          topic: 'p.sms_batched',
          partitions: [
            { partition: 0, offset: 120 },
            { partition: 1, offset: 95 },
          ],
        },
        { group: 'p.all-consumer-group', topic: 'p.events_log', partitions: [{ partition: 0, offset: 7 }] },
        { group: 'p.all-consumer-group', topic: 'p.contacts_batched', partitions: [{ partition: 2, offset: 3 }] },
      ],
    });
  });

  test('single -> split after an earlier split: the newest offsets win, never an older one', () => {
    const states = [
      // left from before the first switch
      state('p.sms-consumer-group', { 'p.sms_batched': { 0: 120, 1: 95 } }),
      state('p.all-consumer-group', { 'p.sms_batched': { 0: 400, 1: 95 }, 'p.events_log': { 0: 50 } }),
    ];
    expect(handOver(groups.single, groups.split, states)).toEqual({
      commits: [
        { group: 'p.sms-consumer-group', topic: 'p.sms_batched', partitions: [{ partition: 0, offset: 400 }] },
        { group: 'p.events-consumer-group', topic: 'p.events_log', partitions: [{ partition: 0, offset: 50 }] },
      ],
    });
  });

  test('nothing committed anywhere (a pipeline that never consumed): nothing to hand over', () => {
    expect(handOver(groups.split, groups.single, [])).toEqual({ commits: [] });
  });

  test('an old group with members may still commit: wait', () => {
    const states = [state('p.sms-consumer-group', { 'p.sms_batched': { 0: 1 } }, 2)];
    expect(handOver(groups.split, groups.single, states)).toEqual({
      waiting: expect.stringMatching(/waiting for consumer group p\.sms-consumer-group \(2 members\) to be empty/),
    });
  });
});
