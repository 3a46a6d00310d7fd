// Human-readable rendering of a sizing plan for `mobileforge plan`.
import { CONSUMER_GROUPS } from '../../core/domain.js';
import { LADDER } from '../model/sizing/ladder.js';
import { componentLabel } from '../model/naming.js';
import type { Plan } from '../model/sizing/plan.js';
import type { Range } from '../model/sizing/ladder.js';
import type { Spread } from '../model/sizing/capacity.js';

const fmt = (n: number): string => n.toLocaleString('en-US');
const whole = (n: number): string => fmt(Math.round(n));
const range = (r: Range): string => (r.min === r.max ? String(r.min) : `${r.min}-${r.max}`);
const num = (n: number): string => String(Math.round(n * 100) / 100);
const amounts = (r: Range, unit: string): string => (r.min === r.max ? `${num(r.min)}${unit}` : `${num(r.min)}-${num(r.max)}${unit}`);

/** Bytes per second, in the unit that keeps it readable. */
function rate(bytes: number): string {
  if (bytes >= 2 ** 20) return `${num(bytes / 2 ** 20)} MiB/s`;
  if (bytes >= 2 ** 10) return `${num(bytes / 2 ** 10)} KiB/s`;
  return `${whole(bytes)} B/s`;
}

/** The calibration rounds' lowest and highest figure, or that there was one round. */
function spreadOf(s: Spread | undefined, show: (n: number) => string = whole): string {
  if (!s) return '1 round';
  return `${s.rounds} rounds: ${show(s.min)} to ${show(s.max)}`;
}

