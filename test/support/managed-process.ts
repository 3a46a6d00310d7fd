// A component of ours (operator, producer, consumer) run from dist/ as a child process, the
// way it runs in production: output captured in a log file, signals, metrics, readiness.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/**
 * Runs an entry point under dist/ to its exit with exactly `env` (plus nothing inherited), as a
 * Job's pod runs it; its exit code and its output, stdout and stderr interleaved.
 */
export async function runToExit(script: string[], args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; log: string }> {
  const out: Buffer[] = [];
  const child = spawn(process.execPath, [join(packageRoot(), 'dist', ...script), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => out.push(d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, log: Buffer.concat(out).toString() };
}

export class ManagedProcess {
  readonly logFile: string;
  private child: ChildProcess | undefined;
  exited: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly name: string,
    /** Path of the entry point under dist/, e.g. ['operator', 'main.js']. */
    private readonly script: string[],
    readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.logFile = join(tmpdir(), `${uniqueName(name)}.log`);
  }

  /** Starts (or starts again, after a kill or stop, on the same port). */
  spawn(): void {
    const out = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(process.execPath, [join(packageRoot(), 'dist', ...this.script)], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.pipe(out);
    this.child.stderr!.pipe(out);
    const child = this.child;
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** Waits until `ready` holds, failing with the process's log if it does not in time. */
  async waitUntil(what: string, ready: () => Promise<boolean> | boolean, timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if (await ready()) return;
      } catch {
        // not up yet
      }
      if (this.child && !this.running) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} ${what}: not within ${timeoutMs} ms; log:\n${this.log()}`);
  }

  async httpOk(path: string): Promise<boolean> {
    return (await fetch(`http://127.0.0.1:${this.port}${path}`)).ok;
  }

  async metrics(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
  }

  /** Sum of a counter or gauge over all label sets matching `labels` (substring match). */
  async metric(name: string, labels = ''): Promise<number> {
    return (await this.metrics())
      .split('\n')
      .filter((l) => l.startsWith(name) && (l[name.length] === '{' || l[name.length] === ' ') && l.includes(labels))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  async kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    this.signal(sig);
    return this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15000): Promise<void> {
    if (!this.running) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
