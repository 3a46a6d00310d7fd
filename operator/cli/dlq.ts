// `mobileforge dlq list | show | replay`: dead letters of a running pipeline, read from its Kafka
// cluster with the pipeline's own settings and Secrets (found through KUBECONFIG), never with
// credentials on the command line. The decisions are model/kafka/dead-letters.ts's; this reads and
// writes Kafka.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { CompressionTypes, logLevel, type Consumer, type KafkaConfig } from 'kafkajs';
import { Kafka } from '../../core/kafka.js';
import { GROUP, PLURAL, VERSION, type SyncPipeline } from '../api/v1alpha1.js';
import { kafkaConfigFor, kafkaSecretNames } from '../model/kafka/kafka-access.js';
import { resolve, type ResolvedPipeline } from '../model/resolve.js';
import { pipelineTopics } from '../model/kafka/topics.js';
import {
  age,
  deadLetterOf,
  describeValue,
  dlqReplayGroup,
  MAX_METADATA_BYTES,
  markDone,
  parseProgress,
  progressMetadata,
  replayDecision,
  replayHeaders,
  summarise,
  type DeadLetterMessage,
  type DlqSummaryRow,
  type Progress,
  type ReplayFilter,
} from '../model/kafka/dead-letters.js';
import { apiErrorMessage, errorMessage } from '../../core/errors.js';

export class DlqError extends Error {
  override name = 'DlqError';
}

/** A pipeline as the CLI reaches it: resolved, and a Kafka client configured from it. */
export interface PipelineKafka {
  pipeline: ResolvedPipeline;
  config: KafkaConfig;
  /** The pipeline's data topics and their DLQs, by cluster name. */
  dataTopics: string[];
  dlqTopics: string[];
  replayGroup: string;
}

/** Reads the pipeline and the Secrets its Kafka settings name, through the kubeconfig. */
export async function pipelineKafka(kc: k8s.KubeConfig, namespace: string | undefined, name: string): Promise<PipelineKafka> {
  const ns = namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let pipeline: SyncPipeline;
  try {
    pipeline = (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: PLURAL, name })) as SyncPipeline;
  } catch (err) {
    throw new DlqError(`cannot read pipeline ${ns}/${name}: ${apiErrorMessage(err)}`);
  }
  const resolved = resolve(pipeline);
  const values = new Map<string, Record<string, string>>();
  for (const s of kafkaSecretNames(resolved.kafka)) {
    try {
      const secret = await core.readNamespacedSecret({ name: s, namespace: ns });
      values.set(s, Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, v]) => [key, Buffer.from(v, 'base64').toString('utf8')])));
    } catch (err) {
      throw new DlqError(`cannot read Secret ${ns}/${s} (the pipeline's Kafka credentials): ${apiErrorMessage(err)}`);
    }
  }
  return forPipeline(resolved, (n, key) => values.get(n)?.[key]);
}

/** The Kafka side of a pipeline read already, its Secrets' values through `secret`. */
function forPipeline(pipeline: ResolvedPipeline, secret: (name: string, key: string) => string | undefined): PipelineKafka {
  const config = { ...kafkaConfigFor(pipeline.kafka, secret, 'mobileforge-cli'), retry: { retries: 3 } };
  const topics = pipelineTopics(pipeline);
  return {
    pipeline,
    config,
    dataTopics: topics.filter((t) => t.role === 'data').map((t) => t.name),
    dlqTopics: topics.filter((t) => t.role === 'dead-letter').map((t) => t.name),
    replayGroup: dlqReplayGroup(pipeline.kafka.naming),
  };
}

/** A DLQ topic by the name the user gave: the DLQ's or its data topic's, with or without the pipeline's prefix. */
export function resolveDlqTopic(pk: PipelineKafka, given: string): string {
  const prefix = pk.pipeline.kafka.naming.topicPrefix;
  const candidates = [given, `${given}.dlq`, `${prefix}${given}`, `${prefix}${given}.dlq`];
  const found = candidates.find((c) => pk.dlqTopics.includes(c));
  if (!found) throw new DlqError(`no DLQ topic "${given}" in pipeline ${pk.pipeline.metadata.name}; its DLQ topics: ${pk.dlqTopics.join(', ')}`);
  return found;
}

type Ends = Map<number, { low: number; high: number }>;

/** A Kafka connection for one command: the admin client, and consumers and a producer on demand. */
class DlqKafka {
  private readonly kafka: Kafka;
  private readonly admin;
  constructor(config: KafkaConfig) {
    this.kafka = new Kafka({ ...config, logLevel: logLevel.NOTHING });
    this.admin = this.kafka.admin();
  }
  connect = () => this.admin.connect();
  close = () => this.admin.disconnect();

  async existing(topics: string[]): Promise<string[]> {
    const all = new Set(await this.admin.listTopics());
    return topics.filter((t) => all.has(t));
  }