function brokerBasis(p: Plan): string {
  const b = p.brokers;
  const rf = b.replicationFactor;
  return [
    `Kafka brokers (recommended): ${range(p.kafkaBrokers)} (the larger of NEED and LADDER)`,
    `  bytes the producer writes, compressed as stored: ${rate(b.bytesIn.min)} -> ${rate(b.bytesIn.max)} (${num(b.bytesPerRecord)} B/record measured)`,
    `  x RF ${rf} (each follower fetches them again): ${rate(b.bytesIn.min * rf)} -> ${rate(b.bytesIn.max * rf)} over the cluster`,
    `  one broker took in ${rate(b.perBroker)} (the median; ${spreadOf(b.spread, rate)}; measured ${b.measured.date} at RF 1, gzip, acks=all)`,
    `  NEED ${range(b.need)} (average and peak at ${Math.round(p.calibration.headroom * 100)} % of that, at least RF ${rf}); LADDER ${range(b.ladder)}${p.aboveLadder ? ` (the ${fmt(LADDER[LADDER.length - 1]!.dau)} DAU rung)` : ''}`,
  ].join('\n');
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** The consumers' requests in the plan's layout against the other one, and what the cheaper one saves at the floor. */
function layoutComparison(p: Plan): string {
  const other = p.consumerLayout === 'split' ? 'single' : 'split';
  const mine = p.consumersByLayout[p.consumerLayout];
  const theirs = p.consumersByLayout[other];
  const describe = (l: Plan['consumerLayout']) => (l === 'split' ? 'split (sms, events and common consumers)' : 'single (one consumer over every topic)');
  const lines = [
    `Consumer layout ${describe(p.consumerLayout)}: the consumers request ${amounts(mine.vcpu, ' vCPU')} and ${amounts(mine.memoryGiB, ' GiB')}.`,
    `With consumers.layout: ${other} they would request ${amounts(theirs.vcpu, ' vCPU')} and ${amounts(theirs.memoryGiB, ' GiB')}`,
  ];
  const vcpu = mine.vcpu.min - theirs.vcpu.min;
  const memory = mine.memoryGiB.min - theirs.memoryGiB.min;
  if (vcpu > 0 || memory > 0) lines[1] += `: ${num(vcpu)} vCPU and ${num(memory)} GiB less at the floor.`;
  else lines[1] += '.';
  return lines.join('\n');
}

export function formatPlan(p: Plan): string {
  const top = LADDER[LADDER.length - 1]!;
  const tierNote = p.aboveLadder
    ? `above the ladder: each component at the larger of the ${fmt(top.dau)} DAU rung and the calibrated need`
    : `ladder rung for up to ${fmt(p.sizedForDau)} DAU, or the calibrated need where larger`;
  const isProducer = (name: string): boolean => name === 'producer';
  const sizing = table(
    ['COMPONENT', 'LOAD AVG -> PEAK', 'PER REPLICA', 'ROUNDS', 'NEED', 'LADDER', 'REPLICAS'],
    p.components.map((c) => [
      componentLabel(c.name),
      isProducer(c.name)
        ? `${whole(c.load.average.requestsPerSecond)} -> ${whole(c.load.peak.requestsPerSecond)} req/s (${whole(c.load.average.recordsPerSecond)} -> ${whole(c.load.peak.recordsPerSecond)} rec/s)`
        : `${whole(c.load.average.recordsPerSecond)} -> ${whole(c.load.peak.recordsPerSecond)} rec/s`,
      isProducer(c.name)
        ? `${whole(c.perReplica.requestsPerSecond)} req/s (${whole(c.perReplica.recordsPerSecond)} rec/s)`
        : `${whole(c.perReplica.recordsPerSecond)} rec/s`,
      spreadOf(c.spread),
      range(c.calibrated),
      range(c.ladder),
      range(c.replicas),
    ]),
  );
  const resources = table(
    ['COMPONENT', 'REPLICAS', 'CPU REQ/LIMIT', 'MEMORY REQ/LIMIT', 'vCPU REQUESTED', 'MEMORY REQUESTED', 'TOPICS'],
    [
      ...p.components.map((c) => [
        componentLabel(c.name),
        range(c.replicas),
        `${c.resources.requests.cpu}/${c.resources.limits.cpu}`,
        `${c.resources.requests.memory}/${c.resources.limits.memory}`,
        amounts(c.requests.vcpu, ''),
        amounts(c.requests.memoryGiB, ' GiB'),
        c.name === 'producer'
          ? '(writes all)'
          : p.topics
              .filter((t) => t.consumer === c.name && t.role === 'data')
              .map((t) => t.name)
              .join(',') || '-',
      ]),
      [
        'total',
        range({ min: p.components.reduce((n, c) => n + c.replicas.min, 0), max: p.components.reduce((n, c) => n + c.replicas.max, 0) }),
        '',
        '',
        amounts(p.total.vcpu, ''),
        amounts(p.total.memoryGiB, ' GiB'),
        '',
      ],
    ],
  );
  const topics = table(
    ['TOPIC', 'PARTITIONS', 'RF', 'CONSUMER GROUP'],
    p.topics.map((t) => [
      t.name,
      String(t.partitions),
      String(t.replicationFactor),
      t.consumer && t.role === 'data' ? CONSUMER_GROUPS[t.consumer] : t.role === 'clients' ? '(Producer API replicas)' : '(dead letters)',
    ]),
  );
  return [
    `MobileForge Sync plan: ${fmt(p.dau)} DAU, ${p.environment}, region ${p.region}`,
    `Tier: ${p.tier} (${tierNote})`,
    `Calibration ${p.calibration.version} (${p.calibration.date}, ${p.calibration.machine}): per-replica capacity at the pod's CPU request`,
    `NEED = replicas for the average load (min) and the peak (max) at ${Math.round(p.calibration.headroom * 100)} % of that capacity; REPLICAS = the larger of NEED and LADDER`,
    'PER REPLICA is the median calibration round; ROUNDS the lowest and highest round (req/s for the producer, rec/s for consumers)',
    '',
    sizing,
    '',
    `One process per pod (it uses at most one core); the reference deployment ran them on ${p.nodeSpec.vcpu} vCPU / ${p.nodeSpec.memoryGiB} GB machines`,
    'Requested resources at the floor (min replicas) and the ceiling (max replicas):',
    '',
    resources,
    '',
    layoutComparison(p),
    '',
    topics,
    '',
    brokerBasis(p),
    `Expected peak load (docs/workload-model.md): ${fmt(p.peak.requestsPerSecond)} requests/s, ${fmt(p.peak.recordsPerSecond)} records/s`,
    '',
  ].join('\n');
}
