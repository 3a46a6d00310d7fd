// Canonical Kubernetes resource quantities. The API server stores quantities in canonical
// form ("3000m" becomes "3", "6144Mi" becomes "6Gi"); rendering them canonically lets the
// operator compare what it wants with what is stored and skip writes when nothing changed.
//
// Rules (k8s.io/apimachinery resource.Quantity): a binary suffix (Ki, Mi, Gi, Ti, Pi, Ei)
// keeps binary form, choosing the largest binary suffix that leaves an integer, when the
// value is a whole number of Ki; otherwise (and for decimal or no suffix) decimal form with the
// largest exponent multiple of 3 (m, "", k, M, G, T, P, E) that leaves an integer.

import { BINARY_SUFFIXES, DECIMAL_SUFFIXES, parseQuantity } from '../../core/quantity.js';

export { InvalidQuantityError } from '../../core/quantity.js';

// Largest first: the canonical form uses the largest suffix that leaves an integer.
const BINARY = Object.entries(BINARY_SUFFIXES).sort(([, a], [, b]) => (a > b ? -1 : 1));
const DECIMAL = Object.entries(DECIMAL_SUFFIXES).sort(([, a], [, b]) => (a > b ? -1 : 1));

/** Canonical string for a quantity such as "1500m", "0.5", "1024Mi" or 4. */
export function canonicalQuantity(q: string | number): string {
  const { milli, binary } = parseQuantity(q);
  if (milli === 0n) return '0';
  if (binary && milli % 1000n === 0n) {
    const units = milli / 1000n;
    for (const [s, size] of BINARY) if (units % size === 0n) return `${units / size}${s}`;
    // below 1Ki: decimal form
  }
  for (const [s, size] of DECIMAL) if (milli % size === 0n) return `${milli / size}${s}`;
  return `${milli}m`;
}
