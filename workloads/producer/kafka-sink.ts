// Writes accepted requests to Kafka and resolves only when Kafka acknowledged every message
// (acks=all, idempotent producer). Concurrent requests are coalesced: while one batch is in
// flight the next accumulates.
//
// An idempotent kafkajs producer keeps one request in flight per broker (it does not reassign
// sequence numbers after a failure, as the Java client does with up to five), so one producer
// caps throughput at (what accumulated during one round trip) / (round trip). The sink runs
// several lanes instead: each its own idempotent producer with one request in flight, and a
// request goes to the lane its key hashes to. All messages of one key go through one lane, in
// order, so per-user order and exactly-once appends hold; the lanes' round trips overlap.
import { CompressionTypes, logLevel, Partitioners, type ICustomPartitioner, type KafkaConfig, type Message, type Producer, type TopicMessages } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { errorMessage } from '../../core/errors.js';

export class KafkaUnavailableError extends Error {
  override name = 'KafkaUnavailableError';
}

interface Pending {
  batches: TopicMessages[];
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
  /** Idempotent producers working side by side (see above). Defaults to 1. */
  lanes?: number;
  /**
   * Topics whose messages need no order by key (the audit topic: rows are stored once by
   * their id, whatever the partition). A lane writes them to one partition at a time, so a
   * produce request carries one record batch for them (one compression, one checksum) instead
   * of one per partition their keys hash to, and moves to another partition every
   * STICKY_MESSAGES messages, so they still spread over the partitions.
   */
  stickyTopics?: readonly string[];
}

/** Messages a lane writes to one partition of a sticky topic before it moves on. */
const STICKY_MESSAGES = 1000;

/** The default (murmur2 of the key) partitioner, except for `stickyTopics` (above). */
export function stickyPartitioner(stickyTopics: readonly string[], every = STICKY_MESSAGES, random = Math.random): ICustomPartitioner {
  return () => {
    const byKey = Partitioners.DefaultPartitioner();
    const current = new Map<string, { partition: number; left: number }>();
    return (args) => {
      if (!stickyTopics.includes(args.topic) || args.partitionMetadata.length === 0) return byKey(args);
      let s = current.get(args.topic);
      if (!s || s.left <= 0 || !args.partitionMetadata.some((p) => p.partitionId === s!.partition)) {
        s = { partition: args.partitionMetadata[Math.floor(random() * args.partitionMetadata.length)]!.partitionId, left: every };
        current.set(args.topic, s);
      }
      s.left--;
      return s.partition;
    };
  };
}

export interface MessageSink {
  /**
   * Resolves once Kafka acknowledged every message: `messages` to `topic`, and those of
   * `alongside` (other topics) in the same produce request, through the same lane.
   */
  send(topic: string, messages: Message[], alongside?: TopicMessages[]): Promise<void>;
  healthy(): boolean;
}

/** The Producer API's sink settings (the validating forwarder in test/bench uses the same). */
export function producerSinkOptions(settings: { sendTimeoutMs: number; kafkaLanes: number }, stickyTopics: readonly string[] = []): KafkaSinkOptions {
  return { sendTimeoutMs: settings.sendTimeoutMs, maxBatchBytes: 4 * 1024 * 1024, compression: 'gzip', lanes: settings.kafkaLanes, stickyTopics };
}

/** FNV-1a: a cheap, stable hash; only the spread over a few lanes matters. */
export function laneOf(key: Message['key'], lanes: number): number {
  if (lanes === 1 || key === null || key === undefined) return 0;
  const s = typeof key === 'string' ? key : key.toString('latin1');
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) % lanes;
}

/** One idempotent producer, one batch in flight, the next accumulating. */
class Lane {
  private queue: Pending[] = [];
  private inFlight = false;

  constructor(
    readonly producer: Producer,
    private readonly opts: KafkaSinkOptions,
    private readonly onError: () => void,
  ) {}

  get busy(): boolean {
    return this.inFlight || this.queue.length > 0;
  }

  enqueue(p: Pending): void {
    this.queue.push(p);
    this.pump();
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
    for (const p of batch)
      for (const { topic, messages } of p.batches) {
        const list = byTopic.get(topic);
        if (list) list.push(...messages);
        else byTopic.set(topic, [...messages]);
      }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.producer.sendBatch({
          topicMessages,
          acks: -1,
          timeout: this.opts.sendTimeoutMs,
          compression: this.opts.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        }),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new KafkaUnavailableError(`Kafka did not acknowledge within ${this.opts.sendTimeoutMs} ms`)),
            this.opts.sendTimeoutMs,
          );
        }),
      ]);
      for (const p of batch) p.resolve();
    } catch (err) {
      this.onError();
      const e = err instanceof KafkaUnavailableError ? err : new KafkaUnavailableError(`Kafka refused the write: ${errorMessage(err)}`);
      for (const p of batch) p.reject(e);
    } finally {
      clearTimeout(timer);
    }
  }
}

export class KafkaSink implements MessageSink {
  private readonly lanes: Lane[];
  private connected = false;
  private lastError: number | undefined;

  constructor(
    config: KafkaConfig,
    private readonly opts: KafkaSinkOptions,
  ) {
    const kafka = new Kafka({ ...config, logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: opts.sendTimeoutMs });
    this.lanes = Array.from(
      { length: Math.max(1, opts.lanes ?? 1) },
      () =>
        new Lane(
          kafka.producer({
            idempotent: true,
            maxInFlightRequests: 1,
            // kafkajs retries an idempotent producer forever by default; bound it so a request
            // fails fast (503) when the cluster cannot take data.
            retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
            createPartitioner: stickyPartitioner(opts.stickyTopics ?? []),
          }),
          opts,
          () => (this.lastError = Date.now()),
        ),
    );
  }

  async connect(): Promise<void> {
    await Promise.all(this.lanes.map((l) => l.producer.connect()));
    this.connected = true;
  }

  healthy(): boolean {
    return this.connected && (this.lastError === undefined || Date.now() - this.lastError > 5000);
  }

  /**
   * `messages` share one key (one request): they go through one lane, in order, the lane of
   * their key; `alongside` goes with them, in the same produce request.
   */
  send(topic: string, messages: Message[], alongside: TopicMessages[] = []): Promise<void> {
    const batches = [{ topic, messages }, ...alongside];
    const bytes = batches.reduce((n, b) => n + b.messages.reduce((k, m) => k + (m.value ? Buffer.byteLength(m.value as string | Buffer) : 0), 0), 0);
    const lane = this.lanes[laneOf(messages[0]?.key, this.lanes.length)]!;
    return new Promise<void>((resolve, reject) => lane.enqueue({ batches, bytes, resolve, reject }));
  }

  /** Waits for queued and in-flight batches, then disconnects. */
  async close(): Promise<void> {
    while (this.lanes.some((l) => l.busy)) await new Promise((r) => setTimeout(r, 10));
    await Promise.all(this.lanes.map((l) => l.producer.disconnect().catch(() => undefined)));
    this.connected = false;
  }
}
