// The sizing plan of a pipeline: what `mobileforge plan` prints and what status reports.
import type { Environment } from '../../api/v1alpha1.js';
import { CONSUMER_LAYOUTS, consumersOf, type ComponentName, type ConsumerLayout, type Region } from '../../../core/domain.js';
import { CALIBRATION, capacitySpread, dailyPerDau, HEADROOM, PEAK_FACTOR, type Calibration, type Load, type Spread } from './capacity.js';
import { resolveSizing, type ResolvedSizing, type SizingSpec } from '../resolve.js';
import { sizeFor, type Range, type Sizing } from './ladder.js';
import { nodeSpecFor, type NodeSpec, type PodResources } from './profile.js';
import { parseQuantity } from '../../../core/quantity.js';
import { desiredTopics, type DesiredTopic } from '../kafka/topics.js';

/** Per-DAU daily traffic from docs/workload-model.md (India has no contacts or call logs). */
export const WORKLOAD_MODEL = {
  india: { requestsPerDauDay: dailyPerDau('india').requests, recordsPerDauDay: dailyPerDau('india').records },
  other: { requestsPerDauDay: dailyPerDau('other').requests, recordsPerDauDay: dailyPerDau('other').records },
  peakFactor: PEAK_FACTOR,
} as const;

export interface PeakLoad {
  requestsPerSecond: number;
  recordsPerSecond: number;
}

export function peakLoad(dau: number, region: Region): PeakLoad {
  const m = WORKLOAD_MODEL[region];
  const rate = (perDay: number): number => Math.round(((dau * perDay) / 86_400) * WORKLOAD_MODEL.peakFactor);
  return { requestsPerSecond: rate(m.requestsPerDauDay), recordsPerSecond: rate(m.recordsPerDauDay) };
}

/** Sum of a resource over replicas: at the floor (min replicas) and the ceiling (max replicas). */
interface Footprint {
  vcpu: Range;
  memoryGiB: Range;
}

interface ComponentPlan {
  name: ComponentName;
  /** Load at the day's average and at the peak (the producer: requests and records; consumers: records). */
  load: { average: Load; peak: Load };
  /** What one replica carries at its measured capacity. */
  perReplica: Load;
  /** The calibration rounds' lowest and highest figure (the headline rate: requests/s, or records/s for consumers). */
  spread: Spread | undefined;
  /** Replicas the calibrated model needs (min: average, max: peak, at HEADROOM) and the ladder's. */
  calibrated: Range;
  ladder: Range;
  replicas: Range;
  resources: PodResources;
  /** Requests (not limits) over the replica range. */
  requests: Footprint;
}

export interface Plan {
  dau: number;
  environment: Environment;
  region: Region;
  tier: string;
  aboveLadder: boolean;
  sizedForDau: number;
  calibration: { version: string; date: string; machine: string; command: string; headroom: number };
  nodeSpec: NodeSpec;
  consumerLayout: ConsumerLayout;
  components: ComponentPlan[];
  /** Requests of every component together, at the floor and the ceiling. */
  total: Footprint;
  /** The consumers' requests in each layout (the spec's overrides apply to its own layout only). */
  consumersByLayout: Record<ConsumerLayout, Footprint>;
  topics: DesiredTopic[];
  kafkaBrokers: Range;
  /** Why that many brokers: the bytes written, the replication factor, the measured broker. */
  brokers: {
    /** Bytes/s the producer writes at the day's average (min) and the peak (max), leaders only. */
    bytesIn: Range;
    replicationFactor: number;
    perBroker: number;
    bytesPerRecord: number;
    spread: Spread | undefined;
    need: Range;
    ladder: Range;
    measured: { date: string; command: string; criterion: string };
  };
  peak: PeakLoad;
}

const cores = (q: string): number => Number(parseQuantity(q).milli) / 1000;
const gib = (q: string): number => Number(parseQuantity(q).milli) / 1000 / 2 ** 30;
const round2 = (x: number): number => Math.round(x * 100) / 100;
const over = (per: number, r: Range): Range => ({ min: round2(per * r.min), max: round2(per * r.max) });

const sumOf = (plans: ComponentPlan[], f: (c: ComponentPlan) => Range): Range => ({
  min: round2(plans.reduce((n, c) => n + f(c).min, 0)),
  max: round2(plans.reduce((n, c) => n + f(c).max, 0)),
});
const footprint = (plans: ComponentPlan[]): Footprint => ({ vcpu: sumOf(plans, (c) => c.requests.vcpu), memoryGiB: sumOf(plans, (c) => c.requests.memoryGiB) });

function componentPlan(r: ResolvedSizing, name: ComponentName, calibration: Calibration): ComponentPlan {
  const s = r.settings[name]!;
  const b = r.sizing.basis[name];
  return {
    name,
    load: b.calibrated.load,
    perReplica: b.calibrated.capacity,
    spread: capacitySpread(r.environment, name, calibration),
    calibrated: b.calibrated.replicas,
    ladder: b.ladder,
    replicas: s.replicas,
    resources: s.resources,
    requests: { vcpu: over(cores(s.resources.requests.cpu), s.replicas), memoryGiB: over(gib(s.resources.requests.memory), s.replicas) },
  };
}

export function planFor(spec: SizingSpec, calibration: Calibration = CALIBRATION, sizing: Sizing = sizeFor(spec, calibration)): Plan {
  const r = resolveSizing(spec, calibration, sizing);
  const layout = r.consumerLayout;
  const components = r.components.map((name) => componentPlan(r, name, calibration));
  const consumersIn = (l: ConsumerLayout): Footprint =>
    footprint(
      l === layout
        ? components.filter((c) => c.name !== 'producer')
        : consumersOf(l).map((name) => componentPlan(resolveSizing({ ...spec, consumers: { layout: l } }, calibration, sizing), name, calibration)),
    );
  return {
    dau: r.dau,
    environment: r.environment,
    region: r.region,
    tier: sizing.tier,
    aboveLadder: sizing.aboveLadder,
    sizedForDau: sizing.sizedForDau,
    calibration: {
      version: calibration.version,
      date: calibration.provenance.date,
      machine: calibration.provenance.machine,
      command: calibration.provenance.command,
      headroom: HEADROOM,
    },
    nodeSpec: nodeSpecFor(r.environment),
    consumerLayout: layout,
    components,
    total: footprint(components),
    consumersByLayout: Object.fromEntries(CONSUMER_LAYOUTS.map((l) => [l, consumersIn(l)])) as Record<ConsumerLayout, Footprint>,
    topics: desiredTopics(r),
    kafkaBrokers: sizing.kafkaBrokers,
    brokers: {
      bytesIn: sizing.brokerBasis.calibrated.bytesIn,
      replicationFactor: sizing.brokerBasis.calibrated.replicationFactor,
      perBroker: sizing.brokerBasis.calibrated.perBroker,
      bytesPerRecord: sizing.brokerBasis.calibrated.bytesPerRecord,
      spread: calibration.broker.spread,
      need: sizing.brokerBasis.calibrated.brokers,
      ladder: sizing.brokerBasis.ladder,
      measured: calibration.broker.provenance,
    },
    peak: peakLoad(r.dau, r.region),
  };
}
