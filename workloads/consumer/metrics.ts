// Prometheus metrics of a consumer process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
    help: "Time to write one message's records.",
    labelNames: ['topic'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
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
