// Off-the-request-path writers for usage and unauthorized_requests: rows are queued in
// memory and inserted in batches every interval. A slow or unavailable PostgreSQL never
// blocks or fails ingestion: the queue is bounded, and rows beyond it are dropped and counted.
import type pg from 'pg';

export interface BatchWriterOptions {
  table: string;
  columns: string[];
  flushIntervalMs: number;
  maxBatch: number;
  maxQueued: number;
  onDropped?: (n: number) => void;
  onError?: (err: unknown) => void;
  onWritten?: (n: number) => void;
}

export class BatchWriter {
  private queue: unknown[][] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly opts: BatchWriterOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    this.timer.unref();
  }

  add(row: unknown[]): void {
    if (this.queue.length >= this.opts.maxQueued) {
      this.queue.shift();
      this.opts.onDropped?.(1);
    }
    this.queue.push(row);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Writes everything queued, in batches; failed batches go back to the queue's head. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.opts.maxBatch);
        const cols = this.opts.columns;
        const values = batch.map((_, i) => `(${cols.map((_c, j) => `$${i * cols.length + j + 1}`).join(', ')})`).join(', ');
        try {
          await this.pool.query(`INSERT INTO ${this.opts.table} (${cols.join(', ')}) VALUES ${values}`, batch.flat());
          this.opts.onWritten?.(batch.length);
        } catch (err) {
          this.opts.onError?.(err);
          const room = this.opts.maxQueued - this.queue.length;
          if (room < batch.length) this.opts.onDropped?.(batch.length - Math.max(0, room));
          this.queue.unshift(...batch.slice(0, Math.max(0, room)));
          break;
        }
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
