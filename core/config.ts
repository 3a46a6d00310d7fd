// Reading workload configuration from the environment: every error names the variable.
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { MongoClientOptions } from 'mongodb';
import type pg from 'pg';
import { ENV, ENV_DEFAULTS } from './env-contract.js';

/** host:port of a Kafka broker (the CRD's bootstrapServers and DI_KAFKA_BROKER_ENDPOINT); RE2 and JavaScript syntax. */
export const BROKER_ADDRESS_PATTERN = '^[^:\\s]+:[0-9]{1,5}$';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export class EnvReader {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  required(name: string): string {
    const v = this.env[name];
    if (v === undefined || v.trim() === '') throw new ConfigError(`${name} is required`);
    return v.trim();
  }

  optional(name: string, fallback: string): string {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? fallback : v.trim();
  }

  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    throw new ConfigError(`${name} must be true or false (got "${raw}")`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.optional(name, fallback);
    if (!(allowed as readonly string[]).includes(v)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${v}")`);
    return v as T;
  }
}

export function postgresConfig(r: EnvReader, databaseVar: string = ENV.postgresDatabase): pg.PoolConfig {
  const sslmode = r.oneOf(ENV.postgresSslMode, ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const, ENV_DEFAULTS.postgresSslMode);
  return {
    host: r.required(ENV.postgresHost),
    port: r.int(ENV.postgresPort, ENV_DEFAULTS.postgresPort, 1, 65535),
    user: r.required(ENV.postgresUsername),
    password: r.required(ENV.postgresPassword),
    database: r.required(databaseVar),
    ...postgresTls(sslmode, r.optional(ENV.postgresSslCaFile, '')),
  };
}

/**
 * libpq's sslmode in node-postgres terms. `prefer` means no TLS here (node-postgres has no
 * opportunistic mode); `require` encrypts without checking the certificate; `verify-ca`
 * checks the chain but not the host name; `verify-full` checks both. The CA file (a mounted
 * bundle such as RDS's) is trusted in addition to the system's CAs (trustedCas).
 */
function postgresTls(sslmode: 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full', caFile: string): Pick<pg.PoolConfig, 'ssl'> {
  if (sslmode === 'disable' || sslmode === 'prefer') return {};
  if (sslmode === 'require') return { ssl: { rejectUnauthorized: false } };
  const ca = caFile ? { ca: trustedCas(readCaFile(ENV.postgresSslCaFile, caFile)) } : {};
  return { ssl: { rejectUnauthorized: true, ...ca, ...(sslmode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}) } };
}

/**
 * A CA bundle trusted in addition to Node's built-in root CAs. Node's TLS trusts only the `ca`
 * a connection is given, in place of its roots, and kafkajs, node-postgres and the MongoDB
 * driver hand theirs to it unchanged; so the roots go in as well. A private CA for one server
 * then never makes a publicly signed certificate untrusted (a managed Kafka or database behind
 * a public CA, or moving to one).
 */
function trustedCas(bundle: string): string[] {
  return [...rootCertificates, bundle];
}

function readCaFile(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${variable}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export function kafkaConfig(r: EnvReader, clientId: string): KafkaConfig {
  const brokers = r
    .required(ENV.kafkaBrokers)
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const address = new RegExp(BROKER_ADDRESS_PATTERN);
  if (brokers.some((b) => !address.test(b))) throw new ConfigError(`${ENV.kafkaBrokers} must be host:port[,host:port...] (got "${brokers.join(',')}")`);
  const cfg: KafkaConfig = { clientId, brokers };
  if (r.bool(ENV.kafkaTls, false)) {
    const caFile = r.optional(ENV.kafkaTlsCaFile, '');
    cfg.ssl = caFile ? { ca: trustedCas(readCaFile(ENV.kafkaTlsCaFile, caFile)) } : true;
  }
  const mechanism = r.optional(ENV.kafkaSaslMechanism, '');
  if (mechanism) {
    if (!['plain', 'scram-sha-256', 'scram-sha-512'].includes(mechanism))
      throw new ConfigError(`${ENV.kafkaSaslMechanism} must be plain, scram-sha-256 or scram-sha-512`);
    cfg.sasl = { mechanism, username: r.required(ENV.kafkaSaslUsername), password: r.required(ENV.kafkaSaslPassword) } as SASLOptions;
  }
  return cfg;
}

export interface MongoSettings {
  mongoUri: string;
  mongoDatabase: string;
  mongoOptions: MongoClientOptions;
}

/** The MongoDB connection: DI_MONGODB_URI, or host, port and optional credentials; pool and timeouts. */
export function mongoSettings(r: EnvReader): MongoSettings {
  let mongoUri = r.optional(ENV.mongoUri, '');
  if (!mongoUri) {
    const host = r.required(ENV.mongoHost);
    const port = r.int(ENV.mongoPort, ENV_DEFAULTS.mongoPort, 1, 65535);
    const user = r.optional(ENV.mongoUsername, '');
    const auth = user ? `${encodeURIComponent(user)}:${encodeURIComponent(r.required(ENV.mongoPassword))}@` : '';
    mongoUri = `mongodb://${auth}${host}:${port}/`;
  }
  const minPool = r.int(ENV.mongoMinPoolSize, ENV_DEFAULTS.mongoMinPoolSize, 0);
  const maxPool = r.int(ENV.mongoMaxPoolSize, ENV_DEFAULTS.mongoMaxPoolSize, 1);
  if (minPool > maxPool) throw new ConfigError(`${ENV.mongoMinPoolSize} (${minPool}) must not exceed ${ENV.mongoMaxPoolSize} (${maxPool})`);
  return {
    mongoUri,
    mongoDatabase: r.optional(ENV.mongoDatabase, ENV_DEFAULTS.mongoDatabase),
    mongoOptions: {
      minPoolSize: minPool,
      maxPoolSize: maxPool,
      serverSelectionTimeoutMS: r.int(ENV.mongoServerSelectionTimeoutMs, ENV_DEFAULTS.mongoServerSelectionTimeoutMs, 1),
      connectTimeoutMS: r.int(ENV.mongoConnectTimeoutMs, ENV_DEFAULTS.mongoConnectTimeoutMs, 1),
      socketTimeoutMS: r.int(ENV.mongoSocketTimeoutMs, ENV_DEFAULTS.mongoSocketTimeoutMs, 0),
      retryWrites: r.bool(ENV.mongoRetryWrites, ENV_DEFAULTS.mongoRetryWrites),
      waitQueueTimeoutMS: r.int(ENV.mongoWaitQueueTimeoutMs, ENV_DEFAULTS.mongoWaitQueueTimeoutMs, 0),
      ...mongoTls(r),
    },
  };
}

/**
 * TLS to MongoDB / DocumentDB: on with DI_MONGODB_TLS (or a CA file), trusting the given CA
 * bundle in addition to the system's CAs. Not as tlsCAFile: the driver reads that file into
 * `ca` alone, which replaces the built-in roots; and read here, a missing file fails at
 * start-up naming the variable rather than at the first connection.
 */
function mongoTls(r: EnvReader): Pick<MongoClientOptions, 'tls' | 'ca'> {
  const caFile = r.optional(ENV.mongoTlsCaFile, '');
  const ca = caFile ? trustedCas(readCaFile(ENV.mongoTlsCaFile, caFile)) : undefined;
  if (!r.bool(ENV.mongoTls, caFile !== '')) return {};
  return { tls: true, ...(ca ? { ca } : {}) };
}
