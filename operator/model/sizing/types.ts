// The sizing model's shapes, apart from the functions: the calibration data (generated, in
// capacity-data.ts), the capacity model and the ladder all use them, and none of them needs
// another's code to do so.
import type { SplitConsumer } from '../../../core/domain.js';

export interface Range {
  readonly min: number;
  readonly max: number;
}

export type ProfileName = 'production' | 'dev-uat';

interface ProducerCapacity {
  /** Requests/s one process sustained at the profile's CPU request with p99 < 50 ms and no failures. */
  readonly requestsPerSecond: number;
  readonly recordsPerSecond: number;
  /** Records per request of the calibration load (the workload model's mean). */
  readonly recordsPerRequest: number;
  readonly p99Ms: number;
  readonly cpuCores: number;
  readonly rssMb: number;
}

interface ConsumerCapacity {
  /** Records/s one process drained at the profile's CPU request. */
  readonly recordsPerSecond: number;
  readonly recordsPerMessage: number;
  readonly cpuCores: number;
  readonly rssMb: number;
  readonly drainSeconds: number;
}

export interface ProfileCapacity {
  readonly cpuRequest: string;
  readonly producer: ProducerCapacity;
  /** Calibrated per split consumer; the single layout's consumer is derived from them. */
  readonly consumers: Readonly<Record<SplitConsumer, ConsumerCapacity>>;
}

export interface Calibration {
  /** Changes with every calibration run; status reports it (status.calibration). */
  readonly version: string;
  readonly provenance: {
    readonly date: string;
    readonly machine: string;
    readonly cores: number;
    readonly command: string;
    readonly cpuLimit: string;
    readonly criterion: string;
    readonly versions: Readonly<Record<string, string>>;
  };
  readonly profiles: Readonly<Record<ProfileName, ProfileCapacity>>;
}
