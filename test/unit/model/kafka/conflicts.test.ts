import { describe, expect, test } from '@jest/globals';
import type { SyncPipeline, SyncPipelineSpec } from '../../../../operator/api/v1alpha1.js';
import { findConflict } from '../../../../operator/model/kafka/conflicts.js';
import { pipeline } from '../../../support/fixtures.js';

/** A pipeline created at `minute` past the hour, in namespace `ns`. */
function at(name: string, minute: number, kafka: Partial<SyncPipelineSpec['kafka']> = {}, ns = 'sync', spec: Partial<SyncPipelineSpec> = {}): SyncPipeline {
  const p = pipeline({ ...spec, kafka: { bootstrapServers: ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'], ...kafka } }, name);
  p.metadata.namespace = ns;
  p.metadata.creationTimestamp = new Date(Date.UTC(2026, 10, 26, 10, minute)) as unknown as SyncPipeline['metadata']['creationTimestamp'];
  return p;
}

describe('two pipelines on one Kafka cluster', () => {
  test('the same seed names: the pipeline created later waits, the first keeps running', () => {
    const dev = at('dev', 1, {}, 'team-a');
    const uat = at('uat', 2, {}, 'team-b');
    expect(findConflict(dev, [dev, uat])).toBeUndefined();
    const c = findConflict(uat, [dev, uat]);
    expect(c).toMatchObject({ holder: 'team-a/dev' });
    expect(c!.topics).toEqual(expect.arrayContaining(['sms_batched', 'sms_batched.dlq', 'events_log']));
    expect(c!.groups).toEqual(['sms-consumer-group', 'events-consumer-group', 'common-consumer-group', 'all-consumer-group']);
    expect(c!.message).toMatch(/already belong to pipeline team-a\/dev: set spec.kafka.topicPrefix/);
  });

  test('distinct prefixes, or distinct clusters, do not conflict', () => {
    const dev = at('dev', 1, { topicPrefix: 'dev.' });
    const uat = at('uat', 2, { topicPrefix: 'uat.' });
    const seed = at('prod', 3);
    expect(findConflict(uat, [dev, uat, seed])).toBeUndefined();
    expect(findConflict(seed, [dev, uat, seed])).toBeUndefined();
    const elsewhere = at('other', 4, { bootstrapServers: ['kafka.other:9092'] });
    expect(findConflict(elsewhere, [dev, uat, seed, elsewhere])).toBeUndefined();
  });

  test('one shared broker address is the same cluster (case and spacing aside)', () => {
    const a = at('a', 1, { bootstrapServers: ['Kafka-1.kafka:9092'] });
    const b = at('b', 2, { bootstrapServers: ['kafka-1.kafka:9092', 'kafka-2.kafka:9092'] });
    expect(findConflict(b, [a, b])?.holder).toBe('sync/a');
  });

  test('distinct topics but one consumer-group prefix: the groups conflict', () => {
    const a = at('a', 1, { topicPrefix: 'a.', consumerGroupPrefix: 'shared-' });
    const b = at('b', 2, { topicPrefix: 'b.', consumerGroupPrefix: 'shared-' });
    expect(findConflict(b, [a, b])).toMatchObject({
      topics: [],
      groups: ['shared-sms-consumer-group', 'shared-events-consumer-group', 'shared-common-consumer-group', 'shared-all-consumer-group'],
    });
  });

  test('an India pipeline and another-region one overlap only on the topics both have', () => {
    const india = at('india', 1, {}, 'sync', { region: 'india' });
    const other = at('other', 2);
    expect(findConflict(other, [india, other])!.topics).not.toContain('contacts_batched');
  });

  test('created in the same second: namespace/name decides, the same way from both sides', () => {
    const a = at('a', 1);
    const b = at('b', 1);
    expect(findConflict(a, [a, b])).toBeUndefined();
    expect(findConflict(b, [b, a])?.holder).toBe('sync/a');
  });
});
