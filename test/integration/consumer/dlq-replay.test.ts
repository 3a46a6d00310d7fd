// Dead letters back, on real Kafka, PostgreSQL and the real consumer, through the CLI as a user
// runs it: the pipeline and its Kafka Secrets (SCRAM credentials, the cluster's CA) are read
// from the test API server, and the CLI reaches Kafka over SASL_SSL with them. An events record
// is refused by PostgreSQL during a "schema incident" (a CHECK constraint) and dead-lettered;
// the constraint goes; `dlq replay` sends it back: stored exactly once, `dlq list` shows it
// replayed, and a second replay sends nothing.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { main } from '../../../operator/cli/mobileforge.js';
import { ConsumerProcess, runMigrate } from '../../support/consumer-process.js';
import { pipeline } from '../../support/fixtures.js';
import { createNamespace, deleteNamespace, installPipelineCrd } from '../../support/kube.js';
import { requireKube, uniqueName } from '../../support/services.js';
import { openSinkFixture, syncMessage, type SinkFixture } from '../../support/sink-fixture.js';
import { waitFor } from '../../support/wait.js';

const u = uniqueName('dlq').replace(/-/g, '');
const prefix = `${u}.`;
const topic = `${prefix}events_log`;
const dlq = `${topic}.dlq`;
const group = `${prefix}events-consumer-group`;

let fixture: SinkFixture;
let kc: k8s.KubeConfig;
let namespace: string;
const running: ConsumerProcess[] = [];

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['dlq', ...args, '--pipeline', 'acme', '-n', namespace], {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    stdin: () => '',
    kubeConfig: () => kc,
  });
  return { code, out, err };
}

const rows = async (value: string) =>
  Number((await fixture.pgSync.query<{ n: string }>('SELECT count(*) AS n FROM sync_events_log WHERE event_value = $1', [value])).rows[0]!.n);

beforeAll(async () => {
  kc = await requireKube();
  await installPipelineCrd(kc);
  namespace = await createNamespace(kc, 'dlq');
  fixture = await openSinkFixture(`sync_${u}`, [topic], 'dlq-replay-tests');
  expect((await runMigrate(fixture.env())).code).toBe(0);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const secret = (name: string, data: Record<string, string>) => core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData: data } });
  await secret('acme-kafka-user', {
    username: process.env.KAFKA_SCRAM_USERNAME!,
    password: readFileSync(process.env.KAFKA_SCRAM_PASSWORD_FILE!, 'utf8').trim(),
  });
  await secret('kafka-cluster-ca-cert', { 'ca.crt': readFileSync(process.env.KAFKA_CA_FILE!, 'utf8') });
  const p = pipeline(
    {
      dau: 60_000,
      kafka: {
        bootstrapServers: process.env.KAFKA_SASL_BROKERS!.split(','),
        topicPrefix: prefix,
        tls: { enabled: true, caSecretRef: { name: 'kafka-cluster-ca-cert' } },
        sasl: { mechanism: 'scram-sha-512', credentialsSecretRef: { name: 'acme-kafka-user' } },
      },
    },
    'acme',
  );
  const { uid: _uid, generation: _generation, ...metadata } = p.metadata;
  await kc.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({
    group: 'mobileforge.credeau.com',
    version: 'v1alpha1',
    namespace,
    plural: 'syncpipelines',
    body: { ...p, metadata: { ...metadata, namespace } },
  });
}, 120000);

afterAll(async () => {
  for (const c of running) await c.stop();
  await fixture?.close();
  if (namespace) await deleteNamespace(kc, namespace);
});

