// The consumer loop: batches from Kafka, each message written to its sink, offsets committed
// only after the writes of those messages succeeded. A transient sink failure pauses the
// partition and retries with backoff (nothing skipped, per-key order kept); a poison message
// (invalid, or data a sink refuses for good, told apart by the driver's error code) goes to
// `<topic>.dlq` with headers saying why and where from, and the partition moves on. The audit
// topic's messages are rows of the insights database (audit-sink.ts), handled the same way.
import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from '../../core/log.js';
import { deadLetterTopic, isAuditTopic, type Source } from '../../core/domain.js';
import { DLQ_HEADERS } from '../../core/dead-letter-headers.js';
import { InvalidAuditRowError, parseAuditRow, type AuditRow } from '../../core/audit-message.js';
import type { AuditSink } from './audit-sink.js';
import type { SyncMessage } from '../../core/message.js';
import type { ConsumerMetrics } from './metrics.js';
import { PoisonRecordError, type MongoSink, type PostgresSink } from './sinks.js';
import { permanentSinkFailure } from './sink-errors.js';
import { decodeAndValidate, PoisonMessageError } from './validate.js';
import { errorMessage } from '../../core/errors.js';
import { backoffDelay, type Backoff } from '../../core/backoff.js';

export interface ConsumerEngineOptions {
  consumer: Consumer;
  dlq: Producer;
  mongo: MongoSink;
  postgres: PostgresSink;
  /** The insights database's audit tables: needed when the audit topic is read. */
  audit?: AuditSink;
  /** Sources written to MongoDB; others are committed and counted as skipped. */
  enabledSources: Set<Source> | 'all';
  metrics: ConsumerMetrics;
  log: Logger;
  retry?: Backoff;
  /** Attempts at a write the sink refuses for good before its message goes to the DLQ. */
  permanentAttempts?: number;
  /** Records per bulk write. */
  maxRecordsPerWrite?: number;
}

/** A message admitted for writing, with what the DLQ needs should the sink refuse it. */
interface Admitted {
  m: SyncMessage;
  message: KafkaMessage;
}

/** One partition's batch being written: what retries need to pause, log and stop. */
interface Writing {
  p: EachBatchPayload;
  paused: boolean;
  upToOffset: string;
}

/** Seconds since the message's Kafka timestamp; 0 for a clock behind the producer's. */
const ageSeconds = (message: KafkaMessage): number => Math.max(0, (Date.now() - Number(message.timestamp)) / 1000);

