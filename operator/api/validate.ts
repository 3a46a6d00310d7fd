// Offline validation of a MobileForgeSyncPipeline document, for `mobileforge render` and for
// tests: the same OpenAPI schema the CRD carries (checked with Ajv), unknown fields (which
// the API server would silently prune), and the CRD's own CEL rules, evaluated (cel.ts).
// Admission by the API server remains the authority; a test feeds the same invalid documents
// to both.
import { Ajv, type ErrorObject } from 'ajv';
import { celViolations } from './cel.js';
import { API_VERSION, KIND, MAX_PIPELINE_NAME, RULE_MESSAGES, SpecSchema, type SyncPipeline, type SyncPipelineSpec } from './v1alpha1.js';
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

/** The CRD's CEL rules (cel.ts). Transition rules (oldSelf) need the old object. */
export function ruleIssues(spec: SyncPipelineSpec, old?: SyncPipelineSpec): ValidationIssue[] {
  return celViolations(specJsonSchema, spec, 'spec', old);
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
