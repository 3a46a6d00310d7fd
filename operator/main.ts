// The operator's entry point: `npm run operator` locally (current KUBECONFIG), and the
// container's command. Configuration by environment variables (docs/operator.md).
import { readFileSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import * as k8s from '@kubernetes/client-node';
import { createLogger, parseLogLevel } from '../core/log.js';
import { OperatorManager, type OperatorConfig } from './controller/manager.js';
import { errorMessage } from '../core/errors.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer >= ${min} (got "${raw}")`);
  return n;
}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const leaseNamespace = env.OPERATOR_NAMESPACE ?? (existsSync(SA_NAMESPACE_FILE) ? readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() : 'default');
  const elect = env.LEADER_ELECT ?? 'true';
  if (elect !== 'true' && elect !== 'false') throw new ConfigError(`LEADER_ELECT must be true or false (got "${elect}")`);
  return {
    namespaces: (env.WATCH_NAMESPACES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    concurrency: intVar(env, 'MAX_CONCURRENT_RECONCILES', 4),
    resyncMs: intVar(env, 'RESYNC_SECONDS', 300) * 1000,
    httpPort: intVar(env, 'METRICS_PORT', 8080, 0),
    pendingRequeueMs: intVar(env, 'PENDING_REQUEUE_SECONDS', 10) * 1000,
    flowIntervalMs: intVar(env, 'FLOW_INTERVAL_SECONDS', 30, 0) * 1000,
    laggingAfterMs: intVar(env, 'LAGGING_AFTER_SECONDS', 300) * 1000,
    leaderElection: {
      enabled: elect === 'true',
      namespace: leaseNamespace,
      name: env.LEADER_ELECTION_LEASE ?? 'mobileforge-operator',
      identity: env.POD_NAME ?? `${hostname()}-${process.pid}`,
      leaseDurationSeconds: intVar(env, 'LEASE_DURATION_SECONDS', 15),
      retryPeriodMs: intVar(env, 'LEASE_RETRY_MS', 2000),
    },
  };
}

async function main(): Promise<void> {
  const log = createLogger('operator', parseLogLevel(process.env.LOG_LEVEL));
  if (process.argv.includes('--help')) {
    process.stdout.write('mobileforge operator: reconciles MobileForgeSyncPipelines. Configured by environment; see docs/operator.md.\n');
    return;
  }
  let config: OperatorConfig;
  try {
    config = configFromEnv();
  } catch (err) {
    log.error('invalid configuration', { error: errorMessage(err) });
    process.exitCode = 2;
    return;
  }
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  const manager = new OperatorManager(kc, config, log);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    void manager.stop().then(() => {
      log.info('stopped');
      // Watches and HTTP agents would keep the process alive; everything is flushed by now.
      process.exit(process.exitCode ?? 0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  log.info('starting', {
    cluster: kc.getCurrentCluster()?.server,
    namespaces: config.namespaces.length ? config.namespaces : 'all',
    leaderElection: config.leaderElection.enabled,
  });
  await manager.start();
}

void main().catch((err: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'error', component: 'operator', msg: 'fatal', error: errorMessage(err) })}\n`,
  );
  process.exit(1);
});
