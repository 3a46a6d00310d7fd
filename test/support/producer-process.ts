// Runs the real Producer API (dist/workloads/producer/main.js) against the test PostgreSQL
// and Kafka, and collects everything that lands on the pipeline topics.
import { logLevel, type Consumer } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { AUDIT_TOPIC, CLIENTS_TOPIC, deadLetterTopic, TOPICS } from '../../core/domain.js';
import { parseMessage, type SyncMessage } from '../../core/message.js';
import { ManagedProcess, freePort } from './managed-process.js';
import { ConsumerProcess } from './consumer-process.js';
import type pg from 'pg';
import type { Admin } from 'kafkajs';
import { migrateInsights } from '../../core/insights-schema.js';
import type { TopicName } from '../../core/domain.js';
import type { SyncBatch } from '../../workloads/client/sync-client.js';
import { connectKafkaAdmin, connectPg, createTestDatabase, dropTestDatabase, kafkaBrokers, uniqueName, workloadPostgresEnv } from './services.js';
import { waitFor } from './wait.js';

export class ProducerProcess extends ManagedProcess {
  static async start(database: string, env: Record<string, string> = {}): Promise<ProducerProcess> {
    const port = await freePort();
    const metricsPort = await freePort();
    const p = new ProducerProcess('producer', ['workloads', 'producer', 'main.js'], port, metricsPort, {
      ...workloadPostgresEnv(),
      DI_POSTGRES_DATABASE: database,
      DI_POSTGRES_SYNC_DATABASE: database,
      DI_KAFKA_BROKER_ENDPOINT: kafkaBrokers().join(','),
      AUDIT_FLUSH_MS: '100',
      // Refusal rows are written as their window ends: 1 s, not a minute, so tests see them soon.
      REFUSAL_WINDOW_SECONDS: '1',
      LOG_LEVEL: 'info',
      ...env,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
    });
    p.spawn();
    await p.waitUntil('answering /health', () => p.httpOk('/health'), 20000);
    return p;
  }

