// Consumer configuration: the seed's variables (ENABLED_TOPICS, KAFKA_CONSUMER_GROUP,
// DI_KAFKA_BROKER_ENDPOINT, DI_POSTGRES_*, every DI_MONGODB_* knob) plus PORT and LOG_LEVEL.
import { SOURCES, type Source } from '../../core/domain.js';
import { ConfigError, mongoSettings, type EnvReader, type MongoSettings } from '../../core/config.js';
import { ENV, WORKLOAD_HTTP_PORT } from '../../core/env-contract.js';

export interface ConsumerSettings extends MongoSettings {
  topics: string[];
  group: string;
  port: number;
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
  return {
    topics,
    group: r.required(ENV.consumerGroup),
    port: r.int(ENV.port, WORKLOAD_HTTP_PORT, 0, 65535),
    ...mongoSettings(r),
    enabledSources,
  };
}
