// Audit rows (usage, unauthorized_requests) go to the pipeline's audit topic, not to
// PostgreSQL: Kafka is replicated and shared by every replica, so a row it acknowledged
// survives the pod, a rollout and a PostgreSQL outage; the consumer of the audit topic writes
// it, once, by its id (core/audit-message.ts).
//
// The usage row of an accepted request is not queued here: it goes with the request's data, in
// the same produce request, and the 202 waits for both (app.ts). What is queued here are the
// rows of answers that promised nothing (errors, refusals): they are produced in the
// background, every interval, in bounded queues, one per table, so a flood of refusals can
// neither delay nor push out usage rows. A row keeps its id across attempts, so a batch sent
// again after a failure that Kafka did take is stored once.
import type { Message } from 'kafkajs';
import type { AuditRow, AuditTable } from '../../core/audit-message.js';
import { auditTable } from '../../core/audit-message.js';
import type { MessageSink } from './kafka-sink.js';

export interface AuditPublisherOptions {
  /** The audit topic's name on the cluster (the pipeline's prefix included). */
  topic: string;
  flushIntervalMs: number;
  /** Rows per produce request. */
  maxBatch: number;
  /** Rows waiting per table at most; beyond it the oldest are dropped (onDropped). */
  maxQueued: number;
  onDropped?: (table: AuditTable, n: number) => void;
  onPublished?: (table: AuditTable, n: number) => void;
  onError?: (err: unknown) => void;
}

/** A row as a message of the audit topic: its id is the key, so rows spread over the partitions. */
export function auditMessage(row: AuditRow): Message {
  return { key: row.id, value: JSON.stringify(row) };
}

export class AuditPublisher {
  private readonly queues: Record<AuditTable, AuditRow[]> = { usage: [], unauthorized_requests: [] };
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly sink: Pick<MessageSink, 'send'>,
    private readonly opts: AuditPublisherOptions,
  ) {}

  get topic(): string {
    return this.opts.topic;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    this.timer.unref();
  }

  add(row: AuditRow): void {
    const table = auditTable(row);
    const queue = this.queues[table];
    if (queue.length >= this.opts.maxQueued) {
      queue.shift();
      this.opts.onDropped?.(table, 1);
    }
    queue.push(row);
  }

  /** Rows waiting for Kafka, per table. */
  pending(table: AuditTable): number {
    return this.queues[table].length;
  }

  /** Produces what is queued, usage rows first; a batch Kafka did not take goes back to its queue's head. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      for (const table of ['usage', 'unauthorized_requests'] as const) {
        const queue = this.queues[table];
        while (queue.length > 0) {
          const batch = queue.splice(0, this.opts.maxBatch);
          try {
            await this.sink.send(this.opts.topic, batch.map(auditMessage));
            this.opts.onPublished?.(table, batch.length);
          } catch (err) {
            this.opts.onError?.(err);
            const room = this.opts.maxQueued - queue.length;
            if (room < batch.length) this.opts.onDropped?.(table, batch.length - Math.max(0, room));
            queue.unshift(...batch.slice(0, Math.max(0, room)));
            return;
          }
        }
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops the timer and produces what is queued, once more. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.flushing) await this.flushing;
    await this.flush();
  }
}
