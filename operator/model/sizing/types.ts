// The sizing model's shapes, apart from the functions: the calibration data (generated, in
// capacity-data.ts), the capacity model and the ladder all use them, and none of them needs
// another's code to do so.
import type { SplitConsumer } from '../../../core/domain.js';

export interface Range {
  readonly min: number;
  readonly max: number;
}

export type ProfileName = 'production' | 'dev-uat';

/**
 * A figure measured in several rounds: the recorded figure is their median, and this is the
 * lowest and highest round, so a reader sees how far one round strays on a shared machine.
 * Absent on figures from a single round.
 */
export interface Spread {
  readonly rounds: number;
  readonly min: number;
  readonly max: number;
}

interface ProducerCapacity {
  /** Requests/s one process sustained at the profile's CPU request with p99 < 50 ms and no failures. */
  readonly requestsPerSecond: number;
  readonly recordsPerSecond: number;
  /** Records per request of the calibration load (the workload model's mean). */
  readonly recordsPerRequest: number;
  readonly p99Ms: number;
  readonly cpuCores: number;
  readonly rssMb: number;
  /** Of requestsPerSecond, over the rounds. */
  readonly spread?: Spread;
}

interface ConsumerCapacity {
  /** Records/s one process drained at the profile's CPU request. */
  readonly recordsPerSecond: number;
  readonly recordsPerMessage: number;
  readonly cpuCores: number;
  readonly rssMb: number;
  readonly drainSeconds: number;
  /** Of recordsPerSecond, over the rounds. */
  readonly spread?: Spread;
}

/**
 * What one Kafka broker took in, measured with the product's own messages (splitIntoMessages,
 * gzip record batches, acks=all) at replication factor 1: bytes appended to its log per second.
 * The broker runs outside any CPU limit, on whatever the machine gives it.
 */
interface BrokerCapacity {
  /** Bytes appended to the partition logs per second (compressed batches, as stored and replicated). */
  readonly bytesInPerSecond: number;
  readonly recordsPerSecond: number;
  /** Compressed log bytes per record of the workload model's mix of sources (India). */
  readonly bytesPerRecord: number;
  /** The same records as the messages' JSON, before compression: how much gzip took off. */
  readonly jsonBytesPerRecord: number;
  /** CPU the broker process used while it did so, in cores. */
  readonly cpuCores: number;
  readonly spread?: Spread;
  readonly provenance: {
    readonly date: string;
    readonly machine: string;
    readonly command: string;
    readonly criterion: string;
  };
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
  readonly broker: BrokerCapacity;
}
