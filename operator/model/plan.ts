// The sizing plan of a pipeline: what `mobileforge plan` prints and what status reports.
import type { Environment } from '../api/v1alpha1.js';
import { type Region, COMPONENTS, type ComponentName } from '../../core/domain.js';
import { componentSettings, type SizingSpec } from './defaults.js';
import { sizeForDau, type Range, type Sizing } from './ladder.js';
import { nodeSpecFor, type NodeSpec, type PodResources } from './profile.js';
import { desiredTopics, type DesiredTopic } from './topics.js';

/** Per-DAU daily traffic from docs/workload-model.md (India has no contacts or call logs). */
export const WORKLOAD_MODEL = {
  india: { requestsPerDauDay: 13.3, recordsPerDauDay: 601 },
  other: { requestsPerDauDay: 20.3, recordsPerDauDay: 1021 },
  peakFactor: 3,
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

interface ComponentPlan {
  name: ComponentName;
  replicas: Range;
  resources: PodResources;
}

export interface Plan {
  dau: number;
  environment: Environment;
  region: Region;
  tier: string;
  extrapolated: boolean;
  sizedForDau: number;
  nodeSpec: NodeSpec;
  components: ComponentPlan[];
  topics: DesiredTopic[];
  kafkaBrokers: Range;
  peak: PeakLoad;
}

export function planFor(spec: SizingSpec, sizing: Sizing = sizeForDau(spec.dau)): Plan {
  return {
    dau: spec.dau,
    environment: spec.environment,
    region: spec.region,
    tier: sizing.tier,
    extrapolated: sizing.extrapolated,
    sizedForDau: sizing.sizedForDau,
    nodeSpec: nodeSpecFor(spec.environment),
    components: COMPONENTS.map((name) => {
      const s = componentSettings(spec, sizing, name);
      return { name, replicas: s.replicas, resources: s.resources };
    }),
    topics: desiredTopics(spec, sizing),
    kafkaBrokers: sizing.kafkaBrokers,
    peak: peakLoad(spec.dau, spec.region),
  };
}
