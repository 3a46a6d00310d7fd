// Dead letters and their way back: what a dead-lettered message says of itself (the headers the
// consumer adds), how `mobileforge dlq list` sums them up, what `show` prints, and which messages
// a replay sends back to their origin topic. Decisions only; operator/cli/dlq.ts reads and
// writes Kafka.
//
// What has been replayed is kept where Kafka keeps a reader's progress: the committed offset of
// one consumer group per pipeline (dlqReplayGroup). Everything before it is dealt with. A replay
// narrowed by a filter deals with some messages beyond it and not others; those are recorded in
// the commit's metadata as offset ranges, so a second run replays nothing twice.
import type { KafkaNaming } from '../../../core/domain.js';
import { DLQ_HEADERS } from '../../../core/dead-letter-headers.js';

/** The consumer group whose committed offsets on a pipeline's DLQ topics record what was replayed. */
export function dlqReplayGroup(naming: KafkaNaming): string {
  return `${naming.groupPrefix}mobileforge-dlq-replay`;
}

/** A replayed message that is dead-lettered again this many times stays in the DLQ. */
export const DEFAULT_MAX_REPLAYS = 3;

type Headers = Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>;

/** A message of a DLQ topic, as read. */
export interface DeadLetterMessage {
  readonly partition: number;
  readonly offset: number;
  /** Kafka timestamp (ms): when it was dead-lettered. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Headers;
}

/** What a dead letter says of itself. */
export interface DeadLetter {
  readonly reason: string;
  readonly sourceTopic: string | undefined;
  readonly sourcePartition: number | undefined;
  readonly sourceOffset: string | undefined;
  readonly failedAt: number;
  readonly attempts: number | undefined;
  readonly replayCount: number;
}

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  const one = Array.isArray(v) ? v.at(-1) : v;
  return one === undefined ? undefined : one.toString();
}

function integer(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d+$/.test(s)) return undefined;
  return Number(s);
}

export function deadLetterOf(m: DeadLetterMessage): DeadLetter {
  const failedAt = Date.parse(header(m.headers, DLQ_HEADERS.failedAt) ?? '');
  return {
    reason: header(m.headers, DLQ_HEADERS.reason) ?? '(no reason recorded)',
    sourceTopic: header(m.headers, DLQ_HEADERS.sourceTopic),
    sourcePartition: integer(header(m.headers, DLQ_HEADERS.sourcePartition)),
    sourceOffset: header(m.headers, DLQ_HEADERS.sourceOffset),
    failedAt: Number.isFinite(failedAt) ? failedAt : m.timestamp,
    attempts: integer(header(m.headers, DLQ_HEADERS.attempts)),
    replayCount: integer(header(m.headers, DLQ_HEADERS.replayCount)) ?? 0,
  };
}

/**
 * A reason's kind, for counting: the text up to the first detail that differs from message to
 * message (numbers, quoted values), so that a thousand refusals of one cause are one row.
 */
export function reasonKind(reason: string): string {
  return (
    reason
      .replace(/"[^"]*"|'[^']*'/g, '…')
      .replace(/\b\d+(\.\d+)?\b/g, 'N')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 120) || '(empty)'
  );
}

// ---------------------------------------------------------------- what has been dealt with

/** Offsets dealt with on one partition: all before `committed`, and the ranges beyond it. */
export interface Progress {
  readonly committed: number;
  /** Sorted, disjoint, inclusive ranges, all at or beyond `committed`. */
  readonly ranges: readonly (readonly [number, number])[];
}

const METADATA_VERSION = 'dlq-replay/1';
/** Kafka keeps at most offset.metadata.max.bytes (4096 by default) of metadata per commit. */
export const MAX_METADATA_BYTES = 3500;

export function parseProgress(committed: number, metadata: string | null | undefined): Progress {
  const ranges: [number, number][] = [];
  const [version, list] = (metadata ?? '').split(' ', 2);
  if (version === METADATA_VERSION && list)
    for (const r of list.split(',')) {
      const [a, b] = r.split('-').map(Number);
      if (Number.isInteger(a) && Number.isInteger(b ?? a)) ranges.push([a!, b ?? a!]);
    }
  return normalise(committed, ranges);
}

/** Adds an offset to what is dealt with: the committed offset moves over every range it reaches. */
export function markDone(p: Progress, offset: number): Progress {
  return normalise(p.committed, [...p.ranges, [offset, offset]]);
}

