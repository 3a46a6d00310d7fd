// The consumer loop: batches from Kafka, each message written to its sink, offsets committed
// only after the writes of those messages succeeded. A transient sink failure pauses the
// partition and retries with backoff (nothing skipped, per-key order kept); a poison message
// goes to `<topic>.dlq` with headers saying why and where from, and the partition moves on.
import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from '../../core/log.js';
import type { Source } from '../../core/domain.js';
import type { SyncMessage } from '../../core/message.js';
import type { ConsumerMetrics } from './metrics.js';
import { PoisonRecordError, type MongoSink, type PostgresSink } from './sinks.js';
import { decodeAndValidate, PoisonMessageError } from './validate.js';
import { errorMessage } from '../../core/errors.js';
import { backoffDelay, type Backoff } from '../../core/backoff.js';

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
  retry?: Backoff;
  /** Records per bulk write. */
  maxRecordsPerWrite?: number;
}

export class ConsumerEngine {
  constructor(private readonly o: ConsumerEngineOptions) {}

  private mongoEnabled(source: Source): boolean {
    return this.o.enabledSources === 'all' || this.o.enabledSources.has(source);
  }

  /** Writes a group of valid messages (bulk, unordered); throws on a transient failure. */
  private async writeGroup(messages: SyncMessage[], topic: string): Promise<void> {
    const started = process.hrtime.bigint();
    const events = messages.filter((m) => m.source === 'events');
    const mongo = messages.filter((m) => m.source !== 'events' && this.mongoEnabled(m.source));
    const skipped = messages.filter((m) => m.source !== 'events' && !this.mongoEnabled(m.source));
    const [pgResult, mongoResult] = await Promise.all([this.o.postgres.writeEvents(events), this.o.mongo.writeMany(mongo)]);
    // The status rows come last: a message counts as synced only once its records are written.
    await this.o.postgres.recordRequests(messages);
    this.o.metrics.written.inc({ topic }, pgResult.written + mongoResult.written);
    this.o.metrics.duplicates.inc({ topic }, pgResult.duplicates + mongoResult.duplicates);
    this.o.metrics.skipped.inc(
      { topic },
      skipped.reduce((n, m) => n + m.records.length, 0),
    );
    this.o.metrics.writeLatency.observe({ topic }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /** Decodes and checks a message; poison goes to the DLQ and yields undefined. */
  private async admit(topic: string, partition: number, message: KafkaMessage): Promise<SyncMessage | undefined> {
    try {
      const m = decodeAndValidate(message.value);
      if (m.source === 'events') this.o.postgres.eventRows(m);
      else if (this.mongoEnabled(m.source)) this.o.mongo.check(m);
      return m;
    } catch (err) {
      if (err instanceof PoisonMessageError || err instanceof PoisonRecordError) {
        await this.deadLetter(topic, partition, message.offset, message.value, message.key, err.message);
        return undefined;
      }
      throw err;
    }
  }

  private async deadLetter(topic: string, partition: number, offset: string, value: Buffer | null, key: Buffer | null, reason: string): Promise<void> {
    await this.o.dlq.send({
      topic: dlqTopic(topic),
      acks: -1,
      messages: [
        {
          key,
          value,
          headers: {
            'x-error': reason.slice(0, 1000),
            'x-source-topic': topic,
            'x-source-partition': String(partition),
            'x-source-offset': offset,
            'x-failed-at': new Date().toISOString(),
          },
        },
      ],
    });
    this.o.metrics.deadLettered.inc({ topic });
    this.o.log.warn('message sent to the DLQ', { topic, partition, offset, reason });
  }

  async handleBatch(p: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = p;
    const { topic, partition } = batch;
    const retry = this.o.retry ?? { initialMs: 200, maxMs: 10_000 };
    const maxRecords = this.o.maxRecordsPerWrite ?? 5000;
    let i = 0;
    while (i < batch.messages.length) {
      if (!isRunning() || isStale()) return;
      // Take the next run of messages up to maxRecords records; poison ones leave for the DLQ.
      const group: SyncMessage[] = [];
      let records = 0;
      let last = '';
      while (i < batch.messages.length && (group.length === 0 || records < maxRecords)) {
        const message = batch.messages[i++]!;
        this.o.metrics.consumed.inc({ topic });
        last = message.offset;
        const m = await this.admit(topic, partition, message);
        if (m) {
          group.push(m);
          records += m.records.length;
        }
      }
      for (let attempt = 0; group.length > 0; attempt++) {
        try {
          await this.writeGroup(group, topic);
          if (attempt > 0) this.o.consumer.resume([{ topic, partitions: [partition] }]);
          break;
        } catch (err) {
          // Transient: this partition stays where it is and retries; the others go on.
          if (attempt === 0) this.o.consumer.pause([{ topic, partitions: [partition] }]);
          const delay = backoffDelay(retry, attempt);
          this.o.metrics.retries.inc({ topic });
          this.o.log.warn('sink write failed; retrying', {
            topic,
            partition,
            upToOffset: last,
            attempt: attempt + 1,
            retryInMs: delay,
            error: errorMessage(err),
          });
          await new Promise((r) => setTimeout(r, delay));
          await heartbeat().catch(() => undefined);
          if (!isRunning()) return; // shutting down: not committed, redelivered later
        }
      }
      // Only now, with every record of the group written, may the offsets move.
      resolveOffset(last);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
    const lag = Number(batch.highWatermark) - Number(batch.lastOffset()) - 1;
    this.o.metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, lag));
  }
}
