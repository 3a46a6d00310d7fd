// The shipped alert rules and dashboard against the real Prometheus tools (built from the Go
// module proxy by test/infra/prometheus.sh): `promtool check rules`, the rule unit tests
// (`promtool test rules`), and a Prometheus server loading the rules and evaluating every
// dashboard query. The e2e suite (test/e2e/alerts.test.ts) sees them fire on real pods.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboardQueries, instantQuery, LocalPrometheus, promtool, RULE_TESTS_FILE, RULES_FILE, rulesWithFor } from '../../support/prometheus.js';
import { waitFor } from '../../support/wait.js';

describe('promtool', () => {
  test('check rules: the shipped file is valid', () => {
    const r = promtool(['check', 'rules', RULES_FILE]);
    expect(r.output).toContain('SUCCESS: 9 rules found');
    expect(r.status).toBe(0);
  });

  test('test rules: every alert fires on its series and stays quiet otherwise', () => {
    const r = promtool(['test', 'rules', RULE_TESTS_FILE]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  test('the rule tests catch a changed threshold', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mf-rules-'));
    try {
      mkdirTests(dir);
      const rules = readFileSync(RULES_FILE, 'utf8');
      const loosened = rules.replace('> 0.05', '> 0.5');
      expect(loosened).not.toBe(rules);
      writeFileSync(join(dir, 'rules.yaml'), loosened);
      const r = promtool(['test', 'rules', join(dir, 'tests', 'rules.test.yaml')]);
      expect(r.status).not.toBe(0);
      expect(r.output).toContain('alertname: MobileForgeProducerErrors');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('check rules refuses a broken expression (it does parse them)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mf-rules-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), readFileSync(RULES_FILE, 'utf8').replace('rate(producer_requests_total[5m])', 'rate(producer_requests_total[5m]'));
      const r = promtool(['check', 'rules', join(dir, 'rules.yaml')]);
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/parse error|unclosed/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the short-`for` variant the e2e suite loads is valid too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mf-rules-'));
    try {
      writeFileSync(join(dir, 'rules.yaml'), rulesWithFor('15s'));
      const r = promtool(['check', 'rules', join(dir, 'rules.yaml')]);
      expect(r.output).toContain('SUCCESS: 9 rules found');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The layout of config/prometheus: rules.yaml beside tests/, which names it as ../rules.yaml. */
function mkdirTests(dir: string): void {
  mkdirSync(join(dir, 'tests'));
  copyFileSync(RULE_TESTS_FILE, join(dir, 'tests', 'rules.test.yaml'));
}

describe('a Prometheus server with the shipped rules', () => {
  const prom = new LocalPrometheus();
  beforeAll(async () => {
    await prom.start(
      { global: { evaluation_interval: '1s', scrape_interval: '1s' }, rule_files: [prom.path('rules.yaml')], scrape_configs: [] },
      { 'rules.yaml': readFileSync(RULES_FILE, 'utf8') },
    );
  }, 90_000);
  afterAll(() => prom.stop());

  test('loads all nine and evaluates them without errors', async () => {
    const rules = await waitFor(
      'a first evaluation of every rule',
      async () => {
        const res = (await (await fetch(`${prom.base}/api/v1/rules`)).json()) as {
          data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
        };
        const all = res.data.groups.flatMap((g) => g.rules);
        return all.length === 9 && all.every((r) => r.health !== 'unknown') ? all : undefined;
      },
      30_000,
      500,
    );
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
  });

  test('every dashboard query parses and evaluates (no data here; the e2e suite has pods)', async () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(15);
    const failed: string[] = [];
    for (const q of queries) {
      const r = await instantQuery(prom.base, q.expr);
      if (r.status !== 'success') failed.push(`${q.panel} / ${q.legend}: ${r.error ?? 'failed'}`);
    }
    expect(failed).toEqual([]);
    // and a broken one would be noticed
    expect((await instantQuery(prom.base, 'sum by (source) (rate(producer_records_total[1m])')).status).toBe('error');
  });
});
