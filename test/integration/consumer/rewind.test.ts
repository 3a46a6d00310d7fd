// A rewind on real Kafka with the real consumer: the SMS consumer stores two batches (the first
// stamped two minutes ago, the second one minute ago) and stops; the operator's rewind step
// (controller/rewind-step.ts, with its real Kafka admin client) moves the group's committed
// offsets back to a time between them; the consumer, started again, reads the second batch
// again and writes nothing twice: the counts in MongoDB stay as they were.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { rewindStep } from '../../../operator/controller/rewind-step.js';
import { TopicAdminPool } from '../../../operator/controller/topic-admin.js';
import { kafkaConfigFor } from '../../../operator/model/kafka/kafka-access.js';
import type { PipelineEvent } from '../../../operator/model/report/events.js';
import { ConsumerProcess, runMigrate } from '../../support/consumer-process.js';
import { pipeline } from '../../support/fixtures.js';
import { openSinkFixture, syncMessage, type SinkFixture } from '../../support/sink-fixture.js';
import { kafkaBrokers, uniqueName } from '../../support/services.js';
import { waitFor } from '../../support/wait.js';
import { COLLECTIONS } from '../../../core/sync-schema.js';
import { resolve } from '../../../operator/model/resolve.js';

const u = uniqueName('rw').replace(/-/g, '');
const prefix = `${u}.`;
const topic = `${prefix}sms_batched`;
const group = `${prefix}sms-consumer-group`;
const PER_BATCH = 12; // messages per batch
const RECORDS = 3; // records per message

let fixture: SinkFixture;
const pool = TopicAdminPool.forKafka();
const running: ConsumerProcess[] = [];
const p = pipeline({ dau: 60_000, kafka: { bootstrapServers: kafkaBrokers(), topicPrefix: prefix } }, u);

async function produce(tag: string, at: number): Promise<void> {
  const messages = Array.from({ length: PER_BATCH }, (_, i) => ({
    ...syncMessage(
      { client: 'acme', user: `user-${i % 5}` },
      'sms',
      Array.from({ length: RECORDS }, (_, r) => ({ id: r, sender: 'AX-BANK', body: `${tag} ${i}.${r}`, timestamp: at + i * 10 + r, type: 'inbox' })),
      `${u}-${tag}-${i}`,
    ),
    timestamp: String(at),
  }));
  await fixture.producer.send({ topic, acks: -1, messages });
}

async function consumer(): Promise<ConsumerProcess> {
  const c = await ConsumerProcess.start({ ...fixture.env(), ENABLED_TOPICS: topic, KAFKA_CONSUMER_GROUP: group });
  running.push(c);
  return c;
}

const stored = () => fixture.db.collection(COLLECTIONS.sms).countDocuments();

beforeAll(async () => {
  fixture = await openSinkFixture(`sync_${u}`, [topic], 'rewind-tests');
  expect((await runMigrate(fixture.env())).code).toBe(0);
}, 120000);

afterAll(async () => {
  for (const c of running) await c.stop();
  await pool.close();
  await fixture?.close();
});

test('rewind over records already stored: read again, written once, offsets where asked', async () => {
  const now = Date.now();
  await produce('older', now - 120_000);
  await produce('newer', now - 60_000);
  const first = await consumer();
  await waitFor('both batches stored', async () => (await first.metric('consumer_records_written_total')) === 2 * PER_BATCH * RECORDS, 90000, 500);
  const storedBefore = await stored();
  expect(storedBefore).toBe(2 * PER_BATCH * RECORDS);
  await first.stop(); // as its pods stop once the rewind removes the Deployment

  const toTime = new Date(now - 90_000).toISOString();
  const annotated = { ...p, metadata: { ...p.metadata, annotations: { 'mobileforge.credeau.com/rewind': JSON.stringify({ consumer: 'sms', toTime }) } } };
  const resolved = resolve(annotated);
  const config = kafkaConfigFor(resolved.kafka, () => undefined, 'rewind-tests');
  const events: PipelineEvent[] = [];
  const outcome = await rewindStep(annotated, resolved, {
    layout: { holding: 'split', switching: false },
    live: { deployments: [], pods: [] },
    admin: async () => pool.for(config, `tests/${u}`),
    evict: () => pool.evict(config, `tests/${u}`),
    recordEvents: async (e) => void events.push(...e),
    now: new Date(),
  });
  expect(outcome.status).toMatchObject({ phase: 'Completed', consumer: 'sms', toTime });
  expect(outcome.hold).toEqual([]);
  expect(events.map((e) => e.reason)).toEqual(['ConsumerRewound']);
  expect(events[0]!.message).toMatch(new RegExp(`; ${PER_BATCH} records to read again$`));

  // The group's offsets are where asked: on each partition, the first message of the newer batch.
  const kafkaAdmin = fixture.admin;
  const [committed] = await kafkaAdmin.fetchOffsets({ groupId: group, topics: [topic] });
  const atTime = await kafkaAdmin.fetchTopicOffsetsByTimestamp(topic, Date.parse(toTime));
  expect(committed!.partitions.map((x) => [x.partition, x.offset]).sort()).toEqual(atTime.map((x) => [x.partition, x.offset]).sort());
  const ends = await kafkaAdmin.fetchTopicOffsets(topic);
  const behind = ends.reduce((n, e) => n + Number(e.high) - Number(committed!.partitions.find((c) => c.partition === e.partition)!.offset), 0);
  expect(behind).toBe(PER_BATCH);

  const again = await consumer();
  await waitFor('the newer batch read again', async () => (await again.metric('consumer_messages_consumed_total')) >= PER_BATCH, 90000, 500);
  await new Promise((r) => setTimeout(r, 3000)); // anything read beyond would show now
  expect(await again.metric('consumer_messages_consumed_total')).toBe(PER_BATCH);
  expect(await again.metric('consumer_records_written_total')).toBe(0);
  expect(await again.metric('consumer_records_duplicate_total')).toBe(PER_BATCH * RECORDS);
  expect(await stored()).toBe(storedBefore);
}, 240000);