  constructor(
    name: string,
    script: string[],
    port: number,
    /** Where /metrics is served: a port of its own, not the API's. */
    readonly metricsPort: number,
    env: NodeJS.ProcessEnv,
  ) {
    super(name, script, port, env);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get metricsUrl(): string {
    return `http://127.0.0.1:${this.metricsPort}/metrics`;
  }

  override async metrics(): Promise<string> {
    return (await fetch(this.metricsUrl)).text();
  }
}

/** Everything on a pipeline's topics (the seed's names behind `topicPrefix`) from now on, decoded, for tests to filter. */
export class TopicRecorder {
  readonly messages: { topic: string; partition: number; offset: number; key: string; message: SyncMessage; headers: Record<string, string> }[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(topicPrefix = ''): Promise<TopicRecorder> {
    const topics = TOPICS.map((t) => `${topicPrefix}${t}`);
    const kafka = new Kafka({ clientId: 'producer-tests', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    // From the end of each topic as it is now (unprefixed topics may hold a large history);
    // tests tell their messages apart by unique ids.
    const admin = kafka.admin();
    await admin.connect();
    const start = new Map<string, { partition: number; offset: string }[]>();
    // Topics created a moment ago may still be electing leaders: refresh and ask again.
    const offsets = (topic: string) =>
      waitFor(
        `${topic} offsets`,
        () => admin.fetchTopicOffsets(topic).catch(() => admin.fetchTopicMetadata({ topics: [topic] }).then(() => undefined)),
        5000,
        500,
      );
    for (const topic of topics)
      start.set(
        topic,
        (await offsets(topic)).map((o) => ({ partition: o.partition, offset: o.high })),
      );
    await admin.disconnect();
    const consumer = kafka.consumer({ groupId: uniqueName('recorder'), sessionTimeout: 10000, heartbeatInterval: 1000, retry: { retries: 20 } });
    const rec = new TopicRecorder(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    let assigned!: () => void;
    const ready = new Promise<void>((r) => (assigned = r));
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [topic, offsets] of start) for (const o of offsets) consumer.seek({ topic, partition: o.partition, offset: o.offset });
      assigned();
    });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        rec.messages.push({
          topic,
          partition,
          offset: Number(message.offset),
          key: message.key?.toString() ?? '',
          message: parseMessage(message.value!),
          headers,
        });
      },
    });
    await ready;
    return rec;
  }

  forRequest(requestId: string): TopicRecorder['messages'] {
    return this.messages.filter((m) => m.message.request_id === requestId);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/**
 * The topics a Producer API needs beside the data topics it writes to, under `prefix`: the audit
 * topic (with its dead-letter topic) and the compacted clients topic, as the operator creates them.
 */
export function pipelineSideTopics(
  prefix: string,
): { topic: string; numPartitions: number; replicationFactor: number; configEntries?: { name: string; value: string }[] }[] {
  return [
    { topic: `${prefix}${AUDIT_TOPIC}`, numPartitions: 3, replicationFactor: 1 },
    { topic: deadLetterTopic(`${prefix}${AUDIT_TOPIC}`), numPartitions: 1, replicationFactor: 1 },
    { topic: `${prefix}${CLIENTS_TOPIC}`, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
  ];
}

/**
 * The consumer that writes a pipeline's audit rows (usage, unauthorized_requests) to `database`:
 * the real consumer process reading only the audit topic under `prefix`, in a group of its own.
 */
export function startAuditConsumer(database: string, prefix: string): Promise<ConsumerProcess> {
  return ConsumerProcess.start({
    DI_POSTGRES_DATABASE: database,
    DI_POSTGRES_SYNC_DATABASE: database,
    ENABLED_TOPICS: `${prefix}${AUDIT_TOPIC}`,
    KAFKA_CONSUMER_GROUP: uniqueName('audit'),
  });
}

/**
 * What a Producer API suite of its own needs: a migrated insights database, its topics under a
 * prefix nothing else uses (as a pipeline with spec.kafka.topicPrefix gets), the consumer that
 * writes its audit rows, and a Kafka admin; `close()` removes all of it.
 */
export class ProducerFixture {
  private constructor(
    /** The suite's database (insights and sync in one). */
    readonly db: string,
    readonly pg: pg.Client,
    readonly admin: Admin,
    readonly prefix: string,
    /** The suite's topics, full names. */
    readonly topics: string[],
    /** Writes the audit topic's rows to `db`. */
    readonly auditConsumer: ConsumerProcess,
  ) {}

  static async create(name: string, topics: readonly TopicName[] = ['sms_batched']): Promise<ProducerFixture> {
    const db = await createTestDatabase(name);
    const client = await connectPg(db);
    await migrateInsights(client);
    const admin = await connectKafkaAdmin();
    const prefix = `${uniqueName(name)}.`;
    const created = [...topics.map((t) => ({ topic: `${prefix}${t}`, numPartitions: 1, replicationFactor: 1 })), ...pipelineSideTopics(prefix)];
    await admin.createTopics({ topics: created, waitForLeaders: true });
    const auditConsumer = await startAuditConsumer(db, prefix);
    return new ProducerFixture(
      db,
      client,
      admin,
      prefix,
      created.map((t) => t.topic),
      auditConsumer,
    );
  }

  /** A Producer API process on this fixture's database and topics. */
  start(env: Record<string, string> = {}): Promise<ProducerProcess> {
    return ProducerProcess.start(this.db, { KAFKA_TOPIC_PREFIX: this.prefix, ...env });
  }

  async addClient(clientId: string, authToken: string, geography = 'other'): Promise<void> {
    await this.pg.query('INSERT INTO clients (client_id, auth_token, geography) VALUES ($1, $2, $3)', [clientId, authToken, geography]);
  }

  async close(): Promise<void> {
    await this.auditConsumer.stop();
    await this.admin.deleteTopics({ topics: this.topics }).catch(() => undefined);
    await this.admin.disconnect();
    await this.pg.end();
    await dropTestDatabase(this.db);
  }
}

/** A one-record SMS batch with a new request id. */
export function oneSms(sdkVersion = '2.4.0'): SyncBatch {
  return {
    request_id: uniqueName('req'),
    user_id: 'user-1',
    sdk_version: sdkVersion,
    device: { device_id: 'd-1' },
    records: [{ id: 'sms-1', sender: 'AX-BANK', body: 'hello', timestamp: 1764000000000, type: 'inbox' }],
  };
}
