// Offline validation of a MobileForgeSyncPipeline document, for `mobileforge render` and for
// tests: the same OpenAPI schema the CRD carries (checked with Ajv), unknown fields (which
// the API server would silently prune), and TypeScript mirrors of the CEL admission rules
// with the same messages. Admission by the API server remains the authority; a test feeds
// the same invalid documents to both.
import { Ajv, type ErrorObject } from 'ajv';
import {
  API_VERSION,
  componentOverrides,
  CREDENTIAL_ENV_PATTERN,
  CRON_PATTERN,
  defaultReplicationFactor,
  KIND,
  MAX_CPU,
  MAX_MEMORY,
  MAX_PIPELINE_NAME,
  RULE_MESSAGES,
  SpecSchema,
  type ComponentOverrides,
  type SyncPipeline,
  type SyncPipelineSpec,
} from './v1alpha1.js';
import { TIME_ZONES } from './time-zones.js';
import { COMPONENTS, TOPIC_FACTS, TOPICS } from '../../core/domain.js';
import { parseQuantity } from '../../core/quantity.js';
import { toPlainJson } from './schema-helpers.js';

export interface ValidationIssue {
  /** Field path, e.g. "spec.kafka.bootstrapServers[0]". */
  path: string;
  message: string;
}

export class PipelineValidationError extends Error {
  constructor(
    readonly issues: ValidationIssue[],
    source = 'pipeline',
  ) {
    super(`${source} is invalid:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'PipelineValidationError';
  }
}

type JsonSchema = Record<string, unknown>;
const specJsonSchema: JsonSchema = toPlainJson(SpecSchema);

// strictTypes off: the int-or-string form puts `pattern` beside `anyOf`, as Kubernetes requires.
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
for (const keyword of [
  'x-kubernetes-validations',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
]) {
  ajv.addKeyword({ keyword });
}
const validateSpecSchema = ajv.compile(specJsonSchema);

function pointerToPath(base: string, pointer: string): string {
  let out = base;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(key) ? `[${key}]` : `.${key}`;
  }
  return out;
}

function ajvIssue(e: ErrorObject): ValidationIssue {
  const path = pointerToPath('spec', e.instancePath);
  switch (e.keyword) {
    case 'required':
      return { path: `${path}.${String(e.params.missingProperty)}`, message: 'required field is missing' };
    case 'enum':
      return { path, message: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

/** Fields the schema does not know: the API server would drop them without a word. */
function unknownFields(value: unknown, schema: JsonSchema, path: string, out: ValidationIssue[]): void {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    const items = schema.items as JsonSchema | undefined;
    if (items) value.forEach((v, i) => unknownFields(v, items, `${path}[${i}]`, out));
    return;
  }
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  const additional = schema.additionalProperties as JsonSchema | undefined;
  for (const [k, v] of Object.entries(value)) {
    const sub = props?.[k] ?? additional;
    if (!sub) out.push({ path: `${path}.${k}`, message: 'unknown field (the API server would drop it)' });
    else unknownFields(v, sub, `${path}.${k}`, out);
  }
}

type Resources = NonNullable<ComponentOverrides['resources']>;
const milli = (q: string | number) => parseQuantity(q).milli;
const timeZones = new Set(TIME_ZONES);

/** The Resources rules: bounded quantities, each request at most its limit. */
function resourceIssues(r: Resources | undefined, path: string): ValidationIssue[] {
  if (!r) return [];
  const out: ValidationIssue[] = [];
  const over = (resource: 'cpu' | 'memory', max: string) =>
    [r.requests?.[resource], r.limits?.[resource]].some((q) => q !== undefined && milli(q) > milli(max));
  if (over('cpu', MAX_CPU)) out.push({ path, message: RULE_MESSAGES.cpuBound });
  if (over('memory', MAX_MEMORY)) out.push({ path, message: RULE_MESSAGES.memoryBound });
  const above = (['cpu', 'memory'] as const).some((k) => {
    const req = r.requests?.[k];
    const lim = r.limits?.[k];
    return req !== undefined && lim !== undefined && milli(req) > milli(lim);
  });
  if (above) out.push({ path, message: RULE_MESSAGES.requestLeLimit });
  return out;
}

/** The CEL rules of the CRD, in TypeScript. Transition rules (oldSelf) need the old object. */
export function ruleIssues(spec: SyncPipelineSpec, old?: SyncPipelineSpec): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const c of COMPONENTS) {
    const o = componentOverrides(spec, c);
    const path = c === 'producer' ? 'spec.producer' : `spec.consumers.${c}`;
    out.push(...resourceIssues(o.resources, `${path}.resources`));
    if (o.minReplicas !== undefined && o.maxReplicas !== undefined && o.minReplicas > o.maxReplicas) out.push({ path, message: RULE_MESSAGES.minLeMax });
    const credential = new RegExp(CREDENTIAL_ENV_PATTERN);
    if (o.env?.some((e) => credential.test(e.name.toUpperCase()) && e.value !== undefined))
      out.push({ path: `${path}.env`, message: RULE_MESSAGES.credentialEnv });
  }
  const ing = spec.producer?.ingress;
  if (ing?.enabled && !ing.host) out.push({ path: 'spec.producer.ingress.host', message: RULE_MESSAGES.ingressHost });
  const tm = spec.kafka.topicManagement;
  if (tm?.mode === 'strimzi' && !tm.strimziClusterName)
    out.push({ path: 'spec.kafka.topicManagement.strimziClusterName', message: RULE_MESSAGES.strimziCluster });
  if (tm?.mode === 'unmanaged' && tm.deleteTopicsOnDeletion)
    out.push({ path: 'spec.kafka.topicManagement.deleteTopicsOnDeletion', message: RULE_MESSAGES.deleteUnmanaged });
  const m = spec.mongodb;
  if ((m.host === undefined) === (m.uriSecretRef === undefined)) out.push({ path: 'spec.mongodb', message: RULE_MESSAGES.mongoTarget });
  if (m.minPoolSize !== undefined && m.maxPoolSize !== undefined && m.minPoolSize > m.maxPoolSize)
    out.push({ path: 'spec.mongodb', message: RULE_MESSAGES.mongoPool });
  if (spec.region === 'india') {
    if (m.enabledSources?.some((s) => s === 'contacts' || s === 'call_logs'))
      out.push({ path: 'spec.mongodb.enabledSources', message: RULE_MESSAGES.indiaSources });
    if (spec.kafka.topics?.contacts_batched || spec.kafka.topics?.call_logs_batched)
      out.push({ path: 'spec.kafka.topics', message: RULE_MESSAGES.indiaTopics });
  }
  for (const t of TOPICS) {
    const partitions = spec.kafka.topics?.[t]?.partitions;
    const max = spec.consumers?.[TOPIC_FACTS[t].consumer]?.maxReplicas;
    if (partitions !== undefined && max !== undefined && partitions < max)
      out.push({ path: `spec.kafka.topics.${t}.partitions`, message: RULE_MESSAGES.partitionsBelowConsumers });
  }
  const minIsr = spec.kafka.minInSyncReplicas;
  if (minIsr !== undefined && minIsr > (spec.kafka.replicationFactor ?? defaultReplicationFactor(spec.environment, spec.dau)))
    out.push({ path: 'spec.kafka.minInSyncReplicas', message: RULE_MESSAGES.minInSync });
  const mt = spec.maintenance;
  out.push(...resourceIssues(mt?.resources, 'spec.maintenance.resources'));
  if (mt?.schedule !== undefined && !new RegExp(CRON_PATTERN).test(mt.schedule))
    out.push({ path: 'spec.maintenance.schedule', message: RULE_MESSAGES.cronSchedule });
  if (mt?.timeZone !== undefined && !timeZones.has(mt.timeZone)) out.push({ path: 'spec.maintenance.timeZone', message: RULE_MESSAGES.timeZone });
  if (old) {
    for (const [topic, before] of Object.entries(old.kafka.topics ?? {})) {
      const now = spec.kafka.topics?.[topic as keyof typeof spec.kafka.topics];
      if (before?.partitions !== undefined && (now?.partitions === undefined || now.partitions < before.partitions)) {
        out.push({ path: `spec.kafka.topics.${topic}.partitions`, message: RULE_MESSAGES.partitionsNeverDecrease });
      }
    }
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Checks a parsed document and returns it typed, or throws PipelineValidationError. */
export function validatePipeline(doc: unknown, source = 'pipeline'): SyncPipeline {
  const issues: ValidationIssue[] = [];
  if (!isRecord(doc)) throw new PipelineValidationError([{ path: '(document)', message: 'must be a YAML or JSON object' }], source);
  if (doc.apiVersion !== API_VERSION) issues.push({ path: 'apiVersion', message: `must be ${API_VERSION}` });
  if (doc.kind !== KIND) issues.push({ path: 'kind', message: `must be ${KIND}` });
  const meta = doc.metadata;
  const name = isRecord(meta) ? meta.name : undefined;
  if (typeof name !== 'string' || !DNS_LABEL.test(name)) issues.push({ path: 'metadata.name', message: 'required: a lowercase DNS label (a-z, 0-9, -)' });
  else if (name.length > MAX_PIPELINE_NAME) issues.push({ path: 'metadata.name', message: RULE_MESSAGES.nameLength });
  if (!isRecord(doc.spec)) {
    issues.push({ path: 'spec', message: 'required field is missing' });
    throw new PipelineValidationError(issues, source);
  }
  if (!validateSpecSchema(doc.spec)) issues.push(...(validateSpecSchema.errors ?? []).map(ajvIssue));
  unknownFields(doc.spec, specJsonSchema, 'spec', issues);
  // The CEL rules assume a schema-valid object, as they do in the API server.
  if (issues.length === 0) issues.push(...ruleIssues(doc.spec as SyncPipelineSpec));
  if (issues.length > 0) throw new PipelineValidationError(issues, source);
  return doc as unknown as SyncPipeline;
}
