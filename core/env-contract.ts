// The environment variables through which the operator configures the workload images.
// The DI_* names and ENABLED_TOPICS / KAFKA_CONSUMER_GROUP are the seed document's; the rest
// are optional additions documented in docs/api.md. One list, used by the operator's model
// when it renders pods and by the workloads when they read their configuration.
export const ENV = {
  postgresUsername: 'DI_POSTGRES_USERNAME',
  postgresPassword: 'DI_POSTGRES_PASSWORD',
  postgresHost: 'DI_POSTGRES_HOST',
  postgresPort: 'DI_POSTGRES_PORT',
  postgresDatabase: 'DI_POSTGRES_DATABASE',
  postgresSyncDatabase: 'DI_POSTGRES_SYNC_DATABASE',
  postgresSslMode: 'DI_POSTGRES_SSLMODE',
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
  enabledTopics: 'ENABLED_TOPICS',
  consumerGroup: 'KAFKA_CONSUMER_GROUP',
  port: 'PORT',
  logLevel: 'LOG_LEVEL',
} as const;

/** Port every workload's HTTP server (API, health, metrics) listens on; the seed's 8000. */
export const WORKLOAD_HTTP_PORT = 8000;
