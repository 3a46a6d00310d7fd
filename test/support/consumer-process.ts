// Runs the real consumer (dist/workloads/consumer/main.js) against the test Kafka, MongoDB-wire
// server and PostgreSQL.
import { ManagedProcess, freePort, runToExit } from './managed-process.js';
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
  return runToExit(['workloads', 'jobs', `${job}.js`], [], { ...workloadPostgresEnv(), DI_MONGODB_URI: process.env.MONGODB_URI ?? '', ...env });
}

export const runMigrate = (env: Record<string, string>) => runJob('migrate', env);
