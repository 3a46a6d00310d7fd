// The capacity model: how many replicas each component needs for a DAU, from the workload
// model's load (docs/workload-model.md) and the per-replica capacity measured by the
// calibration run (`npm run calibrate`, test/bench/calibrate.ts; the figures and their
// provenance are in capacity-data.ts).
//
//   replicas for a load = ceil(load / (capacity per replica × HEADROOM))
//   min = replicas for the day's average load, max = replicas for the peak (3 × average)
//
// HEADROOM is the autoscalers' default CPU target: a replica at its measured capacity runs at
// about its whole CPU request, so at the target utilisation it carries HEADROOM of that
// capacity, and the autoscaler settles where this model puts it.
import type { Environment } from '../../api/v1alpha1.js';
import { ALL_COMPONENTS, SPLIT_CONSUMERS, type ComponentName, type Region, type Source } from '../../../core/domain.js';
import { CALIBRATION } from './capacity-data.js';
import type { Calibration, ProfileName, Range, Spread } from './types.js';

export type { Calibration, ProfileCapacity, ProfileName, Spread } from './types.js';

export { CALIBRATION };

/** Share of its measured capacity a replica carries in this model: the default CPU target (70 %). */
export const HEADROOM = 0.7;

/** Busiest hour over the day's average (docs/workload-model.md). */
export const PEAK_FACTOR = 3;

/** Per-DAU daily requests and records of each source (docs/workload-model.md). */
const SOURCE_MODEL: Readonly<Record<Region, Partial<Record<Source, { requests: number; records: number }>>>> = {
  india: {
    // 6 background syncs of 40, and 5 % of users backfilling 3,000 messages in batches of 500
    sms: { requests: 6.3, records: 390 },
    events: { requests: 6, records: 150 },
    apps_and_device: { requests: 1, records: 61 },
  },
  other: {
    sms: { requests: 6.3, records: 390 },
    events: { requests: 6, records: 150 },
    apps_and_device: { requests: 1, records: 61 },
    contacts: { requests: 1, records: 300 },
    call_logs: { requests: 6, records: 120 },
  },
};

const SOURCES_OF: Readonly<Record<ComponentName, readonly Source[]>> = {
  producer: ['sms', 'events', 'apps_and_device', 'contacts', 'call_logs'],
  sms: ['sms'],
  events: ['events'],
  common: ['apps_and_device', 'contacts', 'call_logs'],
  all: ['sms', 'events', 'apps_and_device', 'contacts', 'call_logs'],
};

/** Per-DAU daily totals of a region (what every component together sees). */
export function dailyPerDau(region: Region): { requests: number; records: number } {
  return Object.values(SOURCE_MODEL[region]).reduce((a, s) => ({ requests: a.requests + s.requests, records: a.records + s.records }), {
    requests: 0,
    records: 0,
  });
}

/** The producer calibration's records per request: the region's mean, whole. */
export function producerRecordsPerRequest(region: Region): number {
  const d = dailyPerDau(region);
  return Math.round(d.records / d.requests);
}

export interface Load {
  readonly requestsPerSecond: number;
  readonly recordsPerSecond: number;
}

/** A component's load at the day's average and at the peak, unrounded. */
export function componentLoad(dau: number, region: Region, c: ComponentName): { average: Load; peak: Load } {
  const sources = SOURCES_OF[c].map((s) => SOURCE_MODEL[region][s]).filter((s) => s !== undefined);
  const perDay = sources.reduce((a, s) => ({ requests: a.requests + s.requests, records: a.records + s.records }), { requests: 0, records: 0 });
  const average = { requestsPerSecond: (dau * perDay.requests) / 86_400, recordsPerSecond: (dau * perDay.records) / 86_400 };
  return {
    average,
    peak: { requestsPerSecond: average.requestsPerSecond * PEAK_FACTOR, recordsPerSecond: average.recordsPerSecond * PEAK_FACTOR },
  };
}

function profileOf(environment: Environment): ProfileName {
  return environment === 'production' ? 'production' : 'dev-uat';
}

/**
 * What one replica of a component carries at its measured capacity (consumers: records only).
 * The single layout's consumer does each split consumer's work in the same proportions as the
 * load brings it, so its capacity is the load-weighted harmonic mean of theirs: the records/s
 * at which the time each kind of record takes adds up to one replica's time.
 */
