// The audit topic's rows (usage, unauthorized_requests) through a real consumer process into
// the insights database: each row stored once by its unique key however often it is delivered,
// what is not a row set aside in the DLQ, and the rows written before the key existed kept by
// the migration that adds it.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { RefusalRow, UsageRow } from '../../../core/audit-message.js';
import { AUDIT_TOPIC, deadLetterTopic } from '../../../core/domain.js';
import { migrateInsights } from '../../../core/insights-schema.js';
import { auditMessage } from '../../../workloads/producer/audit-publisher.js';
import { ConsumerProcess } from '../../support/consumer-process.js';
import { openSinkFixture, type SinkFixture } from '../../support/sink-fixture.js';
import { connectPg, uniqueName } from '../../support/services.js';
import { waitFor } from '../../support/wait.js';

const topic = `${uniqueName('audit')}.${AUDIT_TOPIC}`;
let fixture: SinkFixture;
let insights: pg.Client;

const usage = (i: number): UsageRow => ({
  kind: 'usage',
  id: randomUUID(),
  request_id: `r-${i}`,
  client_id: 'acme',
  api_name: 'sync/sms',
  response_code: i % 10 === 0 ? 503 : 202,
  created_at: new Date(Date.UTC(2026, 11, 6, 12, 0, i)).toISOString(),
});
const refusal = (i: number): RefusalRow => ({
  kind: 'refusal',
  id: randomUUID(),
  client_id: i === 0 ? null : `claimed-${i}`,
  source_address: '10.0.0.1',
  reason: 'AUTH_INVALID',
  request_id: `bad-${i}`,
  auth_token: 'bogus',
  req_body: '{"reason":"AUTH_INVALID"}',
  count: 100 + i,
  created_at: new Date(Date.UTC(2026, 11, 6, 12, i, 0)).toISOString(),
});

async function count(sql: string): Promise<number> {
  return Number((await insights.query<{ n: string }>(sql)).rows[0]!.n);
}

beforeAll(async () => {
  fixture = await openSinkFixture(`audit_${uniqueName('m').replace(/-/g, '')}`, [topic], 'audit-rows-test');
  insights = await connectPg(fixture.insightsDb);
  // The tables as they were before rows had ids: two identical rows (nothing kept them apart).
  await insights.query(`CREATE TABLE usage (
     request_id varchar(64) NOT NULL, client_id varchar(72) NOT NULL, api_name text NOT NULL,
     response_code integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now()
   ) PARTITION BY RANGE (created_at)`);
  await insights.query('CREATE TABLE usage_default PARTITION OF usage DEFAULT');
  for (let i = 0; i < 2; i++) await insights.query(`INSERT INTO usage VALUES ('old', 'acme', 'sync/sms', 202, '2026-11-01T00:00:00Z')`);
  await migrateInsights(insights);
}, 60000);

afterAll(async () => {
  await insights?.end();
  await fixture?.close();
});

test('the migration adds the unique key and keeps the rows written before it', async () => {
  expect(await count(`SELECT count(*) AS n FROM usage WHERE request_id = 'old' AND id IS NULL`)).toBe(2);
  const index = await insights.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = 'usage_id'`);
  expect(index.rows[0]?.indexdef).toMatch(/UNIQUE INDEX usage_id ON (ONLY )?(public\.)?usage USING btree \(id, created_at\)/);
});

test('every row once, however often it is delivered; what is not a row goes to the DLQ; a second reading stores nothing more', async () => {
  const rows = [...Array.from({ length: 50 }, (_, i) => usage(i)), ...Array.from({ length: 5 }, (_, i) => refusal(i))];
  // Each row twice (a send repeated after a failure Kafka had in fact taken), then two messages that are no rows.
  await fixture.producer.send({ topic, acks: -1, messages: [...rows, ...rows].map(auditMessage) });
  await fixture.producer.send({
    topic,
    acks: -1,
    messages: [
      { key: 'x', value: 'not json' },
      { key: 'y', value: JSON.stringify({ ...refusal(9), count: -1 }) },
    ],
  });
  const env = { ...fixture.env(), ENABLED_TOPICS: topic, KAFKA_CONSUMER_GROUP: uniqueName('audit-group') };
  const first = await ConsumerProcess.start(env);
  try {
    await waitFor('the rows', async () => ((await count(`SELECT count(*) AS n FROM usage WHERE id IS NOT NULL`)) >= 50 ? true : undefined), 60000);
    await waitFor('the dead letters', async () => ((await first.metric('consumer_messages_dead_lettered_total')) >= 2 ? true : undefined), 30000);
    await waitFor('every message taken', async () => ((await first.metric('consumer_records_duplicate_total')) >= 55 ? true : undefined), 30000);
  } finally {
    await first.stop();
  }
  expect(await count(`SELECT count(*) AS n FROM usage WHERE id IS NOT NULL`)).toBe(50);
  expect(await count(`SELECT count(*) AS n FROM usage WHERE id IS NOT NULL AND response_code = 503`)).toBe(5);
  expect(await count(`SELECT count(*) AS n FROM unauthorized_requests`)).toBe(5);
  expect(await count(`SELECT sum(count) AS n FROM unauthorized_requests`)).toBe(5 * 100 + 10);
  const stored = (await insights.query<{ id: string }>(`SELECT id FROM usage WHERE id IS NOT NULL`)).rows.map((r) => r.id).sort();
  expect(stored).toEqual(
    rows
      .filter((r) => r.kind === 'usage')
      .map((r) => r.id)
      .sort(),
  );
  const dlq = await fixture.admin.fetchTopicOffsets(deadLetterTopic(topic));
  expect(dlq.reduce((n, o) => n + Number(o.high), 0)).toBe(2);

  // Everything delivered once more, from the start (a new group): nothing more is stored.
  const second = await ConsumerProcess.start({ ...env, KAFKA_CONSUMER_GROUP: uniqueName('audit-group') });
  try {
    await waitFor('the second reading', async () => ((await second.metric('consumer_records_duplicate_total')) >= 110 ? true : undefined), 60000);
    expect(await second.metric('consumer_records_written_total')).toBe(0);
  } finally {
    await second.stop();
  }
  expect(await count(`SELECT count(*) AS n FROM usage`)).toBe(52);
  expect(await count(`SELECT count(*) AS n FROM unauthorized_requests`)).toBe(5);
}, 180000);
