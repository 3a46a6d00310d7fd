// A switch of consumer layout on real Kafka with the real consumer processes: the split
// consumers (an SMS group and an events group) store a first batch and stop; more is produced
// while nothing consumes; the operator's Kafka admin hands the split groups' committed offsets
// to the single layout's group (model/kafka/layout-switch.ts); the single consumer, reading both
// topics in that group, then reads exactly what the split consumers had not: nothing lost,
// nothing read twice.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { handOver, type LayoutGroup } from '../../../operator/model/kafka/layout-switch.js';
import { TopicAdminPool } from '../../../operator/controller/topic-admin.js';
import { ConsumerProcess, runMigrate } from '../../support/consumer-process.js';
import { openSinkFixture, syncMessage, type SinkFixture } from '../../support/sink-fixture.js';
import { kafkaBrokers, uniqueName } from '../../support/services.js';
import { waitFor } from '../../support/wait.js';

const u = uniqueName('ls').replace(/-/g, '');
const topics = { sms: `sms-${u}`, events: `events-${u}` };
const split: LayoutGroup[] = [
  { consumer: 'sms', group: `${u}-sms-consumer-group`, topics: [topics.sms] },
  { consumer: 'events', group: `${u}-events-consumer-group`, topics: [topics.events] },
];
const single: LayoutGroup[] = [{ consumer: 'all', group: `${u}-all-consumer-group`, topics: [topics.sms, topics.events] }];
const BEFORE = 30; // messages per topic the split consumers store
const DURING = 20; // messages per topic produced while nothing consumes
const RECORDS = 2; // records per message

let fixture: SinkFixture;
const pool = TopicAdminPool.forKafka();
const running: ConsumerProcess[] = [];

async function produce(n: number, tag: string): Promise<void> {
  for (const [source, topic] of [
    ['sms', topics.sms],
    ['events', topics.events],
  ] as const) {
    const messages = Array.from({ length: n }, (_, i) =>
      syncMessage(
        { client: 'acme', user: `user-${i % 7}` },
        source,
        Array.from({ length: RECORDS }, (_, r) =>
          source === 'sms'
            ? { id: r, sender: 'AX-BANK', body: `${tag} ${i}.${r}`, timestamp: 1764000000000 + i * 10 + r, type: 'inbox' }
            : { event_type: 'app_open', event_value: `${tag} ${i}.${r}`, timestamp: 1764000000000 + i * 10 + r },
        ),
        `${u}-${tag}-${source}-${i}`,
      ),
    );
    await fixture.producer.send({ topic, acks: -1, messages });
  }
}

async function consumer(groups: LayoutGroup[]): Promise<ConsumerProcess[]> {
  const started = await Promise.all(
    groups.map((g) => ConsumerProcess.start({ ...fixture.env(), ENABLED_TOPICS: g.topics.join(','), KAFKA_CONSUMER_GROUP: g.group })),
  );
  running.push(...started);
  return started;
}

const consumed = async (ps: ConsumerProcess[]) => (await Promise.all(ps.map((p) => p.metric('consumer_messages_consumed_total')))).reduce((a, b) => a + b, 0);
const written = async (ps: ConsumerProcess[]) => (await Promise.all(ps.map((p) => p.metric('consumer_records_written_total')))).reduce((a, b) => a + b, 0);
const duplicates = async (ps: ConsumerProcess[]) => (await Promise.all(ps.map((p) => p.metric('consumer_records_duplicate_total')))).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  fixture = await openSinkFixture(`sync_${u}`, Object.values(topics), 'layout-switch-tests');
  expect((await runMigrate(fixture.env())).code).toBe(0);
}, 120000);

afterAll(async () => {
  for (const p of running) await p.stop();
  await pool.close();
  await fixture?.close();
});

test('split -> single: the single group resumes where each split group stopped', async () => {
  await produce(BEFORE, 'before');
  const splitConsumers = await consumer(split);
  // written, not only read: a batch is counted as consumed before its write completes
  await waitFor('the split consumers through the first batch', async () => (await written(splitConsumers)) === 2 * BEFORE * RECORDS, 90000, 500);
  // As the old Deployments' pods stop: each commits what it stored and leaves its group.
  const splitWritten = await written(splitConsumers);
  for (const p of splitConsumers) await p.stop();

  await produce(DURING, 'during');

  const admin = pool.for({ clientId: 'layout-switch-tests', brokers: kafkaBrokers() }, `tests/${u}`);
  const states = await admin.groupStates([...split, ...single]);
  expect(states.map((s) => s.members)).toEqual([0, 0, 0]);
  const decision = handOver(split, single, states);
  if ('waiting' in decision) throw new Error(decision.waiting);
  // every partition the split groups read from, at the offset they stopped at
  const handed = decision.commits.flatMap((c) => c.partitions.map((p) => p.offset)).reduce((a, b) => a + b, 0);
  expect(handed).toBe(2 * BEFORE);
  await admin.commitOffsets(decision.commits);

  const [all] = await consumer(single);
  await waitFor('the single consumer through the rest', async () => (await written([all!])) >= 2 * DURING * RECORDS, 90000, 500);
  // a little longer: anything read twice would show up now
  await new Promise((r) => setTimeout(r, 3000));
  expect(await consumed([all!])).toBe(2 * DURING);
  expect(splitWritten + (await written([all!]))).toBe(2 * (BEFORE + DURING) * RECORDS);
  expect(await duplicates([all!])).toBe(0);
  // and the single group now holds the newest offsets: a switch back would hand these over
  const after = await admin.groupStates(single);
  const committed = Object.values(after[0]!.committed).flatMap((parts) => Object.values(parts));
  expect(committed.reduce((a, b) => a + b, 0)).toBe(2 * (BEFORE + DURING));
}, 240000);