function replicaCapacity(spec: CapacitySpec, c: ComponentName, calibration: Calibration): Load {
  const p = calibration.profiles[profileOf(spec.environment)];
  if (c === 'producer') return { requestsPerSecond: p.producer.requestsPerSecond, recordsPerSecond: p.producer.recordsPerSecond };
  if (c !== 'all') return { requestsPerSecond: Number.POSITIVE_INFINITY, recordsPerSecond: p.consumers[c].recordsPerSecond };
  const records = (k: ComponentName) => componentLoad(1, spec.region, k).average.recordsPerSecond;
  const secondsPerRecord = SPLIT_CONSUMERS.reduce((t, k) => t + records(k) / p.consumers[k].recordsPerSecond, 0) / records('all');
  return { requestsPerSecond: Number.POSITIVE_INFINITY, recordsPerSecond: 1 / secondsPerRecord };
}

/** How far the calibration's rounds strayed from the recorded figure (undefined: one round, or the single layout's derived consumer). */
export function capacitySpread(environment: Environment, c: ComponentName, calibration: Calibration = CALIBRATION): Spread | undefined {
  const p = calibration.profiles[profileOf(environment)];
  if (c === 'producer') return p.producer.spread;
  return c === 'all' ? undefined : p.consumers[c].spread;
}

function replicasFor(load: Load, capacity: Load): number {
  const need = Math.max(load.requestsPerSecond / (capacity.requestsPerSecond * HEADROOM), load.recordsPerSecond / (capacity.recordsPerSecond * HEADROOM));
  // A tiny tolerance, so float noise on an exact multiple does not add a replica.
  return Math.max(1, Math.ceil(need - 1e-9));
}

export interface CapacityNeed {
  readonly load: { readonly average: Load; readonly peak: Load };
  readonly capacity: Load;
  /** min: the average load at HEADROOM; max: the peak at HEADROOM. */
  readonly replicas: Range;
}

export interface CapacitySpec {
  readonly dau: number;
  readonly environment: Environment;
  readonly region: Region;
}

function capacityNeed(spec: CapacitySpec, c: ComponentName, calibration: Calibration = CALIBRATION): CapacityNeed {
  const load = componentLoad(spec.dau, spec.region, c);
  const capacity = replicaCapacity(spec, c, calibration);
  const min = replicasFor(load.average, capacity);
  return { load, capacity, replicas: { min, max: Math.max(min, replicasFor(load.peak, capacity)) } };
}

/**
 * Kafka brokers for the load: every record the producer writes reaches the brokers once as a
 * leader's write (the measured compressed bytes per record) and again on each follower (RF - 1
 * fetches), so the bytes the cluster takes in are the produced bytes × RF; spread over the
 * brokers, each carries its share at HEADROOM of what one broker took in when measured. Never
 * fewer brokers than the replication factor, which could not place the replicas otherwise.
 * The bytes per record were measured on India's mix of sources; the other region's contacts and
 * call logs are taken at that size (no calibration shape of their own yet).
 */
export interface BrokerNeed {
  /** Bytes/s the producer writes (leaders only), at the day's average and at the peak. */
  readonly bytesIn: Range;
  readonly replicationFactor: number;
  /** Bytes/s one broker took in when measured (capacity-data.ts). */
  readonly perBroker: number;
  readonly bytesPerRecord: number;
  /** min: the average at HEADROOM; max: the peak at HEADROOM; each at least the replication factor. */
  readonly brokers: Range;
}

export function brokerNeed(spec: CapacitySpec, replicationFactor: number, calibration: Calibration = CALIBRATION): BrokerNeed {
  const { bytesInPerSecond, bytesPerRecord } = calibration.broker;
  const load = componentLoad(spec.dau, spec.region, 'producer');
  const bytesIn = { min: load.average.recordsPerSecond * bytesPerRecord, max: load.peak.recordsPerSecond * bytesPerRecord };
  const brokersFor = (bytes: number) => Math.max(replicationFactor, Math.ceil((bytes * replicationFactor) / (bytesInPerSecond * HEADROOM) - 1e-9));
  return { bytesIn, replicationFactor, perBroker: bytesInPerSecond, bytesPerRecord, brokers: { min: brokersFor(bytesIn.min), max: brokersFor(bytesIn.max) } };
}

export function capacityNeeds(spec: CapacitySpec, calibration: Calibration = CALIBRATION): Record<ComponentName, CapacityNeed> {
  return Object.fromEntries(ALL_COMPONENTS.map((c) => [c, capacityNeed(spec, c, calibration)])) as Record<ComponentName, CapacityNeed>;
}
