// Off-the-request-path writers for usage and unauthorized_requests: rows are queued in
// memory and inserted in batches every interval. A slow or unavailable PostgreSQL never
// blocks or fails ingestion: the queue is bounded, and rows beyond it are dropped and counted.
// A row PostgreSQL refuses for good (by SQLSTATE) is dropped and counted too, never retried
// at the head of the queue where it would hold up every row behind it.
import type pg from 'pg';
import { isPermanentPgError } from '../../core/pg-errors.js';

/**
 * Request text (a header, a path segment) made fit for an audit row: control characters
 * (NUL among them, which PostgreSQL text cannot hold) and unpaired surrogates replaced, and
 * bounded. Undefined stays undefined, so callers can tell "absent" from "empty".
 */
export function auditText(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  return (
    value
      .slice(0, max)
      // eslint-disable-next-line no-control-regex -- control characters are what is replaced
      .replace(/[\u0000-\u001f\u007f]/g, '\ufffd')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
  );
}

/** One multi-row INSERT: all the rows or none. */
export async function insertRows(pool: Pick<pg.Pool, 'query'>, table: string, cols: string[], rows: unknown[][]): Promise<void> {
  const values = rows.map((_, i) => `(${cols.map((_c, j) => `$${i * cols.length + j + 1}`).join(', ')})`).join(', ');
  await pool.query(`INSERT INTO ${table} (${cols.join(', ')}) VALUES ${values}`, rows.flat());
}

/**
 * After PostgreSQL refused a batch for its data: the rows one at a time, dropping (and
 * reporting) only those refused. Returns the index of the first row not written because
 * PostgreSQL went away meanwhile, or undefined when every row was written or dropped.
 */
export async function insertRowByRow(
  pool: Pick<pg.Pool, 'query'>,
  opts: Pick<BatchWriterOptions, 'table' | 'columns' | 'onWritten' | 'onRejected' | 'onError'>,
  rows: unknown[][],
): Promise<number | undefined> {
  for (let i = 0; i < rows.length; i++) {
    try {
      await insertRows(pool, opts.table, opts.columns, [rows[i]!]);
      opts.onWritten?.(1);
    } catch (err) {
      if (isPermanentPgError(err)) {
        opts.onRejected?.(1, err);
        continue;
      }
      opts.onError?.(err);
      return i;
    }
  }
  return undefined;
}

export interface BatchWriterOptions {
  table: string;
  columns: string[];
  flushIntervalMs: number;
  maxBatch: number;
  maxQueued: number;
  onDropped?: (n: number) => void;
  onError?: (err: unknown) => void;
  onWritten?: (n: number) => void;
  /** Rows PostgreSQL refused for their data: dropped. */
  onRejected?: (n: number, err: unknown) => void;
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

  /**
   * Writes everything queued, in batches. A batch that fails transiently goes back to the
   * queue's head (retried next time); one PostgreSQL refuses for its data is written row by
   * row, and the rows refused are dropped and counted.
   */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.opts.maxBatch);
        try {
          await this.insert(batch);
          this.opts.onWritten?.(batch.length);
        } catch (err) {
          this.opts.onError?.(err);
          if (isPermanentPgError(err)) {
            if (await this.insertOneByOne(batch)) continue;
            break;
          }
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

  private async insert(rows: unknown[][]): Promise<void> {
    await insertRows(this.pool, this.opts.table, this.opts.columns, rows);
  }

  /** False when PostgreSQL failed transiently meanwhile; the rows not written are queued again. */
  private async insertOneByOne(rows: unknown[][]): Promise<boolean> {
    const stoppedAt = await insertRowByRow(this.pool, this.opts, rows);
    if (stoppedAt === undefined) return true;
    // PostgreSQL went away meanwhile: what is left waits for the next flush.
    this.queue.unshift(...rows.slice(stoppedAt));
    return false;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
