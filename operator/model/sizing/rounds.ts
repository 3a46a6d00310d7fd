// Calibration rounds: a figure measured several times on a shared machine is recorded as its
// median round, whole (the round's CPU, RSS and latency stay with its rate rather than being
// medians of different rounds), with the lowest and highest round beside it, so a reader sees
// how far one round strays from the next.
import type { Spread } from './types.js';

/** The median round by `value` (of an even count, the lower middle: the figure errs low), with the spread over the rounds. */
export function medianRound<T>(rounds: readonly T[], value: (r: T) => number): { median: T; spread: Spread | undefined } {
  if (rounds.length === 0) throw new RangeError('no rounds');
  const sorted = [...rounds].sort((a, b) => value(a) - value(b));
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  if (rounds.length < 2) return { median, spread: undefined };
  return { median, spread: { rounds: rounds.length, min: value(sorted[0]!), max: value(sorted.at(-1)!) } };
}
