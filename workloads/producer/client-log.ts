// The clients the Producer API replicas share, on the pipeline's compacted clients topic: each
// replica publishes what it reads from the clients table (a client, or that a client it knew
// is gone), and reads the topic from its beginning at start and then as it grows. A replica
// that starts while PostgreSQL is away so knows every client any replica read within
// CLIENT_CACHE_MAX_STALE_SECONDS, and serves them by the same rules as its own cache (auth.ts):
// fresh for the TTL after the read, then only while PostgreSQL cannot be read, up to the
// staleness bound. Compaction keeps the latest record of each client.
import { randomUUID } from 'node:crypto';
import { logLevel, type Consumer, type KafkaConfig, type Message } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { ClientRecord } from './auth.js';
import type { MessageSink } from './kafka-sink.js';

/** What was read of one client, and when (milliseconds since the epoch). */
export interface SharedClient {
  /** Undefined: the client was not in the table (removed, or revoked). */
  value: ClientRecord | undefined;
  loaded: number;
}

/** Clients the replicas share: the lookup's second memory, behind its own cache. */
export interface SharedClients {
  get(clientId: string): SharedClient | undefined;
  /** A read of the clients table, to share. */
  record(clientId: string, value: ClientRecord | undefined, loaded: number): void;
}

/** The record on the topic: a client's row, or `absent` (no such row any more). */
interface ClientMessage {
  client_id: string;
  auth_token?: string;
  geography?: string;
  absent?: true;
  loaded_at: number;
}

/** Decodes a record; undefined for one this version cannot read (skipped, never fatal). */
export function parseClientMessage(value: Buffer | null): (SharedClient & { clientId: string }) | undefined {
  if (value === null) return undefined;
  try {
    const m = JSON.parse(value.toString()) as Partial<ClientMessage>;
    if (typeof m.client_id !== 'string' || typeof m.loaded_at !== 'number') return undefined;
    if (m.absent) return { clientId: m.client_id, value: undefined, loaded: m.loaded_at };
    if (typeof m.auth_token !== 'string' || typeof m.geography !== 'string') return undefined;
    return { clientId: m.client_id, value: { clientId: m.client_id, authToken: m.auth_token, geography: m.geography }, loaded: m.loaded_at };
  } catch {
    return undefined;
  }
}

export function clientMessage(clientId: string, value: ClientRecord | undefined, loaded: number): Message {
  const m: ClientMessage = value
    ? { client_id: clientId, auth_token: value.authToken, geography: value.geography, loaded_at: loaded }
    : { client_id: clientId, absent: true, loaded_at: loaded };
  return { key: clientId, value: JSON.stringify(m) };
}

const same = (a: ClientRecord | undefined, b: ClientRecord | undefined) =>
  a === b || (a !== undefined && b !== undefined && a.authToken === b.authToken && a.geography === b.geography);

export class ClientLog implements SharedClients {
  private readonly clients = new Map<string, SharedClient>();
  private consumer: Consumer | undefined;

  constructor(
    private readonly sink: Pick<MessageSink, 'send'>,
    private readonly topic: string,
    /** How often a client already on the topic is published again: half the cache TTL, so a starting replica finds it fresh. */
    private readonly republishAfterMs: number,
    private readonly log: Logger,
    private readonly maxEntries = 100_000,
  ) {}

  get(clientId: string): SharedClient | undefined {
    return this.clients.get(clientId);
  }

  record(clientId: string, value: ClientRecord | undefined, loaded: number): void {
    const known = this.clients.get(clientId);
    // A client id nobody knew, not in the table either (a typo, a flood of made-up ids): nothing to share.
    if (value === undefined && known?.value === undefined) return;
    if (known && known.loaded >= loaded) return;
    const changed = !known || !same(known.value, value);
    this.remember(clientId, { value, loaded });
    if (!changed && loaded - known.loaded < this.republishAfterMs) return;
    this.sink.send(this.topic, [clientMessage(clientId, value, loaded)]).catch((err: unknown) => {
      this.log.warn('client record not published', { client_id: clientId, error: errorMessage(err) });
    });
  }

  /**
   * Reads the topic from its beginning, resolving once it has read up to its end as of now, or
   * after `timeoutMs` (Kafka away, a topic that does not exist yet: the replica starts with what
   * it has, and PostgreSQL's reads fill its cache). The reading goes on after that.
   */
  async start(config: KafkaConfig, topicPrefix: string, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.read(config, topicPrefix),
      new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (outcome === 'read') this.log.info('clients topic read', { topic: this.topic, clients: this.clients.size });
    else if (outcome === 'timeout')
      this.log.warn('the clients topic was not read to its end in time; starting with what was read', { topic: this.topic, clients: this.clients.size });
  }

  private async read(config: KafkaConfig, topicPrefix: string): Promise<'read' | 'failed'> {
    const kafka = new Kafka({ ...config, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const ends = new Map((await admin.fetchTopicOffsets(this.topic)).map((o) => [o.partition, Number(o.high)]));
      await admin.disconnect();
      const pending = new Set([...ends].filter(([, high]) => high > 0).map(([p]) => p));
      let done!: () => void;
      const caughtUp = new Promise<void>((r) => (done = r));
      if (pending.size === 0) done();
      // A group of its own: every replica reads every record. It commits nothing, so Kafka
      // forgets it once the replica leaves.
      this.consumer = kafka.consumer({ groupId: `${topicPrefix}mobileforge-producer-clients-${randomUUID()}`, sessionTimeout: 30000, heartbeatInterval: 3000 });
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await this.consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const m = parseClientMessage(message.value);
          if (m) {
            const known = this.clients.get(m.clientId);
            if (!known || known.loaded < m.loaded) this.remember(m.clientId, { value: m.value, loaded: m.loaded });
          }
          if (pending.has(partition) && Number(message.offset) + 1 >= ends.get(partition)!) {
            pending.delete(partition);
            if (pending.size === 0) done();
          }
        },
      });
      await caughtUp;
      return 'read';
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      this.log.warn('the clients topic cannot be read; clients come from PostgreSQL only', { topic: this.topic, error: errorMessage(err) });
      return 'failed';
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private remember(clientId: string, c: SharedClient): void {
    if (!this.clients.has(clientId) && this.clients.size >= this.maxEntries) this.clients.delete(this.clients.keys().next().value!);
    this.clients.set(clientId, c);
  }
}
