// The DAU scaling ladder: the seed document's table, exactly, and the rule for DAU beyond it.
//
// Between rungs we take the next rung up (50,001 DAU is sized as 75K). Above the top rung
// (100K) we extrapolate proportionally: round DAU up to the next 25K step S and multiply every
// bound of the 100K row by S / 100K, rounding up. Every component's load is linear in DAU
// (docs/workload-model.md), and the SMS consumer column of the seed is itself exactly linear
// (4 per 25K). Example: 180K DAU -> S = 200K -> x2.0 -> producer 8-20, SMS 8-32.

export interface Range {
  readonly min: number;
  readonly max: number;
}

export interface LadderRung {
  readonly dau: number;
  readonly producer: Range;
  readonly sms: Range;
  readonly events: Range;
  readonly common: Range;
  readonly kafkaBrokers: Range;
}

const r = (min: number, max: number): Range => ({ min, max });

/** The seed's "Scaling Ladder" table. */
export const LADDER: readonly LadderRung[] = [
  { dau: 25_000, producer: r(1, 3), sms: r(1, 4), events: r(1, 2), common: r(1, 2), kafkaBrokers: r(1, 2) },
  { dau: 50_000, producer: r(2, 5), sms: r(2, 8), events: r(1, 5), common: r(1, 5), kafkaBrokers: r(3, 3) },
  { dau: 75_000, producer: r(3, 7), sms: r(3, 12), events: r(2, 7), common: r(2, 7), kafkaBrokers: r(3, 3) },
  { dau: 100_000, producer: r(4, 10), sms: r(4, 16), events: r(3, 10), common: r(3, 10), kafkaBrokers: r(3, 5) },
];

const EXTRAPOLATION_STEP = 25_000;

export interface Sizing {
  /** Rung name, e.g. "75k"; above the ladder the extrapolated step, e.g. "200k". */
  readonly tier: string;
  readonly extrapolated: boolean;
  /** The DAU the sizing is for (the rung or step at or above the requested DAU). */
  readonly sizedForDau: number;
  readonly producer: Range;
  readonly sms: Range;
  readonly events: Range;
  readonly common: Range;
  readonly kafkaBrokers: Range;
}

function tierName(dau: number): string {
  return dau % 1_000_000 === 0 ? `${dau / 1_000_000}m` : `${dau / 1000}k`;
}

export function sizeForDau(dau: number): Sizing {
  if (!Number.isInteger(dau) || dau < 1) throw new RangeError(`dau must be a positive integer, got ${dau}`);
  const rung = LADDER.find((x) => dau <= x.dau);
  if (rung) return { tier: tierName(rung.dau), extrapolated: false, sizedForDau: rung.dau, ...pickRanges(rung) };

  const top = LADDER[LADDER.length - 1]!;
  const step = Math.ceil(dau / EXTRAPOLATION_STEP) * EXTRAPOLATION_STEP;
  const factor = step / top.dau;
  const scale = (x: Range): Range => ({ min: Math.ceil(x.min * factor), max: Math.ceil(x.max * factor) });
  return {
    tier: tierName(step),
    extrapolated: true,
    sizedForDau: step,
    producer: scale(top.producer),
    sms: scale(top.sms),
    events: scale(top.events),
    common: scale(top.common),
    kafkaBrokers: scale(top.kafkaBrokers),
  };
}

function pickRanges(x: LadderRung): Omit<Sizing, 'tier' | 'extrapolated' | 'sizedForDau'> {
  return { producer: x.producer, sms: x.sms, events: x.events, common: x.common, kafkaBrokers: x.kafkaBrokers };
}
