// Prometheus metrics of the operator (served at /metrics).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SyncPipeline } from '../api/v1alpha1.js';

const isReady = (p: SyncPipeline) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

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

  /**
   * Read at each scrape: the pipelines this replica reconciles (none until it leads), for the
   * per-pipeline gauges below. They report what each pipeline's status says, so a pipeline's
   * series exist exactly while it does. The pipeline's namespace is `pipeline_namespace`: a
   * scrape sets `namespace` to the operator pod's.
   */
  pipelinesSeen: () => readonly SyncPipeline[] = () => [];
  readonly pipelineReady: Gauge = new Gauge({
    name: 'mobileforge_pipeline_ready',
    help: "1 when the pipeline's Ready condition is True, else 0.",
    labelNames: ['pipeline_namespace', 'pipeline'],
    registers: [this.registry],
    collect: (): void => {
      this.pipelineReady.reset();
      for (const p of this.pipelinesSeen())
        this.pipelineReady.set({ pipeline_namespace: p.metadata.namespace ?? '', pipeline: p.metadata.name }, isReady(p) ? 1 : 0);
    },
  });
  readonly replicas: Gauge = new Gauge({
    name: 'mobileforge_pipeline_replicas',
    help: 'Replicas of each component as status.components reports them: ready, desired, and the autoscaler bounds min and max.',
    labelNames: ['pipeline_namespace', 'pipeline', 'component', 'kind'],
    registers: [this.registry],
    collect: (): void => {
      this.replicas.reset();
      for (const p of this.pipelinesSeen()) {
        for (const [component, counts] of Object.entries(p.status?.components ?? {})) {
          for (const kind of ['ready', 'desired', 'min', 'max'] as const) {
            this.replicas.set({ pipeline_namespace: p.metadata.namespace ?? '', pipeline: p.metadata.name, component, kind }, counts[kind]);
          }
        }
      }
    },
  });
  readonly consumerLag: Gauge = new Gauge({
    name: 'mobileforge_pipeline_consumer_lag',
    help: 'Records not yet committed by a consumer group, per topic, as status.flow reports them (read from Kafka at the flow interval, in every topic mode).',
    labelNames: ['pipeline_namespace', 'pipeline', 'consumer', 'group', 'topic'],
    registers: [this.registry],
    collect: (): void => {
      this.consumerLag.reset();
      for (const p of this.pipelinesSeen()) {
        for (const g of p.status?.flow?.groups ?? []) {
          for (const t of g.topics) {
            this.consumerLag.set(
              { pipeline_namespace: p.metadata.namespace ?? '', pipeline: p.metadata.name, consumer: g.consumer, group: g.group, topic: t.name },
              t.lag,
            );
          }
        }
      }
    },
  });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }
}
