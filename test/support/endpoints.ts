// Where the test services are, as the tests, benchmarks and the demo see them. The infra
// scripts write $RUN/env. A service's usual variables in the caller's environment (KUBECONFIG,
// DATABASE_URL, ...) are never used: a test is pointed at an external service only through its
// MOBILEFORGE_TEST_* marker (for example a real MongoDB 7 through MOBILEFORGE_TEST_MONGODB_URI).
import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const SERVICE_VARS = {
  postgres: ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PG_CA_FILE'],
  // the SASL_SSL listener (SCRAM-SHA-512) and the MongoDB-wire TLS listener, as production runs them; one
  // test CA signs every server certificate (PG_CA_FILE, KAFKA_CA_FILE and MONGODB_CA_FILE name the same file)
  kafka: ['KAFKA_BROKERS', 'KAFKA_SASL_BROKERS', 'KAFKA_SCRAM_USERNAME', 'KAFKA_SCRAM_PASSWORD_FILE', 'KAFKA_CA_FILE'],
  mongo: ['MONGODB_URI', 'MONGODB_TLS_URI', 'MONGODB_CA_FILE'],
  // KUBE_AUDIT_LOG: every write to the test API server, with its user (reconcile.test.ts counts the operator's)
  kube: ['KUBECONFIG', 'KUBECTL', 'MOBILEFORGE_BIN', 'MOBILEFORGE_CRDS', 'KUBE_AUDIT_LOG'],
  // the one-node cluster that runs real pods (test/e2e), and the services' addresses as its pods see them
  // (and the Prometheus that scrapes its pods, and the Argo CD that deploys to it)
  node: [
    'NODE_KUBECONFIG',
    'NODE_NAME',
    'NODE_IP',
    'NODE_CONTAINERD_ADDRESS',
    'NODE_KAFKA_BROKERS',
    'NODE_KAFKA_SASL_BROKERS',
    'NODE_PGHOST',
    'NODE_MONGODB_URI',
    'NODE_MONGODB_TLS_URI',
    'PROMETHEUS_URL',
    'NODE_AUDIT_LOG',
    // Argo CD deploying to it (test/infra/argocd.sh): its namespace, and where its Git repositories are made and served
    'ARGOCD_NAMESPACE',
    'ARGOCD_GIT_ROOT',
    'ARGOCD_GIT_URL',
  ],
} as const;
export type ServiceName = keyof typeof SERVICE_VARS;
/** Paths of the locally built tools, not endpoints: the same whichever cluster the tests use. */
const TOOL_VARS: ReadonlySet<string> = new Set(['KUBECTL', 'MOBILEFORGE_BIN', 'MOBILEFORGE_CRDS']);

/**
 * The variable that points the tests at an external service instead of the local one. Never the
 * service's usual variable: KUBECONFIG, DATABASE_URL, KAFKA_BROKERS and MONGODB_URI are
 * routinely set to a real cluster or database on a developer's machine, and tests, benchmarks
 * and the demo create and drop databases, topics and namespaces.
 */
const EXTERNAL_MARKER: Record<ServiceName, string> = {
  postgres: 'MOBILEFORGE_TEST_DATABASE_URL',
  kafka: 'MOBILEFORGE_TEST_KAFKA_BROKERS',
  mongo: 'MOBILEFORGE_TEST_MONGODB_URI',
  kube: 'MOBILEFORGE_TEST_KUBECONFIG',
  node: 'MOBILEFORGE_E2E_KUBECONFIG',
};

/** Where test/infra keeps its builds (MOBILEFORGE_CACHE, as in test/infra/lib.sh). */
export function cacheDir(): string {
  return process.env.MOBILEFORGE_CACHE ?? join(homedir(), '.cache', 'mobileforge-sync');
}

function runDir(): string {
  if (process.env.MOBILEFORGE_RUN) return process.env.MOBILEFORGE_RUN;
  return join(cacheDir(), 'run');
}

function readEnvFile(path = join(runDir(), 'env')): Record<string, string> {
  if (!existsSync(path)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

/** Which services the caller wants external (already configured) rather than local. */
export function externalServices(env: NodeJS.ProcessEnv = process.env): Set<ServiceName> {
  const ext = new Set<ServiceName>();
  for (const [svc, marker] of Object.entries(EXTERNAL_MARKER) as [ServiceName, string][]) {
    if (env[marker]) ext.add(svc);
  }
  return ext;
}

/**
 * Endpoint variables for tests: the local services' from the env file, an external one's from
 * its marker variable (EXTERNAL_MARKER). Whatever else the environment says about these
 * services is ignored.
 */
function resolveTestEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const file = readEnvFile();
  const ext = externalServices(env);
  const out: Record<string, string> = {};
  for (const [svc, vars] of Object.entries(SERVICE_VARS) as [ServiceName, readonly string[]][]) {
    for (const v of vars) {
      // An external node's addresses (NODE_*, PROMETHEUS_URL: names of ours, set on purpose)
      // come with it; kubectl and the cached tools are always the local ones.
      // An external service's variables come from MOBILEFORGE_TEST_<name> (its marker is one).
      const value = !ext.has(svc) || TOOL_VARS.has(v) ? file[v] : svc === 'node' ? env[v] : env[`MOBILEFORGE_TEST_${v}`];
      if (value !== undefined) out[v] = value;
    }
  }
  if (ext.has('kube')) out.KUBECONFIG = env.MOBILEFORGE_TEST_KUBECONFIG!;
  if (ext.has('node')) out.NODE_KUBECONFIG = env.MOBILEFORGE_E2E_KUBECONFIG!;
  if (ext.has('postgres')) {
    const url = env.MOBILEFORGE_TEST_DATABASE_URL!;
    const u = new URL(url);
    out.DATABASE_URL = url;
    out.PGHOST = u.hostname;
    out.PGPORT = u.port || '5432';
    out.PGUSER = decodeURIComponent(u.username);
    out.PGPASSWORD = decodeURIComponent(u.password);
    out.PGDATABASE = u.pathname.slice(1) || 'postgres';
  }
  return out;
}

/**
 * Points this process (and every process it starts with its environment) at the test services
 * only: each service variable the caller's environment set is removed, then the test services'
 * are set. Every suite (test/support/load-env.ts), benchmark and the demo starts with this.
 */
export function useTestServices(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const resolved = resolveTestEnv(env);
  for (const vars of Object.values(SERVICE_VARS)) for (const v of vars) delete env[v];
  Object.assign(env, resolved);
  return resolved;
}
