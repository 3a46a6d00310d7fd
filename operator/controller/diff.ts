// Deciding whether an object needs to be written: the operator must send nothing when
// nothing changed (an idle operator makes zero write requests), yet restore hand edits.
import type { KubernetesObject } from '@kubernetes/client-node';
import { stableHash } from '../model/hash.js';
import { ANNOTATION_PREFIX } from '../model/naming.js';

/** Hash of the object as last applied; a change in what we want changes it (removals too). */
export const APPLIED_HASH_ANNOTATION = `${ANNOTATION_PREFIX}/applied-hash`;

export function contentHash(value: unknown): string {
  return stableHash(value);
}

/**
 * True when every field of `desired` is present with the same value in `live`. Maps may
 * hold more keys (server defaults, other managers' fields); lists must match element by
 * element.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  if (Array.isArray(desired)) {
    return Array.isArray(live) && desired.length === live.length && desired.every((d, i) => isSubset(d, live[i]));
  }
  if (desired && typeof desired === 'object') {
    if (!live || typeof live !== 'object' || Array.isArray(live)) return false;
    return Object.entries(desired).every(([k, v]) => v === undefined || isSubset(v, (live as Record<string, unknown>)[k]));
  }
  return false;
}

/** The desired object with its applied-hash annotation. */
export function withAppliedHash<T extends KubernetesObject>(obj: T): T {
  const hash = contentHash(obj);
  return { ...obj, metadata: { ...obj.metadata, annotations: { ...obj.metadata?.annotations, [APPLIED_HASH_ANNOTATION]: hash } } };
}

/** Whether `desired` (already carrying its hash) must be applied over `live`. */
export function needsApply(desired: KubernetesObject, live: KubernetesObject | undefined): boolean {
  if (!live) return true;
  const want = desired.metadata?.annotations?.[APPLIED_HASH_ANNOTATION];
  if (live.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] !== want) return true;
  return !isSubset(desired, live);
}
