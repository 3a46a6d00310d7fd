// Small helpers shared by integration tests: unique names for isolation, and clients that
// fail with a message saying which service is down and how to start it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { logLevel } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { MongoClient } from 'mongodb';
import * as k8s from '@kubernetes/client-node';
import { packageRoot } from '../../operator/util/repo-root.js';
import { errorMessage } from '../../core/errors.js';

const HINT = 'start the test services with `npm run infra:up` (or point the tests at external ones, see docs/testing.md)';

/** A name unique to this test run, valid as a topic, database, namespace or collection. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`.toLowerCase();
}

class ServiceUnavailableError extends Error {
  constructor(service: string, where: string, cause: unknown) {
    super(`${service} is not reachable at ${where}: ${errorMessage(cause)}; ${HINT}`);
    this.name = 'ServiceUnavailableError';
  }
}

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; ${HINT}`);
  return v;
}

function pgConfig(database?: string): pg.ClientConfig {
  return {
    host: need('PGHOST'),
    port: Number(need('PGPORT')),
    user: need('PGUSER'),
    password: need('PGPASSWORD'),
    database: database ?? process.env.PGDATABASE ?? 'postgres',
    connectionTimeoutMillis: 5000,
  };
}

export async function connectPg(database?: string): Promise<pg.Client> {
  const cfg = pgConfig(database);
  const client = new pg.Client(cfg);
  try {
    await client.connect();
  } catch (err) {
    throw new ServiceUnavailableError('PostgreSQL', `${cfg.host}:${cfg.port}`, err);
  }
  return client;
}

/** Creates a fresh database for one suite and returns its name. */
export async function createTestDatabase(prefix = 'test'): Promise<string> {
  const name = uniqueName(prefix).replace(/-/g, '_');
  const admin = await connectPg();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return name;
}

export async function dropTestDatabase(name: string): Promise<void> {
  const admin = await connectPg();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** The seed's DI_POSTGRES_* variables (plus PATH) pointing a workload at the test PostgreSQL. */
export function workloadPostgresEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    DI_POSTGRES_HOST: need('PGHOST'),
    DI_POSTGRES_PORT: need('PGPORT'),
    DI_POSTGRES_USERNAME: need('PGUSER'),
    DI_POSTGRES_PASSWORD: need('PGPASSWORD'),
  };
}

export function kafkaBrokers(): string[] {
  return need('KAFKA_BROKERS').split(',');
}

/** A Kafka client of the test services' broker (or of `brokers`, e.g. the three-broker cluster). */
export function testKafka(clientId = 'mobileforge-test', brokers: string[] = kafkaBrokers()): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    retry: { retries: 2, initialRetryTime: 200 },
  });
}

/** Connects a Kafka admin client, failing fast with a clear message when the broker is down. */
export async function connectKafkaAdmin(kafka = testKafka()): Promise<ReturnType<Kafka['admin']>> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    await admin.disconnect().catch(() => undefined);
    throw new ServiceUnavailableError('Kafka', kafkaBrokers().join(','), err);
  }
  return admin;
}

export async function connectMongo(): Promise<MongoClient> {
  const uri = need('MONGODB_URI');
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 4000, connectTimeoutMS: 3000 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } catch (err) {
    await client.close().catch(() => undefined);
    throw new ServiceUnavailableError('MongoDB-wire server', uri, err);
  }
  return client;
}

export function testKubeConfig(): k8s.KubeConfig {
  const path = need('KUBECONFIG');
  if (!existsSync(path)) throw new ServiceUnavailableError('kube-apiserver', path, new Error('its kubeconfig does not exist'));
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** Fails with a clear message when the test API server does not answer /readyz. */
export async function requireKube(kc = testKubeConfig()): Promise<k8s.KubeConfig> {
  const server = kc.getCurrentCluster()?.server ?? '(no cluster)';
  try {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    if (!version.gitVersion) throw new Error('no version in /version');
  } catch (err) {
    throw new ServiceUnavailableError('kube-apiserver', server, err);
  }
  return kc;
}

/**
 * Stops or starts one local test service (test/infra), keeping its data: for outage tests
 * (Kafka, PostgreSQL or the MongoDB-wire server gone for a while, then back as it was).
 */
export function setServiceState(service: 'postgres' | 'kafka' | 'mongo', state: 'down' | 'up'): void {
  execFileSync('bash', [join(packageRoot(), 'test', 'infra', 'infra.sh'), state, service], { env: { ...process.env, KEEP_DATA: '1' }, stdio: 'ignore' });
}
