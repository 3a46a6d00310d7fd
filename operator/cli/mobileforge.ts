// `mobileforge`: sizing plans and offline rendering of MobileForgeSyncPipelines.
//   mobileforge plan --dau 180000 --environment production --region india [--consumer-layout split|single] [-o table|json]
//   mobileforge render -f pipeline.yaml [--kafka-topic-api v1|v1beta2] [--no-keda] [-o yaml|json]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { ENVIRONMENTS, type Environment } from '../api/v1alpha1.js';
import { PipelineValidationError, validatePipeline } from '../api/validate.js';
import { CONSUMER_LAYOUTS, REGIONS, type ConsumerLayout, type Region } from '../../core/domain.js';
import { planFor } from '../model/plan.js';
import { render } from '../model/render.js';
import { formatPlan } from './format-plan.js';

const USAGE = `mobileforge: size and render MobileForge Sync pipelines

Usage:
  mobileforge plan --dau N --environment dev|uat|production --region india|other
                   [--consumer-layout split|single] [-o table|json]
      Print the sizing for a DAU: replicas per component, pod resources, topics and
      partitions, recommended Kafka brokers, and the peak load the workload model expects;
      and what the consumers would request in the other consumer layout.

  mobileforge render -f FILE [-o yaml|json] [--kafka-topic-api v1|v1beta2] [--no-keda]
      Print every object the operator would create for the pipeline(s) in FILE ("-" reads
      stdin), as multi-document YAML: commit it to Git, or diff it against a cluster.
      --kafka-topic-api  KafkaTopic version to emit in strimzi mode (default v1; v1beta2 for
                         Strimzi before 0.49)
      --no-keda          render as if KEDA were absent (the operator then falls back to HPAs)

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
  docs.forEach((doc, i) => {
    const where = docs.length > 1 ? `${source} (document ${i + 1})` : source;
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      throw new PipelineValidationError([{ path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0] ?? 'invalid YAML' }], where);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const pipeline = validatePipeline(value, where);
    const result = render(pipeline, { capabilities: { keda: !values['no-keda'], podMonitor: true, kafkaTopicApiVersion: `kafka.strimzi.io/${topicApi}` } });
    objects.push(...result.objects);
    // What the operator would report as OverProvisioned: said here, on stderr, before it is applied.
    for (const m of result.overProvisioned) warn(`warning: ${where}: ${m}\n`);
    // And what it would report as Adjusted: applied otherwise than written.
    for (const m of result.adjusted) warn(`warning: ${where}: ${m}\n`);
  });
  if (output === 'json') return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
  return objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}

function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
}

/** Runs the CLI; returns the exit code. I/O is injected so tests can drive it in-process. */
export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  stdin: () => string;
}

const processIo: CliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  stdin: () => readFileSync(0, 'utf8'),
};

export function main(argv: string[], io: CliIo = processIo): number {
  const [command, ...rest] = argv;
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
    if (err instanceof PipelineValidationError) {
      io.err(`error: ${err.message}\n`);
      return 1;
    }
    // Node's own errors are matched by code, not class: they may come from another realm.
    if (err instanceof UsageError || errorCode(err).startsWith('ERR_PARSE_ARGS')) {
      io.err(`error: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'EISDIR' || errorCode(err) === 'EACCES') {
      io.err(`error: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
}
