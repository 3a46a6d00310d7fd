// Prometheus metrics of the Producer API.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditTable } from '../../core/audit-message.js';

/** Client ids with a series of their own in producer_rate_limited_total, per process. */
export const RATE_LIMITED_CLIENT_LABELS = 50;

export class ProducerMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'producer_requests_total',
    help: 'Sync requests by source and HTTP status.',
    labelNames: ['source', 'code'],
    registers: [this.registry],
  });
  readonly records = new Counter({
    name: 'producer_records_total',
    help: 'Records acknowledged by Kafka, by source.',
    labelNames: ['source'],
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'producer_request_duration_seconds',
    help: 'Sync request latency.',
    labelNames: ['source'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: 'producer_auth_failures_total',
    help: 'Failed authentications by code.',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly unboundTokens = new Counter({
    name: 'producer_auth_unbound_tokens_total',
    help: 'Requests authenticated with a version 1 token, bound to no request (AUTH_ACCEPT_UNBOUND_TOKENS): zero for a while means the SDKs have moved to version 2.',
    registers: [this.registry],
  });
  readonly refusalsDropped = new Counter({
    name: 'producer_refusal_rows_dropped_total',
    help: 'Refused requests given no unauthorized_requests row of their own: their (client id, address, reason) key was beyond REFUSAL_MAX_KEYS in its minute; they are counted in the minute\'s "(other)" row.',
    registers: [this.registry],
  });
  readonly kafkaFailures = new Counter({
    name: 'producer_kafka_failures_total',
    help: 'Requests answered 503 because Kafka could not take the data.',
    registers: [this.registry],
  });
  readonly auditDropped = new Counter({
    name: 'producer_audit_rows_dropped_total',
    help: 'usage / unauthorized_requests rows dropped before Kafka took them: Kafka unavailable so long that their queue (100,000 rows per table) was full.',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly staleClients = new Counter({
    name: 'producer_client_cache_stale_total',
    help: 'Authentications answered from an expired client cache entry because PostgreSQL could not be read.',
    registers: [this.registry],
  });
  /** Read at each scrape: the rows of a table waiting for Kafka. */
  auditQueued: (table: AuditTable) => number = () => 0;
  readonly auditQueuedRows: Gauge = new Gauge({
    name: 'producer_audit_rows_queued',
    help: "usage / unauthorized_requests rows of answers other than 202 waiting in memory for Kafka (an accepted request's usage row goes with its data).",
    labelNames: ['table'],
    registers: [this.registry],
    collect: (): void => {
      for (const table of ['usage', 'unauthorized_requests'] as const) this.auditQueuedRows.set({ table }, this.auditQueued(table));
    },
  });
  readonly auditWritten = new Counter({
    name: 'producer_audit_rows_written_total',
    help: "usage / unauthorized_requests rows Kafka acknowledged on the audit topic, produced in the background (an accepted request's usage row, which goes with its data, is not counted here).",
    labelNames: ['table'],
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'producer_rate_limited_total',
    help: `Sync requests refused 429 by the per-client rate limit, by client id: the first ${RATE_LIMITED_CLIENT_LABELS} client ids refused get a label of their own, later ones count under "other".`,
    labelNames: ['client_id'],
    registers: [this.registry],
  });
  private readonly rateLimitedLabels = new Set<string>();

  /**
   * Counts a refusal. The label set is bounded per process: the client ids are authenticated
   * (rows of the clients table), but a pipeline may have many clients, and a series per client
   * ever throttled would grow without end; the first ones refused are usually the ones to see.
   */
  countRateLimited(clientId: string): void {
    if (!this.rateLimitedLabels.has(clientId) && this.rateLimitedLabels.size < RATE_LIMITED_CLIENT_LABELS) this.rateLimitedLabels.add(clientId);
    this.rateLimited.inc({ client_id: this.rateLimitedLabels.has(clientId) ? clientId : 'other' });
  }

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }
}
