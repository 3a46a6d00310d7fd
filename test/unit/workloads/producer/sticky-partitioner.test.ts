import { describe, expect, test } from '@jest/globals';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { stickyPartitioner } from '../../../../workloads/producer/kafka-sink.js';

const partitionMetadata = Array.from({ length: 16 }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
const args = (topic: string, key: string): PartitionerArgs => ({ topic, partitionMetadata, message: { key, value: 'v' } });

describe('stickyPartitioner', () => {
  test('keyed topics keep the default partitioner: one key, one partition', () => {
    const ours = stickyPartitioner(['usage_audit'])();
    const byKey = Partitioners.DefaultPartitioner();
    for (const key of ['acme:u1', 'acme:u2', 'bharat:u1']) expect(ours(args('sms_batched', key))).toBe(byKey(args('sms_batched', key)));
  });

  test('a sticky topic gets one partition for a run of messages, then moves on, spreading over all of them', () => {
    let r = 0;
    const ours = stickyPartitioner(['usage_audit'], 10, () => ((r = (r + 7) % 16), r / 16))();
    const seen = Array.from({ length: 160 }, (_, i) => ours(args('usage_audit', `row-${i}`)));
    for (let run = 0; run < 16; run++) expect(new Set(seen.slice(run * 10, run * 10 + 10)).size).toBe(1);
    expect(new Set(seen).size).toBe(16);
  });
});
