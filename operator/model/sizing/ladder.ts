// Sizing: the seed document's DAU ladder, exactly, and the calibrated capacity model
// (capacity.ts) above and beside it.
//
// Each component's replica range is the larger of two, bound by bound:
// - the ladder: the seed's rung at or above the DAU (50,001 DAU takes the 75K rung); above the
//   top rung (100K), the top rung itself: the floor a pipeline never falls below as it grows;
// - the calibrated need: min for the workload model's average load, max for its peak, each at
//   the measured per-replica capacity with headroom (capacity.ts).
// Both are non-decreasing in DAU, so the result is too: no step down after the top rung. Up to
// 100K the ladder is the larger everywhere (its rungs leave room for availability, and the
// calibrated need there is one or two replicas), so the seed's four rows stand unchanged.
//
// The single consumer layout has no row of its own: the seed's basic deployment runs one
// consumer, so its ladder range starts at one replica and reaches the largest split consumer's
// maximum; the calibrated need of all the sources together lifts both bounds as DAU grows.
//
// Kafka brokers are outside the operator (it only recommends them) and follow the same rule:
// the larger of the ladder's broker column (above 100K the top rung's 3-5) and the calibrated
// need for the bytes the producer writes, counted once per replica (brokerNeed in capacity.ts,
// from the measured bytes one broker takes in), never fewer than the replication factor.
import { ALL_COMPONENTS, SPLIT_CONSUMERS, type ComponentName } from '../../../core/domain.js';
import { defaultReplicationFactor } from '../defaults.js';
import { brokerNeed, CALIBRATION, capacityNeeds, type BrokerNeed, type CapacityNeed, type CapacitySpec } from './capacity.js';
import type { Calibration, Range } from './types.js';

export type { Range } from './types.js';

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

/** Above the ladder the tier is named after the DAU rounded up to this step. */
const TIER_STEP = 25_000;

interface ComponentBasis {
  /** The ladder's range for the DAU (above the top rung: the top rung's). */
  readonly ladder: Range;
  /** What the calibrated capacity model says the load needs. */
  readonly calibrated: CapacityNeed;
}

export interface Sizing {
  /** Rung name, e.g. "75k"; above the ladder the DAU rounded up to 25K, e.g. "1m". */
  readonly tier: string;
  /** Above the top rung: the calibrated need sizes every component (never below the top rung). */
  readonly aboveLadder: boolean;
  /** The DAU of the rung, or above the ladder the DAU itself. */
  readonly sizedForDau: number;
  /** Version of the calibrated figures the need comes from (capacity-data.ts). */
  readonly calibration: string;
  readonly producer: Range;
  readonly sms: Range;
  readonly events: Range;
  readonly common: Range;
  /** The single layout's one consumer. */
  readonly all: Range;
  readonly kafkaBrokers: Range;
  readonly basis: Readonly<Record<ComponentName, ComponentBasis>>;
  readonly brokerBasis: { readonly ladder: Range; readonly calibrated: BrokerNeed };
}

/** What sizing reads of a spec: the capacity spec and, if set, the topics' replication factor. */
export interface SizeSpec extends CapacitySpec {
  readonly kafka?: { readonly replicationFactor?: number } | undefined;
}

function tierName(dau: number): string {
  return dau % 1_000_000 === 0 ? `${dau / 1_000_000}m` : `${dau / 1000}k`;
}

const TOP = LADDER[LADDER.length - 1]!;

/** The ladder alone: the rung at or above the DAU, or above the ladder the top rung. */
export function ladderFor(dau: number): LadderRung & { readonly tier: string; readonly aboveLadder: boolean } {
  if (!Number.isInteger(dau) || dau < 1) throw new RangeError(`dau must be a positive integer, got ${dau}`);
  const rung = LADDER.find((x) => dau <= x.dau);
  if (rung) return { ...rung, tier: tierName(rung.dau), aboveLadder: false };
  return { ...TOP, dau, tier: tierName(Math.ceil(dau / TIER_STEP) * TIER_STEP), aboveLadder: true };
}

const larger = (a: Range, b: Range): Range => ({ min: Math.max(a.min, b.min), max: Math.max(a.max, b.max) });

export function sizeFor(spec: SizeSpec, calibration: Calibration = CALIBRATION): Sizing {
  const ladder = ladderFor(spec.dau);
  const needs = capacityNeeds(spec, calibration);
  const brokers = brokerNeed(spec, spec.kafka?.replicationFactor ?? defaultReplicationFactor(spec.environment, spec.dau), calibration);
  const ladderOf = (c: ComponentName): Range => (c === 'all' ? { min: 1, max: Math.max(...SPLIT_CONSUMERS.map((k) => ladder[k].max)) } : ladder[c]);
  const basis = Object.fromEntries(ALL_COMPONENTS.map((c) => [c, { ladder: ladderOf(c), calibrated: needs[c] }])) as Record<ComponentName, ComponentBasis>;
  return {
    tier: ladder.tier,
    aboveLadder: ladder.aboveLadder,
    sizedForDau: ladder.dau,
    calibration: calibration.version,
    producer: larger(ladder.producer, needs.producer.replicas),
    sms: larger(ladder.sms, needs.sms.replicas),
    events: larger(ladder.events, needs.events.replicas),
    common: larger(ladder.common, needs.common.replicas),
    all: larger(basis.all.ladder, needs.all.replicas),
    kafkaBrokers: larger(ladder.kafkaBrokers, brokers.brokers),
    basis,
    brokerBasis: { ladder: ladder.kafkaBrokers, calibrated: brokers },
  };
}
