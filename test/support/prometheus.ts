// Prometheus and promtool for tests (built by test/infra/prometheus.sh into the cache): the
// shipped rules and dashboard, a throwaway Prometheus server, and its HTTP API.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { packageRoot } from '../../operator/util/repo-root.js';
import { cacheDir } from './endpoints.js';
import { freePort } from './managed-process.js';
import { waitFor } from './wait.js';

const root = packageRoot();
export const RULES_FILE = join(root, 'config', 'prometheus', 'rules.yaml');
export const RULE_TESTS_FILE = join(root, 'config', 'prometheus', 'tests', 'rules.test.yaml');
const DASHBOARD_FILE = join(root, 'config', 'grafana', 'mobileforge-sync.json');

/** A binary test/infra/prometheus.sh builds; missing is an error (`infra.sh install` builds it). */
function prometheusBinary(name: 'prometheus' | 'promtool'): string {
  const path = join(process.env.MOBILEFORGE_BIN ?? join(cacheDir(), 'bin'), name);
  if (!existsSync(path)) throw new Error(`${path} not found: run \`bash test/infra/infra.sh install\` (test/infra/prometheus.sh builds it)`);
  return path;
}

export function promtool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(prometheusBinary('promtool'), args, { encoding: 'utf8' });
  return { status: r.status, output: r.stdout + r.stderr };
}

interface RuleGroups {
  groups: { name: string; rules: { alert: string; expr: string; for?: string }[] }[];
}

/**
 * The shipped rules with every `for:` replaced, for tests that cannot wait 10 minutes: the
 * expressions, labels and annotations stay as shipped.
 */
export function rulesWithFor(forDuration: string): string {
  const rules = parse(readFileSync(RULES_FILE, 'utf8')) as RuleGroups;
  for (const g of rules.groups) for (const r of g.rules) r.for = forDuration;
  return stringify(rules, { lineWidth: 0 });
}

export interface DashboardQuery {
  panel: string;
  legend: string;
  expr: string;
}

/** Every PromQL expression of the dashboard, with Grafana's variables as Grafana sends them ("All" selected). */
export function dashboardQueries(rateInterval = '1m'): DashboardQuery[] {
  const d = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: { title: string; targets?: { expr: string; legendFormat: string }[] }[] };
  return d.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      panel: p.title,
      legend: t.legendFormat,
      expr: t.expr.replaceAll('$__rate_interval', rateInterval).replaceAll('$namespace', '.*').replaceAll('$pipeline', '.*'),
    })),
  );
}

export interface QueryResult {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

export async function instantQuery(base: string, expr: string): Promise<QueryResult> {
  const res = await fetch(`${base}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }) });
  return (await res.json()) as QueryResult;
}

/** A Prometheus of its own on a free loopback port, with the given configuration; for integration tests. */
export class LocalPrometheus {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'mf-prometheus-'));
  base = '';

  async start(config: Record<string, unknown>, files: Record<string, string> = {}): Promise<void> {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(this.dir, name), text);
    writeFileSync(join(this.dir, 'prometheus.yml'), stringify(config));
    const port = await freePort();
    this.base = `http://127.0.0.1:${port}`;
    this.child = spawn(
      prometheusBinary('prometheus'),
      [
        `--config.file=${join(this.dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    await waitFor('prometheus ready', async () => (await fetch(`${this.base}/-/ready`).catch(() => undefined))?.ok === true, 60_000, 250);
  }

  /** A file in this server's directory (for rule_files). */
  path(name: string): string {
    return join(this.dir, name);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
