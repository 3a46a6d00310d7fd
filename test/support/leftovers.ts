// Names the benchmarks give what they create on the shared test services: a prefix and the
// creation time in base 36 (`cal` + Date.now().toString(36), then anything after a - or _).
// A run that crashed leaves its databases and topics behind; the next run removes those of
// runs old enough to be over, by the time in their names, and never a running one's.

/** A new stamped name: `prefix` and the time now. */
export const stampedName = (prefix: string, now = Date.now()): string => `${prefix}${now.toString(36)}`;

/** When a stamped name was made (ms since the epoch), or undefined for any other name. */
export function stampedAt(name: string, prefix: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const m = /^([0-9a-z]{8})(?:[-_.]|$)/.exec(name.slice(prefix.length));
  if (!m) return undefined;
  const t = parseInt(m[1]!, 36);
  // 8 base-36 digits span 1973 to 2059; anything else is not one of ours
  return t > Date.UTC(2020, 0, 1) ? t : undefined;
}

/** The names among `names` stamped with `prefix` more than `maxAgeMs` before `now`. */
export function staleNames(names: readonly string[], prefix: string, now: number, maxAgeMs: number): string[] {
  return names.filter((n) => {
    const t = stampedAt(n, prefix);
    return t !== undefined && now - t > maxAgeMs;
  });
}
