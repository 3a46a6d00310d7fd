// A durable writer for `usage` rows (billing): each row is appended to a file in a spool
// directory (the pod's /tmp emptyDir) before anything else, and deleted only once PostgreSQL
// has it. A crash of the process, or a PostgreSQL outage of any length up to the spool's size,
// loses no row; a new process in the same pod (the container restarted) writes what the last
// one left. Rows beyond the size bound are dropped and counted, never blocking ingestion.
//
// The spool is a sequence of segment files of at most one INSERT each (`maxBatch` rows), so a
// segment is written to PostgreSQL whole or not at all. The one segment being written when the
// process died may be written again by the next one: at-least-once, at most `maxBatch` rows.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { isPermanentPgError } from '../../core/pg-errors.js';
import { insertRowByRow, insertRows, type BatchWriterOptions } from './audit.js';

export interface SpoolOptions extends Omit<BatchWriterOptions, 'maxQueued'> {
  dir: string;
  /** Bytes on disk at most; rows beyond are dropped (onDropped). */
  maxBytes: number;
}

interface Segment {
  name: string;
  bytes: number;
}

const SEGMENT = /^\d{12}\.seg$/;

export class SpooledWriter {
  private fd: number | undefined;
  private active: Segment = { name: '', bytes: 0 };
  private activeRows = 0;
  private seq = 0;
  /** Bytes on disk, sealed segments and the active one. */
  private bytes = 0;
  private readonly sealed: Segment[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly opts: SpoolOptions,
  ) {}

  /** Opens the spool, taking over the segments an earlier process left: they are written first. Throws when the directory is not writable. */
  open(): { recoveredBytes: number } {
    mkdirSync(this.opts.dir, { recursive: true });
    const names = readdirSync(this.opts.dir)
      .filter((n) => SEGMENT.test(n))
      .sort();
    // A rewrite cut short by a crash: the segment it was replacing is still whole.
    for (const n of readdirSync(this.opts.dir)) if (n.endsWith('.seg.tmp')) unlinkSync(this.path(n));
    for (const name of names) {
      const bytes = statSync(this.path(name)).size;
      if (bytes === 0) unlinkSync(this.path(name));
      else this.sealed.push({ name, bytes });
      this.bytes += bytes;
    }
    this.seq = names.length ? Number(names.at(-1)!.slice(0, 12)) + 1 : 0;
    this.openActive();
    return { recoveredBytes: this.bytes };
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    this.timer.unref();
  }

  /** On disk before it returns (the page cache: a process crash loses nothing), or dropped and counted. */
  add(row: unknown[]): void {
    const line = `${JSON.stringify(row)}\n`;
    const n = Buffer.byteLength(line);
    if (this.fd === undefined || this.bytes + n > this.opts.maxBytes) {
      this.opts.onDropped?.(1);
      return;
    }
    try {
      writeSync(this.fd, line);
    } catch (err) {
      // The volume is full or gone: the row cannot be kept.
      this.opts.onDropped?.(1);
      this.opts.onError?.(err);
      return;
    }
    this.bytes += n;
    this.active.bytes += n;
    if (++this.activeRows >= this.opts.maxBatch) this.seal();
  }

  /** Bytes waiting in the spool. */
  get spooledBytes(): number {
    return this.bytes;
  }

  /** Writes the sealed segments in order, then what is active; stops at the first transient failure (retried next time). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      for (;;) {
        // Only once older segments are written is the active one sealed: while PostgreSQL is
        // away it fills up to a whole batch instead of becoming a small file every interval.
        if (this.sealed.length === 0) this.seal();
        if (this.sealed.length === 0 || !(await this.writeSegment(this.sealed[0]!))) break;
        this.sealed.shift();
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.activeRows === 0) this.remove(this.active);
  }

  private path(name: string): string {
    return join(this.opts.dir, name);
  }

  private openActive(): void {
    this.active = { name: `${String(this.seq++).padStart(12, '0')}.seg`, bytes: 0 };
    this.activeRows = 0;
    this.fd = openSync(this.path(this.active.name), 'a');
  }

  private seal(): void {
    if (this.activeRows === 0 || this.fd === undefined) return;
    closeSync(this.fd);
    this.sealed.push(this.active);
    this.openActive();
  }

  private remove(seg: Segment): void {
    unlinkSync(this.path(seg.name));
    this.bytes -= seg.bytes;
  }

  /** True when the segment is done with (written, or its refused rows dropped). */
  private async writeSegment(seg: Segment): Promise<boolean> {
    const rows: unknown[][] = [];
    for (const line of readFileSync(this.path(seg.name), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        rows.push(JSON.parse(line) as unknown[]);
      } catch {
        // A line torn by a crash mid-write (the machine's, not the process's): unreadable.
        this.opts.onDropped?.(1);
      }
    }
    try {
      if (rows.length) await insertRows(this.pool, this.opts.table, this.opts.columns, rows);
      this.opts.onWritten?.(rows.length);
      this.remove(seg);
      return true;
    } catch (err) {
      this.opts.onError?.(err);
      if (!isPermanentPgError(err)) return false;
    }
    // PostgreSQL refused the batch for its data: row by row, dropping only the rows refused.
    const stoppedAt = await insertRowByRow(this.pool, this.opts, rows);
    if (stoppedAt === undefined) {
      this.remove(seg);
      return true;
    }
    // PostgreSQL went away meanwhile: keep what is left, replacing the segment atomically.
    const rest = rows
      .slice(stoppedAt)
      .map((r) => `${JSON.stringify(r)}\n`)
      .join('');
    const tmp = `${this.path(seg.name)}.tmp`;
    writeFileSync(tmp, rest);
    renameSync(tmp, this.path(seg.name));
    const bytes = Buffer.byteLength(rest);
    this.bytes -= seg.bytes - bytes;
    seg.bytes = bytes;
    return false;
  }
}
