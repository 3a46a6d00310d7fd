// `mobileforge`: sizing plans and offline rendering of MobileForgeSyncPipelines.
//   mobileforge plan --dau 180000 --environment production --region india [--consumer-layout split|single] [-o table|json]
//   mobileforge render -f pipeline.yaml [--kafka-topic-api v1|v1beta2] [--no-keda] [--resolved] [-o yaml|json]
//   mobileforge dlq list|show|replay --pipeline NAME ...   (a running pipeline's dead letters)
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { ENVIRONMENTS, type Environment } from '../api/v1alpha1.js';
import { PipelineValidationError, validatePipeline } from '../api/validate.js';
import { CONSUMER_LAYOUTS, REGIONS, type ConsumerLayout, type Region } from '../../core/domain.js';
import { planFor } from '../model/sizing/plan.js';
import { renderResolved } from '../model/render.js';
import { resolve, type ResolvedPipeline } from '../model/resolve.js';
import { formatPlan } from './format-plan.js';
import { errorMessage } from '../../core/errors.js';
import * as k8s from '@kubernetes/client-node';
import { DEFAULT_MAX_REPLAYS } from '../model/kafka/dead-letters.js';
import { DlqError, formatList, formatReplay, listDeadLetters, pipelineKafka, replayDeadLetters, resolveDlqTopic, showDeadLetters } from './dlq.js';

const USAGE = `mobileforge: size and render MobileForge Sync pipelines

Usage:
  mobileforge plan --dau N --environment dev|uat|production --region india|other
                   [--consumer-layout split|single] [-o table|json]
      Print the sizing for a DAU: replicas per component, pod resources, topics and
      partitions, recommended Kafka brokers, and the peak load the workload model expects;
      and what the consumers would request in the other consumer layout.

  mobileforge render -f FILE [-o yaml|json] [--kafka-topic-api v1|v1beta2] [--no-keda] [--resolved]
      Print every object the operator would create for the pipeline(s) in FILE ("-" reads
      stdin), as multi-document YAML: commit it to Git, or diff it against a cluster.
      --kafka-topic-api  KafkaTopic version to emit in strimzi mode (default v1; v1beta2 for
                         Strimzi before 0.49)
      --no-keda          render as if KEDA were absent (the operator then falls back to HPAs)
      --resolved         print each pipeline as the operator reads it instead, every default
                         applied (sizing, replicas, resources, topic mode and what it implies)

  mobileforge dlq list --pipeline NAME [-n NAMESPACE] [-o table|json]
  mobileforge dlq show --pipeline NAME --topic TOPIC [--limit N] [--reveal] [-n NAMESPACE]
  mobileforge dlq replay --pipeline NAME --topic TOPIC [--since T] [--until T] [--reason TEXT]
                         [--max-replays N] [--dry-run] [-n NAMESPACE]
      A running pipeline's dead letters, read with the pipeline's own Kafka settings and
      Secrets through KUBECONFIG (never credentials on the command line).
      list    counts per DLQ topic and reason, pending (not replayed yet), oldest and newest
      show    the first messages with their headers (reason, origin topic/partition/offset,
              attempts, replays); records and user ids redacted unless --reveal
      replay  sends each selected message back to its origin topic with its original key and
              value (the sinks' keys make a record stored once), and records what it replayed
              in the consumer group <group prefix>mobileforge-dlq-replay: a second run replays
              nothing twice. A message replayed --max-replays times (default 3) stays.
      TOPIC: sms_batched, sms_batched.dlq or the prefixed name. T: an RFC 3339 time, or an
      age such as 30m, 6h, 2d. --reason: messages whose reason contains TEXT.
      Examples:
        mobileforge dlq list --pipeline acme -n sync
        mobileforge dlq show --pipeline acme -n sync --topic sms_batched --limit 3
        mobileforge dlq replay --pipeline acme -n sync --topic sms_batched --since 6h --dry-run
        mobileforge dlq replay --pipeline acme -n sync --topic sms_batched --reason 'sink rejected'

  mobileforge help | --help
`;

