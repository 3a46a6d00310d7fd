// Runs the real Producer API (dist/workloads/producer/main.js) against the test PostgreSQL
// and Kafka, and collects everything that lands on the pipeline topics.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { packageRoot } from '../../operator/util/repo-root.js';
import { TOPICS } from '../../workloads/shared/domain.js';
import { parseMessage, type SyncMessage } from '../../workloads/shared/message.js';
import { freePort } from './operator-process.js';
import { kafkaBrokers, uniqueName } from './services.js';

export class ProducerProcess {
  readonly logFile = join(tmpdir(), `${uniqueName('producer')}.log`);
  private child: ChildProcess | undefined;
  exited: Promise<number | null> = Promise.resolve(null);

  private constructor(readonly port: number, private readonly env: Record<string, string>) {}

  static async start(database: string, env: Record<string, string> = {}): Promise<ProducerProcess> {
    const p = new ProducerProcess(await freePort(), {
      DI_POSTGRES_HOST: process.env.PGHOST!,
      DI_POSTGRES_PORT: process.env.PGPORT!,
      DI_POSTGRES_USERNAME: process.env.PGUSER!,
      DI_POSTGRES_PASSWORD: process.env.PGPASSWORD!,
      DI_POSTGRES_DATABASE: database,
      DI_POSTGRES_SYNC_DATABASE: database,
      DI_KAFKA_BROKER_ENDPOINT: kafkaBrokers().join(','),
      AUDIT_FLUSH_MS: '100',
      LOG_LEVEL: 'info',
      ...env,
    });
    p.spawn();
    await p.waitUp();
    return p;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private spawn(): void {
    const out = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(process.execPath, [join(packageRoot(), 'dist', 'workloads', 'producer', 'main.js')], {
      env: { PATH: process.env.PATH, ...this.env, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.pipe(out);
    this.child.stderr!.pipe(out);
    const child = this.child;
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  log(): string {
    return readFileSync(this.logFile, 'utf8');
  }

  async waitUp(timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(`${this.url}/health`)).ok) return;
      } catch {
        // starting
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`producer did not start; log:\n${this.log()}`);
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child?.kill('SIGKILL'), 15000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Everything on the pipeline topics from now on, decoded, for tests to filter. */
export class TopicRecorder {
  readonly messages: { topic: string; key: string; message: SyncMessage; headers: Record<string, string> }[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(): Promise<TopicRecorder> {
    const kafka = new Kafka({ clientId: 'producer-tests', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueName('recorder'), sessionTimeout: 10000, heartbeatInterval: 1000, retry: { retries: 20 } });
    const rec = new TopicRecorder(consumer);
    await consumer.connect();
    // From the beginning: tests tell their messages apart by unique client and request ids.
    await consumer.subscribe({ topics: [...TOPICS], fromBeginning: true });
    let assigned!: () => void;
    const ready = new Promise<void>((r) => (assigned = r));
    consumer.on(consumer.events.GROUP_JOIN, () => assigned());
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        rec.messages.push({ topic, key: message.key?.toString() ?? '', message: parseMessage(message.value!), headers });
      },
    });
    await ready;
    return rec;
  }

  forRequest(requestId: string): TopicRecorder['messages'] {
    return this.messages.filter((m) => m.message.request_id === requestId);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
