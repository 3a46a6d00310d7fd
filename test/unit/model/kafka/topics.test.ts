import { describe, expect, test } from '@jest/globals';
import { ENVIRONMENTS, MAX_DAU } from '../../../../operator/api/v1alpha1.js';
import { defaultReplicationFactor } from '../../../../operator/model/defaults.js';
import { resolve, resolveSizing } from '../../../../operator/model/resolve.js';
import { CALIBRATION } from '../../../../operator/model/sizing/capacity.js';
import { ladderFor, sizeFor } from '../../../../operator/model/sizing/ladder.js';
import { desiredTopics, pipelineTopicNames } from '../../../../operator/model/kafka/topics.js';
import { pipeline } from '../../../support/fixtures.js';

// The seed's topic table: name, partitions, replication factor, and India's exclusions.
const SEED_TOPICS = [
  ['sms_batched', 16, 3, true],
  ['events_log', 20, 3, true],
  ['apps_and_device_batched', 10, 3, true],
  ['contacts_batched', 10, 3, false],
  ['call_logs_batched', 10, 3, false],
] as const;

/** The seed's data topics, without their dead-letter topics, the audit topic and the clients topic. */
const topicsFor = (spec: Parameters<typeof pipeline>[0], existing = {}) =>
  allTopicsFor(spec, existing).filter((t) => t.role === 'data' && t.topic !== 'usage_audit');
const allTopicsFor = (spec: Parameters<typeof pipeline>[0], existing = {}) => {
  const p = pipeline(spec);
  return desiredTopics(resolveSizing(p.spec), existing);
};

describe('topics', () => {
  test.each(SEED_TOPICS)('%s: %i partitions, RF %i in production up to 100K DAU', (name, partitions, rf, _inIndia) => {
    const t = topicsFor({ dau: 100_000 }).find((x) => x.name === name);
    expect(t).toMatchObject({ partitions, replicationFactor: rf });
  });

  test('India has no contacts or call-logs topics', () => {
    const india = topicsFor({ region: 'india' }).map((t) => t.name);
    expect(india).toEqual(SEED_TOPICS.filter(([, , , inIndia]) => inIndia).map(([n]) => n));
  });

  test('replication factor is 1 in dev unless set, min.insync.replicas follows it', () => {
    expect(topicsFor({ environment: 'dev' }).map((t) => [t.replicationFactor, t.config['min.insync.replicas']])).toEqual(Array(5).fill([1, '1']));
    expect(topicsFor({ environment: 'uat' })[0]).toMatchObject({ replicationFactor: 3, config: { 'min.insync.replicas': '2' } });
    expect(topicsFor({ environment: 'dev', kafka: { bootstrapServers: ['k:9092'], replicationFactor: 2 } })[0]!.replicationFactor).toBe(2);
  });

  test("partitions grow to the consuming deployment's max replicas", () => {
    // 100K: sms max 16 = 16, events 10 < 20, common 10 = 10: the seed's counts stand
    const t = Object.fromEntries(topicsFor({ dau: 100_000 }).map((x) => [x.name, x.partitions]));
    expect(t).toEqual({ sms_batched: 16, events_log: 20, apps_and_device_batched: 10, contacts_batched: 10, call_logs_batched: 10 });
    // an override of the consumer's max replicas counts too
    const o = topicsFor({ consumers: { sms: { maxReplicas: 48 } } }).find((x) => x.name === 'sms_batched');
    expect(o?.partitions).toBe(48);
    const common = topicsFor({ consumers: { common: { maxReplicas: 20 } } }).filter((x) => x.consumer === 'common');
    expect(common.map((x) => x.partitions)).toEqual([20, 20, 20]);
  });

  test("an explicit partition count below the consumer's max replicas is raised to it", () => {
    // the sms consumer may scale to 32; 4 partitions would leave 28 of them idle
    const t = topicsFor({
      consumers: { sms: { maxReplicas: 32 } },
      kafka: { bootstrapServers: ['k:9092'], topics: { sms_batched: { partitions: 4 }, events_log: { partitions: 64 } } },
    });
    expect(Object.fromEntries(t.map((x) => [x.name, x.partitions]))).toMatchObject({ sms_batched: 32, events_log: 64 });
  });

  test('partitions are never decreased: a topic keeps what it has when the DAU, the overrides or the sizing model would want fewer', () => {
    // e.g. topics created when 1M DAU was sized by multiplying the 100K row (sms up to 160 consumers)
    const existing = { sms_batched: 160, events_log: 100, apps_and_device_batched: 100 };
    const t = topicsFor({ dau: 1_000_000, region: 'india' }, existing);
    expect(Object.fromEntries(t.map((x) => [x.name, x.partitions]))).toEqual(existing);
    expect(topicsFor({ dau: 1_000 }, existing).find((x) => x.name === 'sms_batched')!.partitions).toBe(160);
  });

  test('per-topic overrides apply, but never below what the topic already has', () => {
    const spec = { kafka: { bootstrapServers: ['k:9092'], topics: { events_log: { partitions: 24, config: { 'retention.ms': '1000' } } } } };
    const events = topicsFor(spec).find((x) => x.name === 'events_log');
    expect(events).toMatchObject({ partitions: 24, config: { 'retention.ms': '1000', 'min.insync.replicas': '2' } });
    expect(
      topicsFor(spec, { events_log: 30, sms_batched: 64 })
        .filter((x) => x.name === 'events_log' || x.name === 'sms_batched')
        .map((x) => x.partitions),
    ).toEqual([64, 30]);
  });
});

