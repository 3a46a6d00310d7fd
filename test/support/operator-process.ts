// Runs the real operator (dist/operator/main.js, built by the global setup) as a child
// process against the test cluster, the way `npm run operator` runs it, with its output in a
// log file and its /metrics readable.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { packageRoot } from '../../operator/util/repo-root.js';
import { uniqueName } from './services.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface OperatorOptions {
  namespace: string;
  lease?: string;
  env?: Record<string, string>;
  kubeconfig?: string;
}

export class OperatorProcess {
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);

  private constructor(
    readonly port: number,
    private readonly opts: OperatorOptions,
  ) {
    this.logFile = join(tmpdir(), `${uniqueName('operator')}.log`);
  }

  static async start(opts: OperatorOptions): Promise<OperatorProcess> {
    const op = new OperatorProcess(await freePort(), opts);
    op.spawn();
    await op.waitHealthy();
    return op;
  }

  private spawn(): void {
    const out = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(process.execPath, [join(packageRoot(), 'dist', 'operator', 'main.js')], {
      env: {
        ...process.env,
        KUBECONFIG: this.opts.kubeconfig ?? process.env.KUBECONFIG,
        WATCH_NAMESPACES: this.opts.namespace,
        OPERATOR_NAMESPACE: this.opts.namespace,
        LEADER_ELECTION_LEASE: this.opts.lease ?? 'mobileforge-operator',
        METRICS_PORT: String(this.port),
        RESYNC_SECONDS: '2',
        PENDING_REQUEUE_SECONDS: '1',
        LEASE_DURATION_SECONDS: '4',
        LEASE_RETRY_MS: '500',
        LOG_LEVEL: 'info',
        ...this.opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.pipe(out);
    this.child.stderr!.pipe(out);
    const child = this.child;
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  log(): string {
    return readFileSync(this.logFile, 'utf8');
  }

  async waitHealthy(timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/healthz`)).ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`operator did not answer /healthz; log:\n${this.log()}`);
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
  }

  /** Sum of a counter or gauge over all label sets matching `labels` (substring match). */
  async metric(name: string, labels = ''): Promise<number> {
    const text = await this.metrics();
    return text
      .split('\n')
      .filter((l) => l.startsWith(name) && (l[name.length] === '{' || l[name.length] === ' ') && l.includes(labels))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  }

  /** Restarts after a kill or stop, on the same port. */
  restart(): void {
    this.spawn();
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    this.child?.kill(signal);
    return this.exited;
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 10000);
    await this.exited;
    clearTimeout(timer);
  }
}
