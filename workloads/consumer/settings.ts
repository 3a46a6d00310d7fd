// Consumer configuration: the seed's variables (ENABLED_TOPICS, KAFKA_CONSUMER_GROUP,
// DI_KAFKA_BROKER_ENDPOINT, DI_POSTGRES_*, every DI_MONGODB_* knob) plus PORT and LOG_LEVEL.
import type { MongoClientOptions } from 'mongodb';
import { SOURCES, type Source } from '../../core/domain.js';
import { ConfigError, type EnvReader } from '../../core/config.js';
import { ENV } from '../../core/env-contract.js';

export interface ConsumerSettings {
  topics: string[];
  group: string;
  port: number;
  mongoUri: string;
  mongoDatabase: string;
  mongoOptions: MongoClientOptions;
  enabledSources: Set<Source> | 'all';
}

export function consumerSettings(r: EnvReader): ConsumerSettings {
  const topics = r
    .required(ENV.enabledTopics)
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (topics.length === 0) throw new ConfigError(`${ENV.enabledTopics} must list at least one topic`);
  const sourcesRaw = r
    .optional(ENV.mongoEnabledSources, '*')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  let enabledSources: Set<Source> | 'all' = 'all';
  if (!sourcesRaw.includes('*')) {
    const bad = sourcesRaw.filter((s) => !(SOURCES as readonly string[]).includes(s));
    if (bad.length) throw new ConfigError(`${ENV.mongoEnabledSources} has unknown sources: ${bad.join(', ')} (known: *, ${SOURCES.join(', ')})`);
    enabledSources = new Set(sourcesRaw as Source[]);
  }
  let mongoUri = r.optional(ENV.mongoUri, '');
  if (!mongoUri) {
    const host = r.required(ENV.mongoHost);
    const port = r.int(ENV.mongoPort, 27017, 1, 65535);
    const user = r.optional(ENV.mongoUsername, '');
    const auth = user ? `${encodeURIComponent(user)}:${encodeURIComponent(r.required(ENV.mongoPassword))}@` : '';
    mongoUri = `mongodb://${auth}${host}:${port}/`;
  }
  const minPool = r.int(ENV.mongoMinPoolSize, 10, 0);
  const maxPool = r.int(ENV.mongoMaxPoolSize, 100, 1);
  if (minPool > maxPool) throw new ConfigError(`${ENV.mongoMinPoolSize} (${minPool}) must not exceed ${ENV.mongoMaxPoolSize} (${maxPool})`);
  return {
    topics,
    group: r.required(ENV.consumerGroup),
    port: r.int(ENV.port, 8000, 0, 65535),
    mongoUri,
    mongoDatabase: r.optional(ENV.mongoDatabase, 'sync_db'),
    enabledSources,
    mongoOptions: {
      minPoolSize: minPool,
      maxPoolSize: maxPool,
      serverSelectionTimeoutMS: r.int(ENV.mongoServerSelectionTimeoutMs, 15000, 1),
      connectTimeoutMS: r.int(ENV.mongoConnectTimeoutMs, 10000, 1),
      socketTimeoutMS: r.int(ENV.mongoSocketTimeoutMs, 10000, 0),
      retryWrites: r.bool(ENV.mongoRetryWrites, true),
      waitQueueTimeoutMS: r.int(ENV.mongoWaitQueueTimeoutMs, 2000, 0),
    },
  };
}