class UsageError extends Error {
  override name = 'UsageError';
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T {
  if (value === undefined) throw new UsageError(`--${flag} is required (one of: ${allowed.join(', ')})`);
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of: ${allowed.join(', ')} (got "${value}")`);
  return value as T;
}

function planCommand(args: string[]): string {
  const { values } = parseArgs({
    args,
    options: {
      dau: { type: 'string' },
      environment: { type: 'string' },
      region: { type: 'string' },
      'consumer-layout': { type: 'string', default: 'split' },
      output: { type: 'string', short: 'o', default: 'table' },
    },
    strict: true,
  });
  const dau = Number(values.dau);
  if (values.dau === undefined || !Number.isInteger(dau) || dau < 1) throw new UsageError(`--dau must be a positive integer (got ${values.dau ?? 'nothing'})`);
  const environment = oneOf<Environment>('environment', values.environment, ENVIRONMENTS);
  const region = oneOf<Region>('region', values.region, REGIONS);
  const layout = oneOf<ConsumerLayout>('consumer-layout', values['consumer-layout'], CONSUMER_LAYOUTS);
  const output = oneOf('output', values.output, ['table', 'json'] as const);
  const plan = planFor({ dau, environment, region, consumers: { layout } });
  return output === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan);
}

function renderCommand(args: string[], readStdin: () => string, warn: (s: string) => void): string {
  const { values } = parseArgs({
    args,
    options: {
      file: { type: 'string', short: 'f' },
      output: { type: 'string', short: 'o', default: 'yaml' },
      'kafka-topic-api': { type: 'string', default: 'v1' },
      'no-keda': { type: 'boolean', default: false },
      resolved: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values.file) throw new UsageError('-f FILE is required ("-" for stdin)');
  const output = oneOf('output', values.output, ['yaml', 'json'] as const);
  const topicApi = oneOf('kafka-topic-api', values['kafka-topic-api'], ['v1', 'v1beta2'] as const);
  const source = values.file === '-' ? '<stdin>' : values.file;
  const text = values.file === '-' ? readStdin() : readFileSync(values.file, 'utf8');

  const docs = parseAllDocuments(text);
  const objects: unknown[] = [];
  const resolved: ResolvedPipeline[] = [];
  docs.forEach((doc, i) => {
    const where = docs.length > 1 ? `${source} (document ${i + 1})` : source;
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      throw new PipelineValidationError([{ path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0] ?? 'invalid YAML' }], where);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const pipeline = validatePipeline(value, where);
    const r = resolve(pipeline);
    resolved.push(r);
    const result = renderResolved(r, { capabilities: { keda: !values['no-keda'], podMonitor: true, kafkaTopicApiVersion: `kafka.strimzi.io/${topicApi}` } });
    objects.push(...result.objects);
    // What the operator would report as OverProvisioned: said here, on stderr, before it is applied.
    for (const m of result.overProvisioned) warn(`warning: ${where}: ${m}\n`);
    // And what it would report as Adjusted: applied otherwise than written.
    for (const m of result.adjusted) warn(`warning: ${where}: ${m}\n`);
  });
  if (values.resolved) {
    if (output === 'json') return `${JSON.stringify(resolved, null, 2)}\n`;
    return resolved.map((r) => stringify(r, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
  }
  if (output === 'json') return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
  return objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}

/** An RFC 3339 time, or an age before `now` (30m, 6h, 2d). */
function timeArg(flag: string, value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const rel = /^(\d+)(s|m|h|d)$/.exec(value);
  if (rel) return now - Number(rel[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || !/(Z|[+-]\d{2}:\d{2})$/.test(value) || !Number.isFinite(t))
    throw new UsageError(`--${flag} must be an RFC 3339 time with a zone (2026-12-01T10:00:00Z) or an age (30m, 6h, 2d); got "${value}"`);
  return t;
}

async function dlqCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      pipeline: { type: 'string', short: 'p' },
      namespace: { type: 'string', short: 'n' },
      topic: { type: 'string', short: 't' },
      output: { type: 'string', short: 'o', default: 'table' },
      limit: { type: 'string', default: '5' },
      reveal: { type: 'boolean', default: false },
      since: { type: 'string' },
      until: { type: 'string' },
      reason: { type: 'string' },
      'max-replays': { type: 'string', default: String(DEFAULT_MAX_REPLAYS) },
      'dry-run': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (sub === undefined || !['list', 'show', 'replay'].includes(sub))
    throw new UsageError(`dlq needs a subcommand: list, show or replay${sub ? ` (got "${sub}")` : ''}`);
  const subcommand = sub as 'list' | 'show' | 'replay';
  if (!values.pipeline) throw new UsageError('--pipeline NAME is required');
  const needTopic = () => {
    if (!values.topic) throw new UsageError('--topic TOPIC is required (e.g. sms_batched)');
    return values.topic;
  };
  const positive = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} must be a positive integer (got ${v})`);
    return n;
  };
  const output = oneOf('output', values.output, ['table', 'json'] as const);
  const now = Date.now();
  const filter = {
    since: timeArg('since', values.since, now),
    until: timeArg('until', values.until, now),
    reason: values.reason,
    maxReplays: positive('max-replays', values['max-replays']),
  };
  const limit = positive('limit', values.limit);
  const pk = await pipelineKafka(io.kubeConfig(), values.namespace, values.pipeline);
  switch (subcommand) {
    case 'list': {
      const { rows, empty } = await listDeadLetters(pk);
      io.out(output === 'json' ? `${JSON.stringify({ rows, empty }, null, 2)}\n` : formatList(rows, empty, now));
      return 0;
    }
    case 'show':
      io.out(await showDeadLetters(pk, resolveDlqTopic(pk, needTopic()), limit, values.reveal));
      return 0;
    case 'replay': {
      const { since, until, reason, maxReplays } = filter;
      const summary = await replayDeadLetters(
        pk,
        resolveDlqTopic(pk, needTopic()),
        { maxReplays, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), ...(reason !== undefined ? { reason } : {}) },
        values['dry-run'],
        io.err,
      );
      io.out(output === 'json' ? `${JSON.stringify(summary, null, 2)}\n` : formatReplay(summary));
      return 0;
    }
  }
}