test('a record refused by a sink is replayed once the cause is gone: stored once, listed as replayed, a second replay sends nothing', async () => {
  // The incident: PostgreSQL refuses one kind of row (a CHECK, SQLSTATE 23514: permanent).
  await fixture.pgSync.query("ALTER TABLE sync_events_log ADD CONSTRAINT schema_incident CHECK (event_value <> 'refused')");
  const consumer = await ConsumerProcess.start({ ...fixture.env(), ENABLED_TOPICS: topic, KAFKA_CONSUMER_GROUP: group });
  running.push(consumer);
  const event = (value: string, i: number) =>
    syncMessage({ client: 'acme', user: `user-${i}` }, 'events', [{ event_type: 'app_open', event_value: value, timestamp: 1764000000000 + i }], `${u}-${i}`);
  await fixture.producer.send({ topic, acks: -1, messages: [event('fine', 1), event('refused', 2), event('fine too', 3)] });
  await waitFor('the refused record dead-lettered', async () => (await consumer.metric('consumer_messages_dead_lettered_total')) === 1, 60000, 500);
  expect(await rows('fine')).toBe(1);
  expect(await rows('refused')).toBe(0);

  const listed = await cli('list');
  expect(listed.err).toBe('');
  expect(listed.code).toBe(0);
  expect(listed.out).toMatch(new RegExp(`${dlq.replace(/\./g, '\\.')}\\s+sink rejected: PostgreSQL refused the data \\(SQLSTATE N: .*\\s1\\s+1\\s`));

  const shown = await cli('show', '--topic', 'events_log');
  expect(shown.code).toBe(0);
  expect(shown.out).toContain(`"topic": "${topic}"`);
  expect(shown.out).toContain('"attempts": 3');
  expect(shown.out).toContain('"records": "(1 records redacted; --reveal prints them)"');
  expect(shown.out).not.toContain('refused"'); // the record's value stays hidden
  expect(shown.out).toMatch(/1 of 1 messages/);

  // A dry run sends nothing and records nothing.
  const dry = await cli('replay', '--topic', 'events_log', '--dry-run');
  expect(dry.out).toMatch(/would replay 1; kept in the DLQ 0; outside the filter 0; dealt with before 0/);
  const [before] = await fixture.admin.fetchTopicOffsets(topic).then((o) => [o.reduce((n, p) => n + Number(p.high), 0)]);

  // A filter that selects nothing leaves it for later.
  const narrow = await cli('replay', '--topic', 'events_log', '--reason', 'MongoDB');
  expect(narrow.out).toMatch(/replayed 0; kept in the DLQ 0; outside the filter 1; dealt with before 0/);

  await fixture.pgSync.query('ALTER TABLE sync_events_log DROP CONSTRAINT schema_incident');
  const replay = await cli('replay', '--topic', 'events_log', '--since', '1h');
  expect(replay.err).toBe('');
  expect(replay.out).toMatch(/replayed 1; kept in the DLQ 0; outside the filter 0; dealt with before 0/);
  const after = (await fixture.admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  expect(after).toBe(before! + 1);
  await waitFor('the replayed record stored', async () => (await rows('refused')) === 1, 60000, 500);

  const again = await cli('replay', '--topic', 'events_log');
  expect(again.out).toMatch(/replayed 0; kept in the DLQ 0; outside the filter 0; dealt with before 1/);
  expect((await fixture.admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0)).toBe(after);
  expect((await cli('list')).out).toMatch(/\s1\s+0\s/); // 1 message, 0 pending
  await new Promise((r) => setTimeout(r, 2000)); // a second write would show now
  expect(await rows('refused')).toBe(1);
  expect(await rows('fine')).toBe(1);
  expect(await consumer.metric('consumer_messages_dead_lettered_total')).toBe(1);
}, 240000);

test('a record refused again after a replay comes back with its replay count, and past the bound it stays in the DLQ', async () => {
  const consumer = running[0]!;
  await fixture.pgSync.query("ALTER TABLE sync_events_log ADD CONSTRAINT still_broken CHECK (event_value <> 'stubborn')");
  try {
    const deadBefore = await consumer.metric('consumer_messages_dead_lettered_total');
    await fixture.producer.send({
      topic,
      acks: -1,
      messages: [
        syncMessage({ client: 'acme', user: 'user-9' }, 'events', [{ event_type: 'app_open', event_value: 'stubborn', timestamp: 1764000000009 }], `${u}-9`),
      ],
    });
    await waitFor(
      'the stubborn record dead-lettered',
      async () => (await consumer.metric('consumer_messages_dead_lettered_total')) === deadBefore + 1,
      60000,
      500,
    );
    // The cause is not fixed: replayed once, refused again, back in the DLQ with its count.
    const first = await cli('replay', '--topic', 'events_log', '--max-replays', '1');
    expect(first.out).toMatch(/replayed 1; kept in the DLQ 0; outside the filter 0; dealt with before 1/);
    await waitFor('refused again', async () => (await consumer.metric('consumer_messages_dead_lettered_total')) === deadBefore + 2, 60000, 500);
    const shown = await cli('show', '--topic', 'events_log', '--limit', '10');
    expect(shown.out).toContain('"replayCount": 1');
    // Past the bound: it stays, and is dealt with (a third run finds nothing to do).
    const second = await cli('replay', '--topic', 'events_log', '--max-replays', '1');
    expect(second.out).toMatch(/replayed 0; kept in the DLQ 1; outside the filter 0; dealt with before 2\n {2}kept: replayed 1 times already \(bound 1\)/);
    const third = await cli('replay', '--topic', 'events_log', '--max-replays', '1');
    expect(third.out).toMatch(/replayed 0; kept in the DLQ 0; outside the filter 0; dealt with before 3/);
    expect(await fixture.pgSync.query("SELECT 1 FROM sync_events_log WHERE event_value = 'stubborn'").then((r) => r.rowCount)).toBe(0);
  } finally {
    await fixture.pgSync.query('ALTER TABLE sync_events_log DROP CONSTRAINT still_broken');
  }
}, 240000);
