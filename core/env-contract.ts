// The environment contract between the operator and the workload image: every variable's name
// and, where it has one, its default. The operator's model renders these names with these
// defaults, and the workloads read the same names and fall back to the same defaults, so the
// two cannot disagree. The DI_* names and ENABLED_TOPICS / KAFKA_CONSUMER_GROUP are the seed
// document's; the rest are optional additions documented in docs/api.md.
export const ENV = {
  postgresUsername: 'DI_POSTGRES_USERNAME',
  postgresPassword: 'DI_POSTGRES_PASSWORD',
  postgresHost: 'DI_POSTGRES_HOST',
  postgresPort: 'DI_POSTGRES_PORT',
  postgresDatabase: 'DI_POSTGRES_DATABASE',
  postgresSyncDatabase: 'DI_POSTGRES_SYNC_DATABASE',
  postgresSslMode: 'DI_POSTGRES_SSLMODE',
  postgresSslCaFile: 'DI_POSTGRES_SSL_CA_FILE',
  kafkaBrokers: 'DI_KAFKA_BROKER_ENDPOINT',
  kafkaTls: 'DI_KAFKA_TLS',
  kafkaTlsCaFile: 'DI_KAFKA_TLS_CA_FILE',
  kafkaSaslMechanism: 'DI_KAFKA_SASL_MECHANISM',
  kafkaSaslUsername: 'DI_KAFKA_SASL_USERNAME',
  kafkaSaslPassword: 'DI_KAFKA_SASL_PASSWORD',
  mongoUsername: 'DI_MONGODB_USERNAME',
  mongoPassword: 'DI_MONGODB_PASSWORD',
  mongoHost: 'DI_MONGODB_HOST',
  mongoPort: 'DI_MONGODB_PORT',
  mongoUri: 'DI_MONGODB_URI',
  mongoDatabase: 'DI_MONGODB_DATABASE',
  mongoEnabledSources: 'DI_MONGODB_ENABLED_SOURCES',
  mongoMaxPoolSize: 'DI_MONGODB_MAX_POOL_SIZE',
  mongoMinPoolSize: 'DI_MONGODB_MIN_POOL_SIZE',
  mongoServerSelectionTimeoutMs: 'DI_MONGODB_SERVER_SELECTION_TIMEOUT_MS',
  mongoConnectTimeoutMs: 'DI_MONGODB_CONNECT_TIMEOUT_MS',
  mongoSocketTimeoutMs: 'DI_MONGODB_SOCKET_TIMEOUT_MS',
  mongoRetryWrites: 'DI_MONGODB_RETRY_WRITES',
  mongoWaitQueueTimeoutMs: 'DI_MONGODB_WAIT_QUEUE_TIMEOUT_MS',
  mongoTls: 'DI_MONGODB_TLS',
  mongoTlsCaFile: 'DI_MONGODB_TLS_CA_FILE',
  enabledTopics: 'ENABLED_TOPICS',
  /** Prepended to the seed's topic names by the Producer API (unset: the seed's names). */
  topicPrefix: 'KAFKA_TOPIC_PREFIX',
  consumerGroup: 'KAFKA_CONSUMER_GROUP',
  /** The pipeline's region (india, other): the Producer API refuses the sources it excludes. */
  pipelineRegion: 'PIPELINE_REGION',
  port: 'PORT',
  /** The Producer API's Prometheus port: apart from the API port, so no Service or Ingress for the API exposes it. */
  metricsPort: 'METRICS_PORT',
  logLevel: 'LOG_LEVEL',
  /** The Producer API's per-client rate limit (spec.producer.rateLimit); unset: no limit. */
  rateLimitRequestsPerSecond: 'RATE_LIMIT_REQUESTS_PER_SECOND',
  rateLimitBurst: 'RATE_LIMIT_BURST',
  /** JSON object: client id -> { requestsPerSecond, burst }. */
  rateLimitOverrides: 'RATE_LIMIT_OVERRIDES',
  /** How many replicas share the limit: each enforces limit / this. */
  rateLimitReplicas: 'RATE_LIMIT_REPLICAS',
} as const;

/**
 * Who decides a variable of the Producer API and consumer containers. `spec`: the operator sets
 * it from these pipeline spec fields (paths below `spec`; some only when the field is set).
 * `fixed`: the operator sets it to a value of its own, for the reason given. `env`: the operator
 * never sets it; a pipeline's per-component `env` may.
 */
export type EnvSource = { readonly spec: readonly [string, ...string[]] } | { readonly fixed: string } | 'env';

/**
 * Which spec field drives each variable. The operator owns every variable not marked `env`:
 * admission refuses a per-component `env` entry naming one (operator/api/operator-env.ts), and
 * the model never lets such an entry replace the operator's value, because a second way to set
 * them would let one component disagree with the others or with the spec (a producer writing to
 * other topics than its consumers read, TLS checks the spec asks for turned off unseen). Typed
 * over every name of ENV, so a new variable cannot be added without saying who decides it.
 */
