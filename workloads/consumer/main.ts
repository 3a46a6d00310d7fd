// A consumer process: `npm run consumer` locally, `consumer` in the workload image. Consumes
// ENABLED_TOPICS in KAFKA_CONSUMER_GROUP; the seed's sms, events and common consumers are
// three configurations of it.
import express from 'express';
import { logLevel } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { kafkaConfig, postgresConfig } from '../../core/config.js';
import { ENV } from '../../core/env-contract.js';
import { ConsumerEngine } from './consumer.js';
import { deadLetterTopic, isAuditTopic } from '../../core/domain.js';
import { AuditSink } from './audit-sink.js';
import { ConsumerMetrics } from './metrics.js';
import { consumerSettings } from './settings.js';
import { MongoSink, PostgresSink } from './sinks.js';
import { runService } from '../run-process.js';

runService({
  component: 'consumer',
  help: 'consumer: writes MobileForge sync topics to MongoDB and PostgreSQL. Configured by environment; see docs/consumer.md.',
  settings: (r) => ({
    s: consumerSettings(r),
    pgConfig: postgresConfig(r, ENV.postgresSyncDatabase),
    insightsConfig: consumerSettings(r).topics.some(isAuditTopic) ? postgresConfig(r, ENV.postgresDatabase) : undefined,
    kConfig: kafkaConfig(r, `mobileforge-consumer-${r.optional(ENV.consumerGroup, 'x')}`),
  }),
  start: async ({ s, pgConfig, insightsConfig, kConfig }, log) => {
    const metrics = new ConsumerMetrics();
    const pool = new pg.Pool({ ...pgConfig, max: 10, connectionTimeoutMillis: 5000 });
    pool.on('error', (err) => log.warn('postgres pool error', { error: err.message }));
    // The consumer that reads the audit topic writes its rows to the insights database.
    const insights = insightsConfig ? new pg.Pool({ ...insightsConfig, max: 4, connectionTimeoutMillis: 5000 }) : undefined;
    insights?.on('error', (err) => log.warn('postgres pool error', { database: 'insights', error: err.message }));
    const mongo = new MongoClient(s.mongoUri, s.mongoOptions);
    await mongo.connect();
    const kafka = new Kafka({ ...kConfig, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    // The dead-letter topics are the operator's (or, run by hand, the platform team's) to create,
    // with the pipeline's partitions, replication and retention. Without one, a poison message
    // cannot be set aside: its partition retries it and waits rather than drop it.
    const existing = new Set(await admin.listTopics());
    const missing = s.topics.map(deadLetterTopic).filter((t) => !existing.has(t));
    if (missing.length) log.warn('dead-letter topics missing: a poison message on their topics will wait until they exist', { topics: missing });
    await admin.disconnect();
    const dlq = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await dlq.connect();
    const consumer = kafka.consumer({ groupId: s.group, sessionTimeout: 30000, heartbeatInterval: 3000, maxBytesPerPartition: 4 * 1024 * 1024 });
    await consumer.connect();
    await consumer.subscribe({ topics: s.topics, fromBeginning: true });
    const engine = new ConsumerEngine({
      consumer,
      dlq,
      mongo: new MongoSink(mongo.db(s.mongoDatabase)),
      postgres: new PostgresSink(pool),
      ...(insights ? { audit: new AuditSink(insights) } : {}),
      enabledSources: s.enabledSources,
      metrics,
      log,
    });

    let running = true;
    await consumer.run({ eachBatchAutoResolve: false, autoCommit: true, partitionsConsumedConcurrently: 4, eachBatch: (p) => engine.handleBatch(p) });
    log.info('consuming', { topics: s.topics, group: s.group, enabledSources: s.enabledSources === 'all' ? '*' : [...s.enabledSources] });

    const app = express();
    app.get('/health', (_req, res) => void res.json({ status: running ? 'ok' : 'stopping' }));
    app.get('/ready', async (_req, res) => {
      const checks = await Promise.all([
        Promise.all([pool.query('SELECT 1'), insights?.query('SELECT 1')]).then(
          () => 'ok',
          (e: Error) => e.message,
        ),
        mongo
          .db('admin')
          .command({ ping: 1 })
          .then(
            () => 'ok',
            (e: Error) => e.message,
          ),
      ]);
      const ok = checks.every((c) => c === 'ok');
      res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks: { postgres: checks[0], mongodb: checks[1] } });
    });
    app.get('/metrics', async (_req, res) => void res.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
    const server = app.listen(s.port, () => log.info('http endpoints up', { port: s.port }));

    return {
      stop: async (signal) => {
        running = false;
        log.info('shutting down: finishing the in-flight batch, committing, leaving the group', { signal });
        await consumer.disconnect(); // waits for eachBatch to return, commits resolved offsets
        await dlq.disconnect();
        await mongo.close();
        await pool.end();
        await insights?.end();
        server.close();
      },
    };
  },
});
