// Where the test services are, as the integration tests see them. The infra scripts write
// $RUN/env; a variable set in the environment beforehand wins, so any test can be pointed at
// an external service (for example a real MongoDB 7 through MONGODB_URI).
import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const SERVICE_VARS = {
  postgres: ['DATABASE_URL', 'PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PG_CA_FILE'],
  // the SASL_SSL listener (SCRAM-SHA-512) and the MongoDB-wire TLS listener, as production runs them; one
  // test CA signs every server certificate (PG_CA_FILE, KAFKA_CA_FILE and MONGODB_CA_FILE name the same file)
  kafka: ['KAFKA_BROKERS', 'KAFKA_SASL_BROKERS', 'KAFKA_SCRAM_USERNAME', 'KAFKA_SCRAM_PASSWORD_FILE', 'KAFKA_CA_FILE'],
  mongo: ['MONGODB_URI', 'MONGODB_TLS_URI', 'MONGODB_CA_FILE'],
  kube: ['KUBECONFIG', 'KUBECTL', 'MOBILEFORGE_BIN', 'MOBILEFORGE_CRDS'],
  // the one-node cluster that runs real pods (test/e2e), and the services' addresses as its pods see them
  // (and the Prometheus that scrapes its pods)
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
  ],
} as const;
export type ServiceName = keyof typeof SERVICE_VARS;

/** The variable that marks a service as external, so the harness neither starts nor replaces it. */
const EXTERNAL_MARKER: Record<ServiceName, string> = {
  postgres: 'DATABASE_URL',
  kafka: 'KAFKA_BROKERS',
  mongo: 'MONGODB_URI',
  // KUBECONFIG is routinely set to a real cluster on a developer's machine; tests never
  // touch it unless asked explicitly through this variable.
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

export function readEnvFile(path = join(runDir(), 'env')): Record<string, string> {
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
 * Endpoint variables for tests: local services from the env file, external ones left as the
 * caller set them. KUBECONFIG is always forced to the test cluster (or the explicit override).
 */
export function resolveTestEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const file = readEnvFile();
  const ext = externalServices(env);
  const out: Record<string, string> = {};
  for (const [svc, vars] of Object.entries(SERVICE_VARS) as [ServiceName, readonly string[]][]) {
    for (const v of vars) {
      const value = ext.has(svc) ? env[v] : file[v];
      if (value !== undefined) out[v] = value;
    }
  }
  if (ext.has('kube') && env.MOBILEFORGE_TEST_KUBECONFIG) out.KUBECONFIG = env.MOBILEFORGE_TEST_KUBECONFIG;
  if (ext.has('node') && env.MOBILEFORGE_E2E_KUBECONFIG) out.NODE_KUBECONFIG = env.MOBILEFORGE_E2E_KUBECONFIG;
  if (ext.has('postgres') && env.DATABASE_URL) {
    const u = new URL(env.DATABASE_URL);
    out.PGHOST = u.hostname;
    out.PGPORT = u.port || '5432';
    out.PGUSER = decodeURIComponent(u.username);
    out.PGPASSWORD = decodeURIComponent(u.password);
    out.PGDATABASE = u.pathname.slice(1) || 'postgres';
  }
  return out;
}
