// The CRD's CEL validation rules (x-kubernetes-validations), evaluated offline: the rules the
// API server runs at admission, read from the same schema, run by a maintained CEL
// implementation (@marcbachmann/cel-js) with the Kubernetes quantity functions the rules use
// (quantity, isQuantity, Quantity.compareTo) registered on top. `mobileforge render` so refuses
// exactly what admission would, with the same messages and no hand-written copy to drift.
import { Environment } from '@marcbachmann/cel-js';
import { parseQuantity } from '../../core/quantity.js';

/** A Kubernetes resource.Quantity, as thousandths (exact for every value the rules compare). */
class Quantity {
  constructor(readonly milli: bigint) {}
}

const isQuantity = (s: string): boolean => {
  try {
    parseQuantity(s);
    return true;
  } catch {
    return false;
  }
};

const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false })
  .registerType('Quantity', Quantity)
  .registerFunction('quantity(string): Quantity', (s: string) => new Quantity(parseQuantity(s).milli))
  .registerFunction('isQuantity(string): bool', isQuantity)
  .registerFunction({
    name: 'compareTo',
    receiverType: 'Quantity',
    returnType: 'int',
    params: [{ name: 'other', type: 'Quantity' }],
    handler: (a: Quantity, b: Quantity) => (a.milli < b.milli ? -1n : a.milli > b.milli ? 1n : 0n),
  });

interface CelRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
}

type JsonSchema = Record<string, unknown>;

export interface RuleViolation {
  /** Field path, e.g. "spec.consumers.sms" (the rule's node, plus its fieldPath). */
  path: string;
  message: string;
}

const compiled = new Map<string, ReturnType<Environment['parse']>>();
function program(rule: string): ReturnType<Environment['parse']> {
  let p = compiled.get(rule);
  if (!p) compiled.set(rule, (p = env.parse(rule)));
  return p;
}

/**
 * A failed rule's message as the API server gives it: its messageExpression's value, unless that
 * fails or gives an empty, blank or multi-line string; then `message`.
 */
function ruleMessage(r: CelRule, vars: Record<string, unknown>): string {
  const fallback = r.message ?? `failed rule: ${r.rule}`;
  if (!r.messageExpression) return fallback;
  try {
    const m = program(r.messageExpression)(vars);
    return typeof m === 'string' && m.trim() !== '' && !/[\r\n]/.test(m) ? m : fallback;
  } catch {
    return fallback;
  }
}

/** JSON to CEL values: the schema's integers become CEL ints (BigInt), as the API server reads them. */
function toCel(value: unknown, schema: JsonSchema | undefined): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'number')
    return schema?.type === 'integer' || (schema?.['x-kubernetes-int-or-string'] && Number.isInteger(value)) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map((v) => toCel(v, schema?.items as JsonSchema | undefined));
  if (typeof value === 'object') {
    const props = schema?.properties as Record<string, JsonSchema> | undefined;
    const additional = schema?.additionalProperties as JsonSchema | undefined;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v, props?.[k] ?? additional)]));
  }
  return value;
}

/**
 * Every rule of `schema` and its descendants that `value` breaks. Transition rules (those
 * naming oldSelf) run only where `old` has a value at the same place, as on an update.
 */
export function celViolations(schema: JsonSchema, value: unknown, path: string, old?: unknown): RuleViolation[] {
  if (value === undefined || value === null) return [];
  const out: RuleViolation[] = [];
  for (const r of (schema['x-kubernetes-validations'] as CelRule[] | undefined) ?? []) {
    const transition = /\boldSelf\b/.test(r.rule);
    if (transition && (old === undefined || old === null)) continue;
    const vars = { self: toCel(value, schema), ...(transition ? { oldSelf: toCel(old, schema) } : {}) };
    const ok = program(r.rule)(vars);
    if (ok !== true) out.push({ path: `${path}${r.fieldPath ?? ''}`, message: ruleMessage(r, vars) });
  }
  if (Array.isArray(value)) {
    const items = schema.items as JsonSchema | undefined;
    if (items) value.forEach((v, i) => out.push(...celViolations(items, v, `${path}[${i}]`)));
  } else if (typeof value === 'object') {
    const props = schema.properties as Record<string, JsonSchema> | undefined;
    const additional = schema.additionalProperties as JsonSchema | undefined;
    const oldObj = (old ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const sub = props?.[k] ?? (typeof additional === 'object' ? additional : undefined);
      if (sub) out.push(...celViolations(sub, v, `${path}.${k}`, oldObj[k]));
    }
  }
  return out;
}