export const ENV_SOURCES: { readonly [K in keyof typeof ENV]: EnvSource } = {
  postgresUsername: { spec: ['postgres.credentialsSecretRef'] },
  postgresPassword: { spec: ['postgres.credentialsSecretRef'] },
  postgresHost: { spec: ['postgres.host'] },
  postgresPort: { spec: ['postgres.port'] },
  postgresDatabase: { spec: ['postgres.database'] },
  postgresSyncDatabase: { spec: ['postgres.syncDatabase'] },
  postgresSslMode: { spec: ['postgres.sslMode'] },
  postgresSslCaFile: { spec: ['postgres.ca'] },
  kafkaBrokers: { spec: ['kafka.bootstrapServers'] },
  kafkaTls: { spec: ['kafka.tls.enabled'] },
  kafkaTlsCaFile: { spec: ['kafka.tls.caSecretRef'] },
  kafkaSaslMechanism: { spec: ['kafka.sasl.mechanism'] },
  kafkaSaslUsername: { spec: ['kafka.sasl.credentialsSecretRef'] },
  kafkaSaslPassword: { spec: ['kafka.sasl.credentialsSecretRef'] },
  mongoUsername: { spec: ['mongodb.credentialsSecretRef'] },
  mongoPassword: { spec: ['mongodb.credentialsSecretRef'] },
  mongoHost: { spec: ['mongodb.host'] },
  mongoPort: { spec: ['mongodb.port'] },
  mongoUri: { spec: ['mongodb.uriSecretRef'] },
  mongoDatabase: { spec: ['mongodb.database'] },
  mongoEnabledSources: { spec: ['mongodb.enabledSources'] },
  mongoMaxPoolSize: { spec: ['mongodb.maxPoolSize'] },
  mongoMinPoolSize: { spec: ['mongodb.minPoolSize'] },
  mongoServerSelectionTimeoutMs: { spec: ['mongodb.serverSelectionTimeoutMs'] },
  mongoConnectTimeoutMs: { spec: ['mongodb.connectTimeoutMs'] },
  mongoSocketTimeoutMs: { spec: ['mongodb.socketTimeoutMs'] },
  mongoRetryWrites: { spec: ['mongodb.retryWrites'] },
  mongoWaitQueueTimeoutMs: { spec: ['mongodb.waitQueueTimeoutMs'] },
  mongoTls: { spec: ['mongodb.tls.enabled'] },
  mongoTlsCaFile: { spec: ['mongodb.tls.ca'] },
  enabledTopics: { spec: ['region', 'consumers.layout', 'kafka.topicPrefix'] },
  topicPrefix: { spec: ['kafka.topicPrefix'] },
  consumerGroup: { spec: ['kafka.consumerGroupPrefix', 'consumers.layout'] },
  pipelineRegion: { spec: ['region'] },
  port: 'env',
  metricsPort: { fixed: "the Producer API's metrics port, which its Service never exposes and the PodMonitor scrapes" },
  logLevel: 'env',
  rateLimitRequestsPerSecond: { spec: ['producer.rateLimit.requestsPerSecond'] },
  rateLimitBurst: { spec: ['producer.rateLimit.burst'] },
  rateLimitOverrides: { spec: ['producer.rateLimit.overrides'] },
  rateLimitReplicas: { spec: ['producer.minReplicas', 'producer.rateLimit'] },
};

/** Port every workload's HTTP server (API, health, readiness; consumers: metrics too) listens on; the seed's 8000. */
export const WORKLOAD_HTTP_PORT = 8000;

/** Port the Producer API serves /metrics on (METRICS_PORT): never behind the API's Service or Ingress. */
export const PRODUCER_METRICS_PORT = 9090;

/** What an unset variable means, on both sides of the contract. */
export const ENV_DEFAULTS = {
  postgresPort: 5432,
  postgresDatabase: 'api_insights_db',
  postgresSyncDatabase: 'sync_db',
  postgresSslMode: 'prefer',
  mongoPort: 27017,
  mongoDatabase: 'sync_db',
  mongoMaxPoolSize: 100,
  mongoMinPoolSize: 10,
  mongoServerSelectionTimeoutMs: 15000,
  mongoConnectTimeoutMs: 10000,
  mongoSocketTimeoutMs: 10000,
  mongoRetryWrites: true,
  mongoWaitQueueTimeoutMs: 2000,
} as const;

/** Variables of the database jobs (`migrate`, `partitions`: workloads/jobs/). */
export const JOB_ENV = {
  migrateDaysAhead: 'MIGRATE_DAYS_AHEAD',
  partitionDaysAhead: 'PARTITION_DAYS_AHEAD',
  partitionRetentionDays: 'PARTITION_RETENTION_DAYS',
} as const;

export const JOB_DEFAULTS = {
  /** Daily partitions created ahead of today. */
  daysAhead: 10,
  /** Daily partitions older than this are dropped. */
  retentionDays: 90,
} as const;
