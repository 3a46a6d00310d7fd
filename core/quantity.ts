// Kubernetes resource quantities ("500m", "1.5", "2Gi", 4) as exact numbers, shared by the
// offline validator (bounds, request <= limit, as the CRD's CEL quantity() rules check) and the
// operator's model (canonical form). k8s.io/apimachinery resource.Quantity rules.

export const BINARY_SUFFIXES: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
// Decimal suffixes scaled by 1000 so that milli units are integers.
export const DECIMAL_SUFFIXES: Record<string, bigint> = {
  m: 1n,
  '': 10n ** 3n,
  k: 10n ** 6n,
  M: 10n ** 9n,
  G: 10n ** 12n,
  T: 10n ** 15n,
  P: 10n ** 18n,
  E: 10n ** 21n,
};

const PATTERN = /^(\d+)(?:\.(\d+))?(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/;

export class InvalidQuantityError extends Error {
  override name = 'InvalidQuantityError';
}

export interface ParsedQuantity {
  /** The value in thousandths (fractions beyond milli precision rounded up, as Kubernetes does). */
  milli: bigint;
  /** Written with a binary suffix (Ki, Mi, ...). */
  binary: boolean;
}

export function parseQuantity(q: string | number): ParsedQuantity {
  const text = String(q);
  const m = PATTERN.exec(text);
  if (!m) throw new InvalidQuantityError(`"${text}" is not a resource quantity`);
  const [, whole = '0', frac = '', suffix = ''] = m;
  const binary = BINARY_SUFFIXES[suffix];
  const scale = binary !== undefined ? binary * 1000n : (DECIMAL_SUFFIXES[suffix] ?? 1000n);
  const denominator = 10n ** BigInt(frac.length);
  const numerator = (BigInt(whole) * denominator + BigInt(frac || '0')) * scale;
  return { milli: (numerator + denominator - 1n) / denominator, binary: binary !== undefined };
}
