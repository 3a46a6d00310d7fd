// Human-readable rendering of a sizing plan for `mobileforge plan`.
import { CONSUMER_GROUPS } from '../../core/domain.js';
import { LADDER } from '../model/ladder.js';
import { componentLabel } from '../model/naming.js';
import type { Plan } from '../model/plan.js';
import type { Range } from '../model/ladder.js';

const fmt = (n: number): string => n.toLocaleString('en-US');
const range = (r: Range): string => (r.min === r.max ? String(r.min) : `${r.min}-${r.max}`);

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function formatPlan(p: Plan): string {
  const top = LADDER[LADDER.length - 1]!;
  const tierNote = p.extrapolated
    ? `extrapolated: the ${fmt(top.dau)} DAU row x${(p.sizedForDau / top.dau).toFixed(2)}, for ${fmt(p.sizedForDau)} DAU`
    : `ladder rung for up to ${fmt(p.sizedForDau)} DAU`;
  const components = table(
    ['COMPONENT', 'REPLICAS', 'CPU REQ/LIMIT', 'MEMORY REQ/LIMIT', 'TOPICS'],
    p.components.map((c) => [
      componentLabel(c.name),
      range(c.replicas),
      `${c.resources.requests.cpu}/${c.resources.limits.cpu}`,
      `${c.resources.requests.memory}/${c.resources.limits.memory}`,
      c.name === 'producer'
        ? '(writes all)'
        : p.topics
            .filter((t) => t.consumer === c.name && t.role === 'data')
            .map((t) => t.name)
            .join(',') || '-',
    ]),
  );
  const topics = table(
    ['TOPIC', 'PARTITIONS', 'RF', 'CONSUMER GROUP'],
    p.topics.map((t) => [t.name, String(t.partitions), String(t.replicationFactor), t.role === 'data' ? CONSUMER_GROUPS[t.consumer] : '(dead letters)']),
  );
  return [
    `MobileForge Sync plan: ${fmt(p.dau)} DAU, ${p.environment}, region ${p.region}`,
    `Tier: ${p.tier} (${tierNote})`,
    `One process per pod (it uses at most one core); the reference deployment ran them on ${p.nodeSpec.vcpu} vCPU / ${p.nodeSpec.memoryGiB} GB machines`,
    '',
    components,
    '',
    topics,
    '',
    `Kafka brokers (recommended): ${range(p.kafkaBrokers)}`,
    `Expected peak load (docs/workload-model.md): ${fmt(p.peak.requestsPerSecond)} requests/s, ${fmt(p.peak.recordsPerSecond)} records/s`,
    '',
  ].join('\n');
}
