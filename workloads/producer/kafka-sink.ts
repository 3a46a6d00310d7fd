// Writes accepted requests to Kafka and resolves only when Kafka acknowledged every message
// (acks=all, idempotent producer). Concurrent requests are coalesced: while one batch is in
// flight the next accumulates, so one process reaches high throughput with one in-flight
// request per broker (which the idempotent producer needs to keep per-key order).
import { CompressionTypes, Kafka, logLevel, type KafkaConfig, type Message, type Producer, type TopicMessages } from 'kafkajs';

export class KafkaUnavailableError extends Error {
  override name = 'KafkaUnavailableError';
}

interface Pending {
  topic: string;
  messages: Message[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface KafkaSinkOptions {
  /** A batch in flight longer than this fails its requests with 503 (the SDK retries). */
  sendTimeoutMs: number;
  /** Upper bound of one produce request, below the broker's limits. */
  maxBatchBytes: number;
  compression: 'gzip' | 'none';
}

export interface MessageSink {
  send(topic: string, messages: Message[]): Promise<void>;
  healthy(): boolean;
}

export class KafkaSink implements MessageSink {
  private readonly producer: Producer;
  private queue: Pending[] = [];
  private inFlight = false;
  private connected = false;
  private lastError: number | undefined;

  constructor(
    config: KafkaConfig,
    private readonly opts: KafkaSinkOptions,
  ) {
    this.producer = new Kafka({ ...config, logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: opts.sendTimeoutMs }).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      // kafkajs retries an idempotent producer forever by default; bound it so a request
      // fails fast (503) when the cluster cannot take data.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  healthy(): boolean {
    return this.connected && (this.lastError === undefined || Date.now() - this.lastError > 5000);
  }

  send(topic: string, messages: Message[]): Promise<void> {
    const bytes = messages.reduce((n, m) => n + (m.value ? Buffer.byteLength(m.value as string | Buffer) : 0), 0);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, messages, bytes, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const batch: Pending[] = [];
    let size = 0;
    while (this.queue.length > 0 && (batch.length === 0 || size + this.queue[0]!.bytes <= this.opts.maxBatchBytes)) {
      const p = this.queue.shift()!;
      size += p.bytes;
      batch.push(p);
    }
    this.inFlight = true;
    void this.flush(batch).finally(() => {
      this.inFlight = false;
      this.pump();
    });
  }

  private async flush(batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), ...p.messages]);
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.producer.sendBatch({ topicMessages, acks: -1, timeout: this.opts.sendTimeoutMs, compression: this.opts.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new KafkaUnavailableError(`Kafka did not acknowledge within ${this.opts.sendTimeoutMs} ms`)), this.opts.sendTimeoutMs);
        }),
      ]);
      for (const p of batch) p.resolve();
    } catch (err) {
      this.lastError = Date.now();
      const e = err instanceof KafkaUnavailableError ? err : new KafkaUnavailableError(`Kafka refused the write: ${err instanceof Error ? err.message : String(err)}`);
      for (const p of batch) p.reject(e);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for queued and in-flight batches, then disconnects. */
  async close(): Promise<void> {
    while (this.inFlight || this.queue.length > 0) await new Promise((r) => setTimeout(r, 10));
    await this.producer.disconnect().catch(() => undefined);
    this.connected = false;
  }
}
