// Guard rails: where a spec asks for more than the sizing model finds useful. Never a
// rejection (a platform team may have reasons the model does not know) and never part of
// Ready: the operator applies the spec as written and says so in the OverProvisioned
// condition, so a typo (an extra zero in a replica count or a DAU-sized override copied
// from a bigger pipeline) is visible before it is paid for.
import { TOPIC_FACTS, TOPICS, type ComponentName } from '../../../core/domain.js';
import { parseQuantity } from '../../../core/quantity.js';
import type { ResolvedSizing } from '../resolve.js';
import type { Traffic } from '../kafka/flow.js';
import type { Sizing } from './ladder.js';
import { ONE_PROCESS_CPU } from './profile.js';

/** A bound this many times what the model plans (and at least this many replicas more) reads as a typo. */
const FAR_BEYOND = 4;
const FAR_BEYOND_MARGIN = 4;

const farBeyond = (asked: number, planned: number): boolean => asked > FAR_BEYOND * planned && asked - planned >= FAR_BEYOND_MARGIN;

const fmt = (n: number): string => n.toLocaleString('en-US');

function path(c: ComponentName): string {
  return c === 'producer' ? 'producer' : `consumers.${c}`;
}

/** Messages, one per finding, in a fixed order (so an unchanged spec gives an unchanged condition). */
export function overProvisioning(r: ResolvedSizing): string[] {
  const out: string[] = [];
  const sizing = r.sizing;
  const peak = `the ${fmt(r.dau)} DAU peak`;
  for (const c of r.components) {
    // What the spec asks for as written, not the resolved range.
    const o = r.settings[c]!.overrides;
    const planned = sizing[c];
    if (o.minReplicas !== undefined && o.minReplicas > planned.max)
      out.push(
        `${path(c)}.minReplicas ${o.minReplicas} is above the ${planned.max} replicas the model plans for ${peak}: at least ${o.minReplicas - planned.max} pods would idle even at peak`,
      );
    if (o.maxReplicas !== undefined && farBeyond(o.maxReplicas, planned.max))
      out.push(`${path(c)}.maxReplicas ${o.maxReplicas} is more than ${FAR_BEYOND}x the ${planned.max} the model plans for ${peak}`);
    const cpu = o.resources?.requests?.cpu;
    if (cpu !== undefined && Number(parseQuantity(cpu).milli) / 1000 > ONE_PROCESS_CPU)
      out.push(`${path(c)} requests ${cpu} CPU, but one workload process uses at most ${ONE_PROCESS_CPU} core: the rest stays idle (add replicas instead)`);
  }
  for (const t of TOPICS) {
    const asked = r.kafka.topicOverrides[t]?.partitions;
    if (asked === undefined) continue;
    const useful = Math.max(TOPIC_FACTS[t].seedPartitions, sizing[TOPIC_FACTS[t].consumer].max);
    if (farBeyond(asked, useful))
      out.push(
        `kafka.topics.${t}.partitions ${asked} is more than ${FAR_BEYOND}x the ${useful} the model plans (the seed's count or the consumer's max replicas), and partitions can never be decreased`,
      );
  }
  return out;
}

/** How long produce rates must have been read for a DAU before they are held against it: a whole day, peak included. */
const TRAFFIC_WINDOW_MS = 24 * 3600_000;
/** The busiest rate read under this share of the model's day average reads as a DAU typo. */
const TRAFFIC_SHARE = 0.1;

/** Two significant figures: small changes of the busiest rate do not rewrite the message (and status). */
const roughly = (x: number): string => fmt(Number(x.toPrecision(2)));

/**
 * A DAU far above the traffic: after a day of readings (the operator reads the produce rate in
 * every topic mode), the busiest rate seen is under a tenth of the model's average for the DAU.
 * The replicas, partitions and brokers sized for it would idle. Undefined otherwise.
 */
export function dauBeyondTraffic(sizing: Sizing, traffic: Traffic, now: number): string | undefined {
  if (now - traffic.since < TRAFFIC_WINDOW_MS) return undefined;
  const average = sizing.basis.producer.calibrated.load.average.recordsPerSecond;
  const busiest = traffic.busiestRecordsPerMinute / 60;
  if (busiest >= TRAFFIC_SHARE * average) return undefined;
  return `dau ${fmt(traffic.dau)}: in a day or more of readings the busiest produce rate was about ${roughly(busiest)} records/s, under a tenth of the ${roughly(average)} records/s the model expects on average for that DAU (a typo?)`;
}
