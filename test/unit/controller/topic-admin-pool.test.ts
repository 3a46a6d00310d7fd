import { describe, expect, test } from '@jest/globals';
import type { KafkaConfig } from 'kafkajs';
import { TopicAdminPool, type TopicAdmin } from '../../../operator/controller/topic-admin.js';

/** An admin that only records whether it was closed. */
function fakeAdmin(closed: Set<TopicAdmin>): TopicAdmin {
  const admin: TopicAdmin = {
    partitions: async () => ({}),
    ensure: async () => [],
    delete: async () => undefined,
    flow: async () => ({ lag: {}, produced: 0 }),
    groupStates: async () => [],
    commitOffsets: async () => undefined,
    offsetsAt: async () => ({}),
    close: async () => void closed.add(admin),
  };
  return admin;
}

describe('TopicAdminPool', () => {
  const cluster: KafkaConfig = { brokers: ['kafka:9092'] };
  const setup = () => {
    const closed = new Set<TopicAdmin>();
    let made = 0;
    const pool = new TopicAdminPool(() => (made++, fakeAdmin(closed)));
    return { pool, closed, made: () => made };
  };

  test('one client per pipeline on a cluster, reused across its reconciles', () => {
    const { pool, made } = setup();
    const a = pool.for(cluster, 'sync/a');
    expect(pool.for({ ...cluster }, 'sync/a')).toBe(a);
    expect(pool.for(cluster, 'sync/b')).not.toBe(a);
    expect(pool.for({ brokers: ['other:9092'] }, 'sync/a')).not.toBe(a);
    expect(made()).toBe(3);
  });

  test('evict drops one client; release closes every client of a pipeline that is gone, and only those', async () => {
    const { pool, closed } = setup();
    const a = pool.for(cluster, 'sync/a');
    const a2 = pool.for({ brokers: ['other:9092'] }, 'sync/a');
    const b = pool.for(cluster, 'sync/b');
    const ab = pool.for(cluster, 'sync/ab');
    await pool.evict(cluster, 'sync/a');
    expect(closed.has(a)).toBe(true);
    expect(pool.for(cluster, 'sync/a')).not.toBe(a);
    await pool.release('sync/a');
    expect(closed.has(a2)).toBe(true);
    expect(closed.has(b) || closed.has(ab)).toBe(false);
  });
});
