// The consumer loop: batches from Kafka, each message written to its sink, offsets committed
// only after the writes of those messages succeeded. A transient sink failure pauses the
// partition and retries with backoff (nothing skipped, per-key order kept); a poison message
// goes to `<topic>.dlq` with headers saying why and where from, and the partition moves on.
import type { Consumer, EachBatchPayload, Producer } from 'kafkajs';
import type { Logger } from '../shared/log.js';
import type { Source } from '../shared/domain.js';
import type { SyncMessage } from '../shared/message.js';
import type { ConsumerMetrics } from './metrics.js';
import { PoisonRecordError, type MongoSink, type PostgresSink } from './sinks.js';
import { decodeAndValidate, PoisonMessageError } from './validate.js';

export const dlqTopic = (topic: string) => `${topic}.dlq`;

export interface ConsumerEngineOptions {
  consumer: Consumer;
  dlq: Producer;
  mongo: MongoSink;
  postgres: PostgresSink;
  /** Sources written to MongoDB; others are committed and counted as skipped. */
  enabledSources: Set<Source> | 'all';
  metrics: ConsumerMetrics;
  log: Logger;
  retry?: { initialMs: number; maxMs: number };
}

export class ConsumerEngine {
  constructor(private readonly o: ConsumerEngineOptions) {}

  private mongoEnabled(source: Source): boolean {
    return this.o.enabledSources === 'all' || this.o.enabledSources.has(source);
  }

  /** Writes one message; throws on a transient failure, PoisonRecordError on bad records. */
  private async write(m: SyncMessage, topic: string): Promise<'written' | 'skipped'> {
    const started = process.hrtime.bigint();
    let result;
    if (m.source === 'events') result = await this.o.postgres.writeEvents(m);
    else if (this.mongoEnabled(m.source)) result = await this.o.mongo.write(m);
    else {
      this.o.metrics.skipped.inc({ topic }, m.records.length);
      await this.o.postgres.recordRequest(m);
      return 'skipped';
    }
    await this.o.postgres.recordRequest(m);
    this.o.metrics.written.inc({ topic }, result.written);
    this.o.metrics.duplicates.inc({ topic }, result.duplicates);
    this.o.metrics.writeLatency.observe({ topic }, Number(process.hrtime.bigint() - started) / 1e9);
    return 'written';
  }

  private async deadLetter(topic: string, partition: number, offset: string, value: Buffer | null, key: Buffer | null, reason: string): Promise<void> {
    await this.o.dlq.send({
      topic: dlqTopic(topic),
      acks: -1,
      messages: [{ key, value, headers: { 'x-error': reason.slice(0, 1000), 'x-source-topic': topic, 'x-source-partition': String(partition), 'x-source-offset': offset, 'x-failed-at': new Date().toISOString() } }],
    });
    this.o.metrics.deadLettered.inc({ topic });
    this.o.log.warn('message sent to the DLQ', { topic, partition, offset, reason });
  }

  async handleBatch(p: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = p;
    const { topic, partition } = batch;
    const retry = this.o.retry ?? { initialMs: 200, maxMs: 10_000 };
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      this.o.metrics.consumed.inc({ topic });
      let attempt = 0;
      for (;;) {
        try {
          let m: SyncMessage;
          try {
            m = decodeAndValidate(message.value);
          } catch (err) {
            if (err instanceof PoisonMessageError) {
              await this.deadLetter(topic, partition, message.offset, message.value, message.key, err.message);
              break;
            }
            throw err;
          }
          try {
            await this.write(m, topic);
          } catch (err) {
            if (err instanceof PoisonRecordError) {
              await this.deadLetter(topic, partition, message.offset, message.value, message.key, err.message);
              break;
            }
            throw err;
          }
          break;
        } catch (err) {
          // Transient: keep this partition where it is and try again; others continue.
          if (attempt === 0) this.o.consumer.pause([{ topic, partitions: [partition] }]);
          const delay = Math.min(retry.maxMs, retry.initialMs * 2 ** attempt++);
          this.o.metrics.retries.inc({ topic });
          this.o.log.warn('sink write failed; retrying', { topic, partition, offset: message.offset, attempt, retryInMs: delay, error: err instanceof Error ? err.message : String(err) });
          await new Promise((r) => setTimeout(r, delay));
          await heartbeat().catch(() => undefined);
          if (!isRunning()) return; // shutting down: not committed, redelivered later
        }
      }
      if (attempt > 0) this.o.consumer.resume([{ topic, partitions: [partition] }]);
      resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
    const lag = Number(batch.highWatermark) - Number(batch.lastOffset()) - 1;
    this.o.metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, lag));
  }
}
