// Prometheus metrics of the operator (served at /metrics).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'mobileforge_reconcile_total',
    help: 'Reconciles by result (success, error, requeue).',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'mobileforge_reconcile_duration_seconds',
    help: 'Time to reconcile one pipeline.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({ name: 'mobileforge_workqueue_depth', help: 'Pipelines waiting in the work queue.', registers: [this.registry] });
  readonly pipelines = new Gauge({
    name: 'mobileforge_pipelines',
    help: 'Pipelines by Ready condition status.',
    labelNames: ['ready'],
    registers: [this.registry],
  });
  readonly apiWrites = new Counter({
    name: 'mobileforge_api_write_requests_total',
    help: 'Write requests sent to the API server.',
    labelNames: ['verb', 'resource'],
    registers: [this.registry],
  });
  readonly apiErrors = new Counter({
    name: 'mobileforge_api_errors_total',
    help: 'Failed API server requests.',
    labelNames: ['verb', 'resource', 'code'],
    registers: [this.registry],
  });
  readonly kafkaRequests = new Counter({
    name: 'mobileforge_kafka_requests_total',
    help: "Requests the operator's Kafka admin clients sent (topics and, every flow interval, offsets), by Kafka API.",
    labelNames: ['api'],
    registers: [this.registry],
  });
  readonly leader = new Gauge({ name: 'mobileforge_leader', help: '1 when this replica holds the leader lease.', registers: [this.registry] });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }
}