function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
}

/** The CLI's I/O, injected so tests can drive it in-process. */
export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  stdin: () => string;
  /** The cluster the dlq commands read: KUBECONFIG's. */
  kubeConfig: () => k8s.KubeConfig;
}

const processIo: CliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  stdin: () => readFileSync(0, 'utf8'),
  kubeConfig: () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    return kc;
  },
};

/** Runs the CLI; returns the exit code (a promise for the commands that reach a cluster). */
export function main(argv: string[], io: CliIo = processIo): number | Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'dlq') return dlqCommand(rest, io).catch((err: unknown) => failed(err, io, 'report'));
  try {
    switch (command) {
      case 'plan':
        io.out(planCommand(rest));
        return 0;
      case 'render':
        io.out(renderCommand(rest, io.stdin, io.err));
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    return failed(err, io);
  }
}

/**
 * The exit code and message for an error: 2 for a usage error, 1 for one the user can act on.
 * Other errors are bugs, thrown on; except where a cluster was being read (`report`), where
 * Kafka's or the API server's own errors are said as they are.
 */
function failed(err: unknown, io: CliIo, others: 'throw' | 'report' = 'throw'): number {
  // Node's own errors are matched by code, not class: they may come from another realm.
  if (err instanceof UsageError || errorCode(err).startsWith('ERR_PARSE_ARGS')) {
    io.err(`error: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const known =
    err instanceof DlqError ||
    err instanceof PipelineValidationError ||
    errorCode(err) === 'ENOENT' ||
    errorCode(err) === 'EISDIR' ||
    errorCode(err) === 'EACCES';
  if (!known && others === 'throw') throw err;
  io.err(`error: ${errorMessage(err)}\n`);
  return 1;
}
