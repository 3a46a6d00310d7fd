// Runs the real operator (dist/operator/main.js, built by the global setup) against the test
// cluster, the way `npm run operator` runs it.
import { ManagedProcess, freePort } from './managed-process.js';

export interface OperatorOptions {
  namespace: string;
  lease?: string;
  env?: Record<string, string>;
  kubeconfig?: string;
}

export class OperatorProcess extends ManagedProcess {
  static async start(opts: OperatorOptions): Promise<OperatorProcess> {
    const port = await freePort();
    const op = new OperatorProcess('operator', ['operator', 'main.js'], port, {
      ...process.env,
      KUBECONFIG: opts.kubeconfig ?? process.env.KUBECONFIG,
      WATCH_NAMESPACES: opts.namespace,
      OPERATOR_NAMESPACE: opts.namespace,
      LEADER_ELECTION_LEASE: opts.lease ?? 'mobileforge-operator',
      METRICS_PORT: String(port),
      RESYNC_SECONDS: '2',
      PENDING_REQUEUE_SECONDS: '1',
      LEASE_DURATION_SECONDS: '8', // short for fast takeovers, long enough for a renewal on a busy 2-core machine
      LEASE_RETRY_MS: '500',
      LOG_LEVEL: 'info',
      ...opts.env,
    });
    op.spawn();
    await op.waitHealthy();
    return op;
  }

  async waitHealthy(timeoutMs = 20000): Promise<void> {
    await this.waitUntil('answering /healthz', () => this.httpOk('/healthz'), timeoutMs);
  }

  /** Starts again after a kill or stop, on the same port. */
  restart(): void {
    this.spawn();
  }
}
