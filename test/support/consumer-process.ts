// Runs the real consumer (dist/workloads/consumer/main.js) against the test Kafka, MongoDB-wire
// server and PostgreSQL.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../operator/util/repo-root.js';
import { freePort } from './operator-process.js';
import { kafkaBrokers, uniqueName } from './services.js';

export class ConsumerProcess {
  readonly logFile = join(tmpdir(), `${uniqueName('consumer')}.log`);
  private child: ChildProcess | undefined;
  exited: Promise<number | null> = Promise.resolve(null);
  private constructor(readonly port: number, private readonly env: Record<string, string>) {}

  static async start(env: Record<string, string>): Promise<ConsumerProcess> {
    const c = new ConsumerProcess(await freePort(), {
      DI_POSTGRES_HOST: process.env.PGHOST!,
      DI_POSTGRES_PORT: process.env.PGPORT!,
      DI_POSTGRES_USERNAME: process.env.PGUSER!,
      DI_POSTGRES_PASSWORD: process.env.PGPASSWORD!,
      DI_MONGODB_URI: process.env.MONGODB_URI!,
      DI_KAFKA_BROKER_ENDPOINT: kafkaBrokers().join(','),
      LOG_LEVEL: 'info',
      ...env,
    });
    c.spawn();
    await c.waitUp();
    return c;
  }

  private spawn(script = 'main.js'): void {
    const out = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(process.execPath, [join(packageRoot(), 'dist', 'workloads', 'consumer', script)], { env: { PATH: process.env.PATH, ...this.env, PORT: String(this.port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.pipe(out);
    this.child.stderr!.pipe(out);
    const child = this.child;
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  async waitUp(timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.log().includes('"msg":"consuming"')) return;
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`consumer did not start; log:\n${this.log()}`);
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  async metric(name: string, labels = ''): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
    return text.split('\n').filter((l) => l.startsWith(name) && l.includes(labels)).reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child?.kill('SIGKILL'), 20000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Runs `migrate` once with the given environment; resolves to its exit code and log. */
export async function runMigrate(env: Record<string, string>): Promise<{ code: number | null; log: string }> {
  const out: Buffer[] = [];
  const child = spawn(process.execPath, [join(packageRoot(), 'dist', 'workloads', 'consumer', 'migrate.js')], {
    env: { PATH: process.env.PATH, DI_POSTGRES_HOST: process.env.PGHOST!, DI_POSTGRES_PORT: process.env.PGPORT!, DI_POSTGRES_USERNAME: process.env.PGUSER!, DI_POSTGRES_PASSWORD: process.env.PGPASSWORD!, DI_MONGODB_URI: process.env.MONGODB_URI!, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => out.push(d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, log: Buffer.concat(out).toString() };
}