  async ends(topic: string): Promise<Ends> {
    return new Map((await this.admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }]));
  }

  /** What the replay group has dealt with, per partition. */
  async progress(group: string, topic: string): Promise<Map<number, Progress>> {
    const [offsets] = await this.admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map((offsets?.partitions ?? []).map((p) => [p.partition, parseProgress(Math.max(0, Number(p.offset)), p.metadata)]));
  }

  /**
   * Reads `topic` up to the ends taken before, in a consumer group: `group` (from its committed
   * offsets) or, when undefined, a throwaway group from the beginning that commits nothing and is
   * deleted after. `each` sees every message below the ends; `afterBatch` runs with the consumer
   * after each batch (to commit).
   */
  async read(
    topic: string,
    ends: Ends,
    group: string | undefined,
    each: (m: DeadLetterMessage) => Promise<void>,
    afterBatch?: (consumer: Consumer, partition: number, next: number) => Promise<void>,
  ): Promise<void> {
    const starts = group ? await this.progress(group, topic) : new Map<number, Progress>();
    const pending = new Set([...ends].filter(([p, e]) => e.high > Math.max(e.low, starts.get(p)?.committed ?? 0)).map(([p]) => p));
    if (pending.size === 0) return;
    const groupId = group ?? `mobileforge-cli-inspect-${randomBytes(6).toString('hex')}`;
    const consumer = this.kafka.consumer({ groupId, allowAutoTopicCreation: false, retry: { retries: 3 } });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        let idle: NodeJS.Timeout | undefined;
        const stall = () => {
          clearTimeout(idle);
          idle = setTimeout(
            () => reject(new DlqError(`no progress reading ${topic} for 60 s (partitions ${[...pending].join(', ')} not read to their end)`)),
            60_000,
          );
        };
        stall();
        consumer
          .run({
            autoCommit: false,
            eachBatchAutoResolve: false,
            eachBatch: async ({ batch, heartbeat }) => {
              stall();
              const end = ends.get(batch.partition)?.high ?? 0;
              let next: number | undefined;
              for (const m of batch.messages) {
                const offset = Number(m.offset);
                if (offset >= end) break;
                await each({
                  partition: batch.partition,
                  offset,
                  timestamp: Number(m.timestamp),
                  key: m.key,
                  value: m.value,
                  headers: (m.headers ?? {}) as DeadLetterMessage['headers'],
                });
                next = offset + 1;
                await heartbeat();
              }
              if (next !== undefined && afterBatch) await afterBatch(consumer, batch.partition, next);
              if ((next ?? 0) >= end || Number(batch.lastOffset()) + 1 >= end) pending.delete(batch.partition);
              if (pending.size === 0) {
                clearTimeout(idle);
                resolve();
              }
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
      if (!group) await this.admin.deleteGroups([groupId]).catch(() => undefined);
    }
  }

  producer() {
    return this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }
}

async function withKafka<T>(pk: PipelineKafka, run: (k: DlqKafka) => Promise<T>): Promise<T> {
  const k = new DlqKafka(pk.config);
  try {
    await k.connect();
  } catch (err) {
    throw new DlqError(`cannot reach Kafka (${pk.pipeline.kafka.bootstrapServers.join(', ')}): ${errorMessage(err)}`);
  }
  try {
    return await run(k);
  } finally {
    await k.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------- list

export async function listDeadLetters(pk: PipelineKafka): Promise<{ rows: DlqSummaryRow[]; empty: string[] }> {
  return withKafka(pk, async (k) => {
    const rows: DlqSummaryRow[] = [];
    const empty: string[] = [];
    for (const topic of await k.existing(pk.dlqTopics)) {
      const messages: DeadLetterMessage[] = [];
      await k.read(topic, await k.ends(topic), undefined, async (m) => void messages.push(m));
      if (messages.length === 0) empty.push(topic);
      rows.push(...summarise(topic, messages, await k.progress(pk.replayGroup, topic)));
    }
    return { rows, empty };
  });
}

export function formatList(rows: DlqSummaryRow[], empty: string[], now: number): string {
  if (rows.length === 0) return `no dead letters (${empty.length} DLQ topics, all empty)\n`;
  const table = [
    ['DLQ TOPIC', 'REASON', 'MESSAGES', 'PENDING', 'OLDEST', 'NEWEST'],
    ...rows.map((r) => [r.dlqTopic, r.reason, String(r.messages), String(r.pending), age(now - r.oldest), age(now - r.newest)]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lines = table.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  return `${lines.join('\n')}\nPENDING: not replayed yet (mobileforge dlq replay). Ages: since the message was dead-lettered.\n`;
}

// ---------------------------------------------------------------- show

export async function showDeadLetters(pk: PipelineKafka, topic: string, limit: number, reveal: boolean): Promise<string> {
  return withKafka(pk, async (k) => {
    const shown: string[] = [];
    let total = 0;
    await k.read(topic, await k.ends(topic), undefined, async (m) => {
      total++;
      if (shown.length >= limit) return;
      const d = deadLetterOf(m);
      shown.push(
        JSON.stringify(
          {
            partition: m.partition,
            offset: m.offset,
            reason: d.reason,
            origin: { topic: d.sourceTopic ?? null, partition: d.sourcePartition ?? null, offset: d.sourceOffset ?? null },
            failedAt: new Date(d.failedAt).toISOString(),
            attempts: d.attempts ?? null,
            replayCount: d.replayCount,
            key: m.key?.toString('utf8') ?? null,
            value: describeValue(m.value, reveal),
          },
          null,
          2,
        ),
      );
    });
    return `${shown.join('\n')}\n${shown.length} of ${total} messages in ${topic}${reveal ? '' : ' (records and user ids redacted; --reveal prints them)'}\n`;
  });
}

// ---------------------------------------------------------------- replay

export interface ReplaySummary {
  topic: string;
  origin: string;
  replayed: number;
  kept: number;
  skipped: number;
  alreadyReplayed: number;
  keptWhy: string[];
  dryRun: boolean;
}

/**
 * Sends the DLQ's messages that the filter selects back to their origin topic (original key and
 * value, a replay-count header), then records them as dealt with in the replay group's
 * committed offset; a second run replays nothing twice. With `dryRun` it sends and commits
 * nothing (reading from a throwaway group) and says what it would do.
 */
export async function replayDeadLetters(
  pk: PipelineKafka,
  topic: string,
  filter: ReplayFilter,
  dryRun: boolean,
  progressOut: (s: string) => void,
): Promise<ReplaySummary> {
  const origins = new Set(pk.dataTopics);
  const origin = topic.slice(0, -'.dlq'.length);
  return withKafka(pk, async (k) => {
    const summary: ReplaySummary = { topic, origin, replayed: 0, kept: 0, skipped: 0, alreadyReplayed: 0, keptWhy: [], dryRun };
    const progress = await k.progress(pk.replayGroup, topic);
    const ends = await k.ends(topic);
    // The replay group starts reading at its committed offset: what lies before was dealt with
    // by earlier runs (a dry run reads from the start and counts those as it meets them).
    if (!dryRun) for (const [partition, e] of ends) summary.alreadyReplayed += Math.max(0, Math.min(progress.get(partition)?.committed ?? 0, e.high) - e.low);
    const producer = dryRun ? undefined : k.producer();
    await producer?.connect();
    let lastReport = Date.now();
    try {
      await k.read(
        topic,
        ends,
        dryRun ? undefined : pk.replayGroup,
        async (m) => {
          const p = progress.get(m.partition) ?? parseProgress(0, null);
          const decision = replayDecision(m, p, filter, topic, origins);
          switch (decision.action) {
            case 'done':
              summary.alreadyReplayed++;
              return;
            case 'skip':
              summary.skipped++;
              return;
            case 'keep':
              summary.kept++;
              if (!summary.keptWhy.includes(decision.why)) summary.keptWhy.push(decision.why);
              break;
            case 'replay':
              await producer?.send({
                topic: decision.topic,
                acks: -1,
                compression: CompressionTypes.GZIP,
                messages: [{ key: m.key, value: m.value, headers: replayHeaders(m, decision.replayCount, `${topic}/${m.partition}/${m.offset}`) }],
              });
              summary.replayed++;
              break;
          }
          progress.set(m.partition, markDone(p, m.offset));
          if (Date.now() - lastReport > 2000) {
            lastReport = Date.now();
            progressOut(`${topic}: ${summary.replayed} replayed, ${summary.kept} kept, ${summary.skipped} skipped so far\n`);
          }
        },
        async (consumer, partition) => {
          // Commit what this batch dealt with: the replays above were acknowledged first.
          const p = progress.get(partition);
          if (!p || dryRun) return;
          const metadata = progressMetadata(p);
          if (metadata && Buffer.byteLength(metadata) > MAX_METADATA_BYTES)
            throw new DlqError(
              `too many messages left behind by the filter between replayed ones on ${topic}[${partition}] to record; replay without a filter, or with a wider one`,
            );
          await consumer.commitOffsets([{ topic, partition, offset: String(p.committed), metadata }]);
        },
      );
    } finally {
      await producer?.disconnect().catch(() => undefined);
    }
    return summary;
  });
}

export function formatReplay(s: ReplaySummary): string {
  const verb = s.dryRun ? 'would replay' : 'replayed';
  const lines = [
    `${s.topic} -> ${s.origin}: ${verb} ${s.replayed}; kept in the DLQ ${s.kept}; outside the filter ${s.skipped}; dealt with before ${s.alreadyReplayed}`,
    ...s.keptWhy.map((w) => `  kept: ${w}`),
  ];
  if (s.dryRun) lines.push('dry run: nothing was sent and nothing recorded');
  return `${lines.join('\n')}\n`;
}
