// A work queue keyed per pipeline, in the manner of client-go's: a key waiting once is
// queued once (de-duplication); a key is never processed by two workers at once (a key added
// while in flight runs again afterwards); failures retry with per-key exponential backoff;
// at most `concurrency` keys are processed at a time.
import { backoffDelay } from '../../core/backoff.js';

export interface WorkResult {
  /** Run the key again after this long, without counting a failure. */
  requeueAfterMs?: number;
}

export interface WorkQueueOptions {
  concurrency: number;
  handler: (key: string) => Promise<WorkResult | void>;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onError?: (key: string, err: unknown, retryInMs: number) => void;
  onDepthChange?: (depth: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private active = 0;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly base: number;
  private readonly max: number;

  constructor(private readonly opts: WorkQueueOptions) {
    if (opts.concurrency < 1) throw new RangeError('concurrency must be at least 1');
    this.base = opts.baseDelayMs ?? 200;
    this.max = opts.maxDelayMs ?? 60_000;
  }

  get depth(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.stopping) return;
    const pending = this.timers.get(key);
    if (pending) {
      clearTimeout(pending.timer);
      this.timers.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.opts.onDepthChange?.(this.queue.length);
    this.pump();
  }

  /** Adds the key after a delay; the earliest of several pending delays wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopping || this.queued.has(key)) return;
    const due = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.due <= due) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { timer, due });
  }

  /** The backoff the next failure of `key` would get. */
  backoffFor(key: string): number {
    const n = this.failures.get(key) ?? 0;
    return backoffDelay({ initialMs: this.base, maxMs: this.max }, n);
  }

  private pump(): void {
    while (!this.stopping && this.active < this.opts.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      this.active++;
      this.opts.onDepthChange?.(this.queue.length);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    try {
      const result = await this.opts.handler(key);
      this.failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const delay = this.backoffFor(key);
      this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
      this.opts.onError?.(key, err, delay);
      this.addAfter(key, delay);
    } finally {
      this.processing.delete(key);
      this.active--;
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
      if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Stops taking work and waits for in-flight keys to finish. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    if (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
