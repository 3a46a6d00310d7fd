// Runs the real consumer (dist/workloads/consumer/main.js) against the test Kafka, MongoDB-wire
// server and PostgreSQL.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../operator/util/repo-root.js';
import { ManagedProcess, freePort } from './managed-process.js';
import { kafkaBrokers, workloadPostgresEnv } from './services.js';

export class ConsumerProcess extends ManagedProcess {
  static async start(env: Record<string, string>): Promise<ConsumerProcess> {
    const port = await freePort();
    const c = new ConsumerProcess('consumer', ['workloads', 'consumer', 'main.js'], port, {
      ...workloadPostgresEnv(),
      DI_MONGODB_URI: process.env.MONGODB_URI!,
      DI_KAFKA_BROKER_ENDPOINT: kafkaBrokers().join(','),
      LOG_LEVEL: 'info',
      ...env,
      PORT: String(port),
    });
    c.spawn();
    await c.waitUntil('consuming', () => c.log().includes('"msg":"consuming"'));
    return c;
  }
}

/** Runs a database job of the workload image (`migrate`, `partitions`) once; its exit code and log. */
export async function runJob(job: 'migrate' | 'partitions', env: Record<string, string>): Promise<{ code: number | null; log: string }> {
  const out: Buffer[] = [];
  const child = spawn(process.execPath, [join(packageRoot(), 'dist', 'workloads', 'consumer', `${job}.js`)], {
    env: { ...workloadPostgresEnv(), DI_MONGODB_URI: process.env.MONGODB_URI ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => out.push(d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, log: Buffer.concat(out).toString() };
}

export const runMigrate = (env: Record<string, string>) => runJob('migrate', env);
