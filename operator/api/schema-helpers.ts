// Small builders that keep the TypeBox schema inside what a Kubernetes structural schema
// accepts: no `const`, no `patternProperties`, no `additionalProperties: false`; enums as
// `enum`, string maps as `additionalProperties`, quantities as int-or-string.
import { Type, type TOptional, type TSchema, type TUnsafe, type SchemaOptions } from '@sinclair/typebox';

interface CelRule {
  rule: string;
  message: string;
  /** A CEL expression giving the message; `message` stands when it cannot be evaluated. */
  messageExpression?: string;
  /** JSONPath-like field the error is reported on, relative to the schema node. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** Schema options plus the Kubernetes extensions we use. */
export interface KubeOptions extends SchemaOptions {
  description: string;
  'x-kubernetes-validations'?: CelRule[];
}

export function StringEnum<const T extends readonly string[]>(values: T, options: KubeOptions): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

export function StringMap(options: KubeOptions & { maxProperties?: number }): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({ ...options, type: 'object', additionalProperties: { type: 'string' } });
}

/** A resource quantity ("500m", "2Gi", 4). */
export function Quantity(description: string): TUnsafe<string | number> {
  return Type.Unsafe<string | number>({
    description,
    'x-kubernetes-int-or-string': true,
    // The int-or-string form Kubernetes accepts as structural: exactly these two branches,
    // everything else at the top level.
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern: '^[0-9]+(\\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$',
  });
}

/**
 * An embedded Kubernetes type we pass through unchanged (affinity, a toleration, ...): typed
 * as the client library's type in TypeScript, validated by the API server where it lands.
 */
export function Opaque<T>(description: string): TUnsafe<T> {
  return Type.Unsafe<T>({ description, type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
}

export function OpaqueList<T>(description: string, maxItems: number): TUnsafe<T[]> {
  return Type.Unsafe<T[]>({
    description,
    type: 'array',
    maxItems,
    items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  });
}

/** Recursively drops TypeBox's symbol keys, leaving plain JSON for the CRD. */
export function toPlainJson(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}

/** An object's properties, one optional schema per key (topics, consumers). */
export function optionalKeys<const K extends string, S extends TSchema>(keys: readonly K[], make: (key: K) => S): Record<K, TOptional<S>> {
  return Object.fromEntries(keys.map((k) => [k, Type.Optional(make(k))])) as unknown as Record<K, TOptional<S>>;
}
