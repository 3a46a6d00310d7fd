// Canonical Kubernetes resource quantities. The API server stores quantities in canonical
// form ("3000m" becomes "3", "6144Mi" becomes "6Gi"); rendering them canonically lets the
// operator compare what it wants with what is stored and skip writes when nothing changed.
//
// Rules (k8s.io/apimachinery resource.Quantity): a binary suffix (Ki, Mi, Gi, Ti, Pi, Ei)
// keeps binary form, choosing the largest binary suffix that leaves an integer, when the
// value is a whole number of Ki; otherwise (and for decimal or no suffix) decimal form with the
// largest exponent multiple of 3 (m, "", k, M, G, T, P, E) that leaves an integer.

const BINARY: [string, bigint][] = [
  ['Ei', 1n << 60n],
  ['Pi', 1n << 50n],
  ['Ti', 1n << 40n],
  ['Gi', 1n << 30n],
  ['Mi', 1n << 20n],
  ['Ki', 1n << 10n],
];
// Decimal suffixes scaled by 1000 so that milli units are integers.
const DECIMAL: [string, bigint][] = [
  ['E', 10n ** 21n],
  ['P', 10n ** 18n],
  ['T', 10n ** 15n],
  ['G', 10n ** 12n],
  ['M', 10n ** 9n],
  ['k', 10n ** 6n],
  ['', 10n ** 3n],
  ['m', 1n],
];

const PATTERN = /^(\d+)(?:\.(\d+))?(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;

export class InvalidQuantityError extends Error {
  override name = 'InvalidQuantityError';
}

/** Canonical string for a quantity such as "1500m", "0.5", "1024Mi" or 4. */
export function canonicalQuantity(q: string | number): string {
  const text = String(q);
  const m = PATTERN.exec(text);
  if (!m) throw new InvalidQuantityError(`"${text}" is not a resource quantity`);
  const [, whole = '0', frac = '', suffix = ''] = m;
  const binary = BINARY.find(([s]) => s === suffix);
  const scale = binary ? binary[1] * 1000n : (DECIMAL.find(([s]) => s === suffix)?.[1] ?? 1000n);
  // value in milli-units, exactly (fractions beyond milli precision are rounded up, as k8s does)
  const denominator = 10n ** BigInt(frac.length);
  const numerator = (BigInt(whole) * denominator + BigInt(frac || '0')) * scale;
  const milli = (numerator + denominator - 1n) / denominator;
  if (milli === 0n) return '0';
  if (binary && milli % 1000n === 0n) {
    const units = milli / 1000n;
    for (const [s, size] of BINARY) if (units % size === 0n) return `${units / size}${s}`;
    // below 1Ki: decimal form
  }
  for (const [s, size] of DECIMAL) if (milli % size === 0n) return `${milli / size}${s}`;
  return `${milli}m`;
}
