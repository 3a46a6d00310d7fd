// The shipped alert rules and dashboard against what the code exports and what the docs say:
// every metric they name is one the Producer API, the consumers or the operator registers;
// every alert has its runbook section in docs/operations.md and at least one promtool test.
// (promtool itself checks and runs the rules in test/integration/packaging/prometheus-rules.test.ts.)
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { packageRoot } from '../../../operator/util/repo-root.js';
import { OperatorMetrics } from '../../../operator/controller/metrics.js';
import { ProducerMetrics } from '../../../workloads/producer/metrics.js';
import { ConsumerMetrics } from '../../../workloads/consumer/metrics.js';

const root = packageRoot();
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
const rules = (parse(readFileSync(join(root, 'config', 'prometheus', 'rules.yaml'), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const ruleTests = parse(readFileSync(join(root, 'config', 'prometheus', 'tests', 'rules.test.yaml'), 'utf8')) as {
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
};
interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(join(root, 'config', 'grafana', 'mobileforge-sync.json'), 'utf8')) as { panels: Panel[] };
const operations = readFileSync(join(root, 'docs', 'operations.md'), 'utf8');

/** Every series name the code exports (histograms as their _bucket, _sum and _count). */
async function exported(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of [new OperatorMetrics(false).registry, new ProducerMetrics(false).registry, new ConsumerMetrics(false).registry]) {
    for (const m of await registry.getMetricsAsJSON()) {
      names.add(m.name);
      if (m.type.toString() === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    }
  }
  return names;
}
/** The names of our metrics (by their prefixes) a PromQL expression reads. */
const ourMetrics = (expr: string) => [...expr.matchAll(/\b((?:producer|consumer|mobileforge)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);

describe('alert rules (config/prometheus/rules.yaml)', () => {
  test('the rules the operations guide promises', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'MobileForgeConsumerLagGrowing',
      'MobileForgeDeadLetters',
      'MobileForgePipelineNotReady',
      'MobileForgeProducerErrors',
      'MobileForgeProducerKafkaUnavailable',
      'MobileForgeProducerLatencyHigh',
      'MobileForgeReconcileErrors',
      'MobileForgeSinkRetryStorm',
      'MobileForgeUsageRowsDropped',
    ]);
  });

  test('every metric a rule reads is exported by the code', async () => {
    const names = await exported();
    const unknown = rules.flatMap((r) =>
      ourMetrics(r.expr)
        .filter((n) => !names.has(n))
        .map((n) => `${r.alert}: ${n}`),
    );
    expect(rules.flatMap((r) => ourMetrics(r.expr)).length).toBeGreaterThan(rules.length);
    expect(unknown).toEqual([]);
  });

  test.each(rules.map((r) => [r.alert, r] as const))('%s: a severity, a summary, a runbook section in docs/operations.md', (name, r) => {
    expect(['critical', 'warning']).toContain(r.labels.severity);
    expect(r.annotations.summary).toBeTruthy();
    expect(r.annotations.runbook_url).toBe(`docs/operations.md#${name.toLowerCase()}`);
    expect(operations).toMatch(new RegExp(`^### ${name}\\n\\n\\S`, 'm'));
  });

  test.each(rules.map((r) => [r.alert] as const))('%s: promtool tests expect it to fire and to stay quiet', (name) => {
    const cases = ruleTests.tests.flatMap((t) => t.alert_rule_test ?? []).filter((c) => c.alertname === name);
    expect(cases.some((c) => c.exp_alerts.length > 0)).toBe(true);
    expect(cases.some((c) => c.exp_alerts.length === 0)).toBe(true);
  });
});

describe('Grafana dashboard (config/grafana/mobileforge-sync.json)', () => {
  const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  test('the panels the operations guide describes', () => {
    const titles = dashboard.panels.filter((p) => p.type !== 'row').map((p) => p.title);
    for (const t of [
      'Ingest rate by source',
      'Requests by status',
      'Request latency',
      'Consumer lag per group',
      'Sink writes',
      'Sink errors',
      'Dead letters',
      'Pods vs autoscaler bounds',
    ]) {
      expect(titles).toContain(t);
      expect(operations).toContain(`**${t}**`);
    }
  });

  test('every metric a panel reads is exported by the code', async () => {
    const names = await exported();
    expect(targets.length).toBeGreaterThan(15);
    expect(
      targets.flatMap((t) =>
        ourMetrics(t.expr)
          .filter((n) => !names.has(n))
          .map((n) => `${t.panel}: ${n}`),
      ),
    ).toEqual([]);
  });
});
