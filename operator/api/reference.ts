// Generates the field reference (docs/api-reference.md) from the schema descriptions, so the
// reference and `kubectl explain` can never disagree. The path it is written to is
// operator/cli/generated-files.ts's: the API knows no repository layout.
import { SpecSchema, StatusSchema } from './v1alpha1.js';
import { USER_ANNOTATIONS } from './annotations.js';
import { OPERATOR_ENV, describeSource } from './operator-env.js';
import { toPlainJson } from './schema-helpers.js';

type Schema = {
  type?: string;
  description?: string;
  enum?: string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema;
  minimum?: number;
  maximum?: number;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message: string }[];
};

function typeOf(s: Schema): string {
  if (s['x-kubernetes-int-or-string']) return 'quantity';
  if (s.enum) return s.enum.map((v) => `\`${v}\``).join(' \\| ');
  if (s.type === 'array') return `[]${s.items ? typeOf(s.items) : ''}`;
  if (s.type === 'object' && s.additionalProperties) return `map[string]${s.additionalProperties.type ?? ''}`;
  const bounds = [s.minimum !== undefined ? `≥ ${s.minimum}` : '', s.maximum !== undefined ? `≤ ${s.maximum}` : ''].filter(Boolean).join(', ');
  return `${s.type ?? 'object'}${bounds ? ` (${bounds})` : ''}`;
}

export function referenceMarkdown(): string {
  const rows: string[] = [];
  const rules: string[] = [];
  const walk = (s: Schema, path: string, required: boolean): void => {
    rows.push(`| \`${path}\` | ${typeOf(s)} | ${required ? 'yes' : ''} | ${(s.description ?? '').replace(/\|/g, '\\|')} |`);
    for (const r of s['x-kubernetes-validations'] ?? []) rules.push(`| \`${path}\` | ${r.message} | \`${r.rule.replace(/\|/g, '\\|')}\` |`);
    const props = s.properties ?? (s.type === 'array' ? s.items?.properties : undefined);
    const req = new Set(s.required ?? (s.type === 'array' ? s.items?.required : undefined) ?? []);
    const prefix = s.type === 'array' ? `${path}[]` : path;
    for (const [k, v] of Object.entries(props ?? {})) walk(v, `${prefix}.${k}`, req.has(k));
  };
  walk(toPlainJson(SpecSchema) as Schema, 'spec', true);
  const specRows = rows.splice(0);
  walk(toPlainJson(StatusSchema) as Schema, 'status', false);
  const statusRows = rows.splice(0).filter((r) => !r.startsWith('| `status.conditions['));
  return [
    '# MobileForgeSyncPipeline v1alpha1: field reference',
    '',
    'Generated from `operator/api/v1alpha1.ts` by `npm run generate`; do not edit. The same',
    'text is what `kubectl explain syncpipeline.spec...` prints. Concepts and examples: [api.md](api.md).',
    '',
    '| field | type | required | description |',
    '|---|---|---|---|',
    ...specRows,
    '',
    '## Annotations',
    '',
    '| annotation | value | what it does |',
    '|---|---|---|',
    ...USER_ANNOTATIONS.map((a) => `| \`${a.name}\` | \`${a.value}\` | ${a.description} |`),
    '',
    '## Status',
    '',
    'Written by the operator (conditions: [api.md](api.md)).',
    '',
    '| field | type | always | description |',
    '|---|---|---|---|',
    ...statusRows,
    '',
    '## Admission rules (CEL)',
    '',
    'Checked by the API server when a pipeline is created or changed; `mobileforge render` checks',
    'the same rules offline with the same messages.',
    '',
    '| on | message | rule |',
    '|---|---|---|',
    ...rules,
    '',
    '## Variables the operator sets',
    '',
    'The operator sets these variables in the Producer API and consumer containers (each where it applies), from the',
    "spec fields named. A component's `env` may not name them: admission refuses the entry, with a message naming",
    'the field to set instead.',
    '',
    '| variable | the operator sets it |',
    '|---|---|',
    ...OPERATOR_ENV.map((v) => `| \`${v.name}\` | ${describeSource(v.source).replace(/spec\.[A-Za-z.]+/g, (f) => `\`${f}\``)} |`),
    '',
  ].join('\n');
}