describe('the audit and clients topics', () => {
  test('the audit topic is read by the common consumer (single: all), sized like the common topics, with a dead-letter topic', () => {
    const all = allTopicsFor({ dau: 100_000 });
    expect(all.find((t) => t.name === 'usage_audit')).toMatchObject({ role: 'data', consumer: 'common', partitions: 10, replicationFactor: 3 });
    expect(all.find((t) => t.name === 'usage_audit.dlq')).toMatchObject({ role: 'dead-letter', partitions: 1 });
    expect(allTopicsFor({ consumers: { layout: 'single' } }).find((t) => t.name === 'usage_audit')?.consumer).toBe('all');
    // more partitions when the consumer may scale beyond them, never fewer than it has
    expect(allTopicsFor({ consumers: { common: { maxReplicas: 24 } } }).find((t) => t.name === 'usage_audit')?.partitions).toBe(24);
    expect(allTopicsFor({}, { usage_audit: 40 }).find((t) => t.name === 'usage_audit')?.partitions).toBe(40);
  });

  test('the clients topic: compacted, one partition, kept forever, read by no consumer group', () => {
    const clients = allTopicsFor({ dau: 100_000 }).find((t) => t.name === 'sync_clients');
    expect(clients).toEqual({
      name: 'sync_clients',
      topic: 'sync_clients',
      role: 'clients',
      partitions: 1,
      replicationFactor: 3,
      config: { 'min.insync.replicas': '2', 'cleanup.policy': 'compact', 'retention.ms': '-1' },
    });
  });
});

describe('dead-letter topics and prefixes', () => {
  test('every topic has a dead-letter topic beside it: one partition, the same replication, kept two weeks', () => {
    const all = allTopicsFor({ dau: 100_000 });
    expect(all.map((t) => t.name)).toEqual([...SEED_TOPICS.flatMap(([n]) => [n, `${n}.dlq`]), 'usage_audit', 'usage_audit.dlq', 'sync_clients']);
    for (const dlq of all.filter((t) => t.role === 'dead-letter')) {
      expect(dlq).toMatchObject({ partitions: 1, replicationFactor: 3, config: { 'min.insync.replicas': '2', 'retention.ms': String(14 * 86_400_000) } });
    }
    // never fewer partitions than the topic has (someone raised them by hand)
    expect(allTopicsFor({}, { 'sms_batched.dlq': 4 }).find((t) => t.name === 'sms_batched.dlq')?.partitions).toBe(4);
  });

  test('a topic prefix names every topic and dead-letter topic of the pipeline, and nothing else changes', () => {
    const plain = allTopicsFor({ region: 'india' });
    const prefixed = allTopicsFor({ region: 'india', kafka: { bootstrapServers: ['k:9092'], topicPrefix: 'uat.' } });
    expect(prefixed.map((t) => t.name)).toEqual([
      'uat.sms_batched',
      'uat.sms_batched.dlq',
      'uat.events_log',
      'uat.events_log.dlq',
      'uat.apps_and_device_batched',
      'uat.apps_and_device_batched.dlq',
      'uat.usage_audit',
      'uat.usage_audit.dlq',
      'uat.sync_clients',
    ]);
    expect(prefixed.map(({ name: _n, ...rest }) => rest)).toEqual(plain.map(({ name: _n, ...rest }) => rest));
    expect(pipelineTopicNames(resolve(pipeline({ region: 'india', kafka: { bootstrapServers: ['k:9092'], topicPrefix: 'uat.' } })))).toEqual(
      prefixed.map((t) => t.name),
    );
  });
});

describe('replication on small clusters', () => {
  const rfAndIsr = (spec: Parameters<typeof pipeline>[0]) => {
    const t = topicsFor(spec)[0]!;
    return [t.replicationFactor, t.config['min.insync.replicas']];
  };

  test('the default never exceeds the smallest broker count the plan recommends for the DAU', () => {
    expect(ladderFor(25_000).kafkaBrokers.min).toBe(1);
    expect(rfAndIsr({ dau: 25_000, environment: 'production' })).toEqual([1, '1']);
    expect(rfAndIsr({ dau: 50_000, environment: 'production' })).toEqual([3, '2']);
    expect(rfAndIsr({ dau: 25_000, environment: 'uat' })).toEqual([1, '1']);
    expect(rfAndIsr({ dau: 180_000, environment: 'uat' })).toEqual([3, '2']);
    expect(rfAndIsr({ dau: 500_000, environment: 'dev' })).toEqual([1, '1']);
  });

  test('an explicit replication factor is kept as asked', () => {
    expect(rfAndIsr({ dau: 25_000, environment: 'production', kafka: { bootstrapServers: ['k:9092'], replicationFactor: 3 } })).toEqual([3, '2']);
  });
});

test("the API's default replication factor (also used by admission) is min(3, the plan's smallest broker count)", () => {
  for (const dau of [1, 24_999, 25_000, 25_001, 50_000, 100_000, 180_000, 1_000_000]) {
    for (const environment of ['uat', 'production'] as const) {
      expect(defaultReplicationFactor(environment, dau)).toBe(Math.min(3, ladderFor(dau).kafkaBrokers.min));
    }
    expect(defaultReplicationFactor('dev', dau)).toBe(1);
  }
});

test('unless set explicitly, the replication factor is never above the recommended broker count, over a dense DAU sweep', () => {
  for (let dau = 1; dau <= MAX_DAU; dau += dau < 200_000 ? 499 : 49_999) {
    for (const environment of ENVIRONMENTS) {
      const p = pipeline({ dau, environment });
      const s = sizeFor(p.spec);
      for (const t of desiredTopics(resolveSizing(p.spec, CALIBRATION, s))) {
        expect(t.replicationFactor).toBeLessThanOrEqual(s.kafkaBrokers.min);
        expect(Number(t.config['min.insync.replicas'])).toBeLessThanOrEqual(t.replicationFactor);
      }
    }
  }
});
