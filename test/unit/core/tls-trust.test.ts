// A CA bundle given for Kafka, PostgreSQL or MongoDB is trusted in addition to the system's
// CAs: Node's TLS (and so kafkajs, node-postgres and the MongoDB driver) trusts only the `ca` it
// is given, so the connection settings must carry the built-in roots as well as the bundle.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { MongoClient } from 'mongodb';
import { EnvReader, kafkaConfig, mongoSettings, postgresConfig } from '../../../core/config.js';

// The settings pass the file's text through unparsed; its content only has to be recognisable.
const PRIVATE_CA = '-----BEGIN CERTIFICATE-----\nTUlJQnByaXZhdGUgdGVzdCBDQQ==\n-----END CERTIFICATE-----\n';

let dir: string;
let caFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ca-trust-'));
  caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, PRIVATE_CA);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The trusted CAs of a TLS option set: every built-in root and the given bundle, nothing else. */
function expectSystemRootsAndBundle(ca: unknown): void {
  expect(Array.isArray(ca)).toBe(true);
  const list = ca as unknown[];
  expect(rootCertificates.length).toBeGreaterThan(100);
  expect(list).toEqual([...rootCertificates, PRIVATE_CA]);
}

const base = {
  DI_POSTGRES_USERNAME: 'u',
  DI_POSTGRES_PASSWORD: 'p',
  DI_POSTGRES_HOST: 'db.example.com',
  DI_POSTGRES_DATABASE: 'api_insights_db',
  DI_KAFKA_BROKER_ENDPOINT: 'kafka.example.com:9093',
  DI_MONGODB_HOST: 'docdb.example.com',
};

describe('a CA bundle adds to the system CAs, never replaces them', () => {
  test('Kafka: ssl.ca holds the built-in roots and the bundle', () => {
    const cfg = kafkaConfig(new EnvReader({ ...base, DI_KAFKA_TLS: 'true', DI_KAFKA_TLS_CA_FILE: caFile }), 'x');
    expect(typeof cfg.ssl).toBe('object');
    expectSystemRootsAndBundle((cfg.ssl as { ca?: unknown }).ca);
  });

  test('Kafka without a bundle: TLS on Node defaults (the built-in roots)', () => {
    expect(kafkaConfig(new EnvReader({ ...base, DI_KAFKA_TLS: 'true' }), 'x').ssl).toBe(true);
  });

  test.each(['verify-full', 'verify-ca'])('PostgreSQL %s: ssl.ca holds the built-in roots and the bundle', (mode) => {
    const cfg = postgresConfig(new EnvReader({ ...base, DI_POSTGRES_SSLMODE: mode, DI_POSTGRES_SSL_CA_FILE: caFile }));
    const ssl = cfg.ssl as { ca?: unknown; rejectUnauthorized?: boolean };
    expect(ssl.rejectUnauthorized).toBe(true);
    expectSystemRootsAndBundle(ssl.ca);
  });

  test('PostgreSQL verify-full without a bundle: Node defaults (the built-in roots)', () => {
    const cfg = postgresConfig(new EnvReader({ ...base, DI_POSTGRES_SSLMODE: 'verify-full' }));
    expect(cfg.ssl).toEqual({ rejectUnauthorized: true });
  });

  test('MongoDB: ca holds the built-in roots and the bundle, and no tlsCAFile for the driver to read in their place', () => {
    const s = mongoSettings(new EnvReader({ ...base, DI_MONGODB_TLS_CA_FILE: caFile }));
    expect(s.mongoOptions.tls).toBe(true);
    expect(s.mongoOptions.tlsCAFile).toBeUndefined();
    expectSystemRootsAndBundle(s.mongoOptions.ca);
    // The driver keeps the list as given (it reads tlsCAFile into ca only when ca is unset) and
    // hands it to tls.connect; constructing the client does not connect.
    const client = new MongoClient(s.mongoUri, s.mongoOptions);
    expect(client.options.tls).toBe(true);
    expectSystemRootsAndBundle(client.options.ca);
  });

  test('MongoDB with TLS but without a bundle: the driver on Node defaults (the built-in roots)', () => {
    const s = mongoSettings(new EnvReader({ ...base, DI_MONGODB_TLS: 'true' }));
    expect(s.mongoOptions).toMatchObject({ tls: true });
    expect(s.mongoOptions.ca).toBeUndefined();
    expect(s.mongoOptions.tlsCAFile).toBeUndefined();
  });
});