function normalise(committed: number, ranges: readonly (readonly [number, number])[]): Progress {
  const sorted = ranges.filter(([, b]) => b >= committed).sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  let c = committed;
  for (const [a0, b] of sorted) {
    const a = Math.max(a0, c);
    if (a <= c) {
      c = Math.max(c, b + 1);
      continue;
    }
    const last = merged.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  return { committed: c, ranges: merged };
}

export function isDone(p: Progress, offset: number): boolean {
  return offset < p.committed || p.ranges.some(([a, b]) => offset >= a && offset <= b);
}

export function progressMetadata(p: Progress): string | null {
  if (p.ranges.length === 0) return null;
  return `${METADATA_VERSION} ${p.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}`;
}

// ---------------------------------------------------------------- replay decisions

export interface ReplayFilter {
  /** Only messages dead-lettered at or after / before these times (ms). */
  readonly since?: number;
  readonly until?: number;
  /** Only messages whose reason contains this text (case-insensitive). */
  readonly reason?: string;
  readonly maxReplays: number;
}

export type ReplayDecision =
  /** Send back to its origin topic, with the replay count raised. */
  | { readonly action: 'replay'; readonly topic: string; readonly replayCount: number }
  /** Replayed often enough: it stays in the DLQ, and counts as dealt with. */
  | { readonly action: 'keep'; readonly why: string }
  /** Left for another run: outside the filter. */
  | { readonly action: 'skip' }
  /** Dealt with by an earlier run. */
  | { readonly action: 'done' };

/** What to do with one DLQ message. `origins` are the topics a message may be sent back to: the pipeline's data topics. */
export function replayDecision(m: DeadLetterMessage, progress: Progress, filter: ReplayFilter, dlqTopic: string, origins: ReadonlySet<string>): ReplayDecision {
  if (isDone(progress, m.offset)) return { action: 'done' };
  const d = deadLetterOf(m);
  if (filter.since !== undefined && d.failedAt < filter.since) return { action: 'skip' };
  if (filter.until !== undefined && d.failedAt >= filter.until) return { action: 'skip' };
  if (filter.reason !== undefined && !d.reason.toLowerCase().includes(filter.reason.toLowerCase())) return { action: 'skip' };
  // The origin is the topic the DLQ belongs to: a header naming another topic is not followed.
  const origin = dlqTopic.endsWith('.dlq') ? dlqTopic.slice(0, -'.dlq'.length) : undefined;
  if (!origin || !origins.has(origin)) return { action: 'keep', why: `${dlqTopic} is not the dead-letter topic of one of the pipeline's topics` };
  if (d.replayCount >= filter.maxReplays) return { action: 'keep', why: `replayed ${d.replayCount} times already (bound ${filter.maxReplays})` };
  return { action: 'replay', topic: origin, replayCount: d.replayCount + 1 };
}

/** Headers for the message sent back: the original ones without the DLQ's, plus the replay count. */
export function replayHeaders(m: DeadLetterMessage, replayCount: number, replayedFrom: string): Record<string, Buffer | string> {
  const dlqOwn = new Set<string>(Object.values(DLQ_HEADERS));
  const out: Record<string, Buffer | string> = {};
  for (const [k, v] of Object.entries(m.headers)) {
    if (dlqOwn.has(k) || v === undefined) continue;
    const one = Array.isArray(v) ? v.at(-1) : v;
    if (one !== undefined) out[k] = one;
  }
  out[DLQ_HEADERS.replayCount] = String(replayCount);
  out['x-replayed-from'] = replayedFrom;
  return out;
}

// ---------------------------------------------------------------- list and show

export interface DlqSummaryRow {
  readonly dlqTopic: string;
  readonly sourceTopic: string;
  readonly reason: string;
  readonly messages: number;
  /** Not yet dealt with by a replay. */
  readonly pending: number;
  readonly oldest: number;
  readonly newest: number;
}

/** Counts by source topic and reason kind, oldest and newest; pending = not dealt with yet. */
export function summarise(dlqTopic: string, messages: readonly DeadLetterMessage[], progress: ReadonlyMap<number, Progress>): DlqSummaryRow[] {
  const rows = new Map<string, { sourceTopic: string; reason: string; messages: number; pending: number; oldest: number; newest: number }>();
  for (const m of messages) {
    const d = deadLetterOf(m);
    const sourceTopic = d.sourceTopic ?? '(unknown)';
    const reason = reasonKind(d.reason);
    const key = `${sourceTopic}\u0000${reason}`;
    const row = rows.get(key) ?? { sourceTopic, reason, messages: 0, pending: 0, oldest: Infinity, newest: -Infinity };
    row.messages++;
    const p = progress.get(m.partition);
    if (!p || !isDone(p, m.offset)) row.pending++;
    row.oldest = Math.min(row.oldest, d.failedAt);
    row.newest = Math.max(row.newest, d.failedAt);
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => b.messages - a.messages || a.reason.localeCompare(b.reason)).map((r) => ({ dlqTopic, ...r }));
}

/** A duration for people: 45s, 12m, 3h, 2d. */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

/** What `show` prints of a message's value: the envelope, and the records only when revealed. */
export function describeValue(value: Buffer | null, reveal: boolean): Record<string, unknown> | string {
  if (value === null) return '(no value)';
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return reveal ? value.toString('utf8').slice(0, 2000) : `(${value.length} bytes, not JSON; --reveal prints them)`;
  }
  if (reveal) return parsed as Record<string, unknown>;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return `(${value.length} bytes of JSON; --reveal prints them)`;
  // The envelope says where it came from; the records and the user are personal data.
  const { records, user_id: user, device, ...envelope } = parsed as Record<string, unknown>;
  return {
    ...envelope,
    ...(user !== undefined ? { user_id: '(redacted)' } : {}),
    ...(device !== undefined ? { device: '(redacted)' } : {}),
    records: Array.isArray(records) ? `(${records.length} records redacted; --reveal prints them)` : '(redacted)',
  };
}
