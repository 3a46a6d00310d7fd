// Prometheus metrics of a consumer process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const FRESHNESS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];

export class ConsumerMetrics {
  readonly registry = new Registry();
  readonly consumed = new Counter({
    name: 'consumer_messages_consumed_total',
    help: 'Messages read from Kafka.',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly written = new Counter({
    name: 'consumer_records_written_total',
    help: 'Records written to their sink.',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly duplicates = new Counter({
    name: 'consumer_records_duplicate_total',
    help: 'Records already in the sink (redelivery), not written again.',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly skipped = new Counter({
    name: 'consumer_records_skipped_total',
    help: 'Records of sources not in DI_MONGODB_ENABLED_SOURCES: committed, not written.',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'consumer_messages_dead_lettered_total',
    help: 'Poison messages sent to <topic>.dlq.',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly sinkRejected = new Counter({
    name: 'consumer_sink_rejected_total',
    help: 'Messages a sink refused for good (by error code: encoding, field name, constraint, size), sent to <topic>.dlq.',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'consumer_sink_retries_total',
    help: 'Sink write retries after transient failures.',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly writeLatency = new Histogram({
    name: 'consumer_batch_write_seconds',
    help: 'Time to write one group of messages (one bulk write per sink, then their sync_requests rows).',
    labelNames: ['topic'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  // Freshness, split where it is spent: waiting in Kafka and in this consumer's fetch and batch
  // queue (taken), then the writes (written). Both count from the message's Kafka timestamp,
  // which the Producer API's client sets as it sends the accepted request.
  readonly taken = new Histogram({
    name: 'consumer_message_wait_seconds',
    help: "Time from a message's Kafka timestamp (sent by the Producer API) to this consumer taking it for writing.",
    labelNames: ['topic'],
    buckets: FRESHNESS_BUCKETS,
    registers: [this.registry],
  });
  readonly freshness = new Histogram({
    name: 'consumer_record_freshness_seconds',
    help: "Time from a message's Kafka timestamp (sent by the Producer API) to its records being written and readable.",
    labelNames: ['topic'],
    buckets: FRESHNESS_BUCKETS,
    registers: [this.registry],
  });
  readonly lag = new Gauge({
    name: 'consumer_lag_messages',
    help: 'Messages behind the partition end after the last batch.',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }
}