type WriteOutcome = { ok: true } | { ok: false; stopped: true } | { ok: false; stopped: false; refused: string };

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
        await this.deadLetter(topic, partition, message, err.message, 1);
        return undefined;
      }
      throw err;
    }
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string, attempts: number): Promise<void> {
    const { offset, key, value } = message;
    // A message replayed from the DLQ says how often (`mobileforge dlq replay`): kept, so that
    // one failing again and again stops being replayed.
    const replayed = message.headers?.[DLQ_HEADERS.replayCount];
    await this.o.dlq.send({
      topic: deadLetterTopic(topic),
      acks: -1,
      messages: [
        {
          key,
          value,
          headers: {
            [DLQ_HEADERS.reason]: reason.slice(0, 1000),
            [DLQ_HEADERS.sourceTopic]: topic,
            [DLQ_HEADERS.sourcePartition]: String(partition),
            [DLQ_HEADERS.sourceOffset]: offset,
            [DLQ_HEADERS.failedAt]: new Date().toISOString(),
            [DLQ_HEADERS.attempts]: String(attempts),
            ...(replayed !== undefined ? { [DLQ_HEADERS.replayCount]: (Array.isArray(replayed) ? replayed.at(-1) : replayed)?.toString() ?? '0' } : {}),
          },
        },
      ],
    });
    this.o.metrics.deadLettered.inc({ topic });
    this.o.log.warn('message sent to the DLQ', { topic, partition, offset, reason });
  }

  /**
   * Writes a group in one go. When the sink refuses it for good, writes its messages one by one
   * and dead-letters each the sink refuses, so one bad record never holds up the others (the
   * writes are idempotent, so what the group write already stored is not stored twice).
   * False when the consumer is stopping.
   */
  private async writeGroupOrDeadLetter(group: Admitted[], w: Writing): Promise<boolean> {
    const { topic, partition } = w.p.batch;
    const all = await this.writeRetrying(
      group.map((a) => a.m),
      w,
    );
    if (all.ok) return true;
    if (all.stopped) return false;
    for (const a of group) {
      const one = group.length === 1 ? all : await this.writeRetrying([a.m], w);
      if (one.ok) continue;
      if (one.stopped) return false;
      this.o.metrics.sinkRejected.inc({ topic });
      await this.deadLetter(topic, partition, a.message, `sink rejected: ${one.refused}`, this.o.permanentAttempts ?? 3);
    }
    return true;
  }

  /**
   * Writes messages, retrying transient failures with backoff for as long as it takes (the
   * partition is paused meanwhile), and permanent ones a few times only.
   */
  private writeRetrying(messages: SyncMessage[], w: Writing): Promise<WriteOutcome> {
    return this.retrying(w, messages.length, () => this.writeGroup(messages, w.p.batch.topic));
  }

  /** Runs a write until it succeeds, the sink refuses it for good, or the consumer stops. */
  private async retrying(w: Writing, messages: number, write: () => Promise<void>): Promise<WriteOutcome> {
    const { topic, partition } = w.p.batch;
    const retry = this.o.retry ?? { initialMs: 200, maxMs: 10_000 };
    const permanentAttempts = this.o.permanentAttempts ?? 3;
    let refusals = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        await write();
        return { ok: true };
      } catch (err) {
        const refused = permanentSinkFailure(err);
        if (refused !== undefined && ++refusals >= permanentAttempts) return { ok: false, stopped: false, refused };
        // This partition stays where it is and retries; the others go on.
        if (!w.paused) this.o.consumer.pause([{ topic, partitions: [partition] }]);
        w.paused = true;
        const delay = backoffDelay(retry, attempt);
        this.o.metrics.retries.inc({ topic });
        this.o.log.warn('sink write failed; retrying', {
          topic,
          partition,
          upToOffset: w.upToOffset,
          messages,
          attempt: attempt + 1,
          retryInMs: delay,
          permanent: refused !== undefined,
          error: errorMessage(err),
        });
        await new Promise((r) => setTimeout(r, delay));
        await w.p.heartbeat().catch(() => undefined);
        if (!w.p.isRunning()) return { ok: false, stopped: true };
      }
    }
  }

  /** Writes audit rows (the producer's usage and refusal rows); throws on a transient failure. */
  private async writeAudit(rows: AuditRow[], topic: string): Promise<void> {
    if (!this.o.audit) throw new Error('the audit topic is read but no insights database is configured');
    const started = process.hrtime.bigint();
    const r = await this.o.audit.write(rows);
    this.o.metrics.written.inc({ topic }, r.written);
    this.o.metrics.duplicates.inc({ topic }, r.duplicates);
    this.o.metrics.writeLatency.observe({ topic }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /**
   * A batch of the audit topic: every row in one go (rows are small), committed once written.
   * A message that is not a row, or a row PostgreSQL refuses for good, goes to the DLQ alone.
   */
  private async handleAuditBatch(p: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = p;
    const { topic, partition } = batch;
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const rows: { row: AuditRow; message: KafkaMessage }[] = [];
    for (const message of batch.messages) {
      this.o.metrics.consumed.inc({ topic });
      this.o.metrics.taken.observe({ topic }, ageSeconds(message));
      try {
        rows.push({ row: parseAuditRow(message.value), message });
      } catch (err) {
        if (!(err instanceof InvalidAuditRowError)) throw err;
        await this.deadLetter(topic, partition, message, err.message, 1);
      }
    }
    const last = batch.messages.at(-1)!.offset;
    const w: Writing = { p, paused: false, upToOffset: last };
    let stopped = false;
    const all =
      rows.length === 0
        ? { ok: true as const }
        : await this.retrying(w, rows.length, () =>
            this.writeAudit(
              rows.map((r) => r.row),
              topic,
            ),
          );
    if (!all.ok && all.stopped) stopped = true;
    else if (!all.ok)
      for (const r of rows) {
        const one = await this.retrying(w, 1, () => this.writeAudit([r.row], topic));
        if (one.ok) continue;
        if (one.stopped) {
          stopped = true;
          break;
        }
        this.o.metrics.sinkRejected.inc({ topic });
        await this.deadLetter(topic, partition, r.message, `sink rejected: ${one.refused}`, this.o.permanentAttempts ?? 3);
      }
    if (w.paused) this.o.consumer.resume([{ topic, partitions: [partition] }]);
    if (stopped) return; // shutting down: not committed, redelivered later
    for (const r of rows) this.o.metrics.freshness.observe({ topic }, ageSeconds(r.message));
    resolveOffset(last);
    await commitOffsetsIfNecessary();
    await heartbeat();
    const lag = Number(batch.highWatermark) - Number(last) - 1;
    this.o.metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, lag));
  }

  async handleBatch(p: EachBatchPayload): Promise<void> {
    if (isAuditTopic(p.batch.topic)) return this.handleAuditBatch(p);
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = p;
    const { topic, partition } = batch;
    const maxRecords = this.o.maxRecordsPerWrite ?? 5000;
    let i = 0;
    while (i < batch.messages.length) {
      if (!isRunning() || isStale()) return;
      // Take the next run of messages up to maxRecords records; poison ones leave for the DLQ.
      const group: Admitted[] = [];
      let records = 0;
      let last = '';
      while (i < batch.messages.length && (group.length === 0 || records < maxRecords)) {
        const message = batch.messages[i++]!;
        this.o.metrics.consumed.inc({ topic });
        this.o.metrics.taken.observe({ topic }, ageSeconds(message));
        last = message.offset;
        const m = await this.admit(topic, partition, message);
        if (m) {
          group.push({ m, message });
          records += m.records.length;
        }
      }
      const w: Writing = { p, paused: false, upToOffset: last };
      const written = group.length === 0 || (await this.writeGroupOrDeadLetter(group, w));
      if (w.paused) this.o.consumer.resume([{ topic, partitions: [partition] }]);
      if (!written) return; // shutting down: not committed, redelivered later
      for (const a of group) this.o.metrics.freshness.observe({ topic }, ageSeconds(a.message));
      // Only now, with every record of the group written, may the offsets move.
      resolveOffset(last);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
    const lag = Number(batch.highWatermark) - Number(batch.lastOffset()) - 1;
    this.o.metrics.lag.set({ topic, partition: String(partition) }, Math.max(0, lag));
  }
}
