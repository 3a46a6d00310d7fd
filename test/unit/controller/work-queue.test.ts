import { describe, expect, test } from '@jest/globals';
import { WorkQueue } from '../../../operator/controller/work-queue.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('WorkQueue', () => {
  test('a key added many times while waiting runs once', async () => {
    const runs: string[] = [];
    const gate = deferred();
    const q = new WorkQueue({
      concurrency: 1,
      handler: async (k) => {
        runs.push(k);
        await gate.promise;
      },
    });
    q.add('busy');
    for (let i = 0; i < 5; i++) q.add('a');
    gate.resolve();
    await tick(10);
    expect(runs).toEqual(['busy', 'a']);
  });

  test('never runs one key twice at once; an add during processing runs again afterwards', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let runs = 0;
    const gate = deferred();
    const q = new WorkQueue({
      concurrency: 4,
      handler: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        runs++;
        if (runs === 1) await gate.promise;
        inFlight--;
      },
    });
    q.add('k');
    await tick();
    q.add('k');
    q.add('k');
    await tick(5);
    expect(runs).toBe(1);
    gate.resolve();
    await tick(10);
    expect(runs).toBe(2);
    expect(maxInFlight).toBe(1);
  });

  test('processes different keys concurrently, up to the bound', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const q = new WorkQueue({
      concurrency: 3,
      handler: async () => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await tick(20);
        inFlight--;
      },
    });
    for (let i = 0; i < 10; i++) q.add(`k${i}`);
    await tick(150);
    expect(maxInFlight).toBe(3);
  });

  test('failures retry with exponential backoff, reset on success', async () => {
    const times: number[] = [];
    const delays: number[] = [];
    const q = new WorkQueue({
      concurrency: 1,
      baseDelayMs: 10,
      maxDelayMs: 1000,
      onError: (_k, _e, d) => delays.push(d),
      handler: async () => {
        times.push(Date.now());
        if (times.length < 4) throw new Error('transient');
      },
    });
    q.add('k');
    await tick(200);
    expect(times).toHaveLength(4);
    expect(delays).toEqual([10, 20, 40]);
    expect(q.backoffFor('k')).toBe(10);
    expect(times[3]! - times[2]!).toBeGreaterThanOrEqual(35);
  });

  test('backoff is capped', () => {
    const q = new WorkQueue({ concurrency: 1, baseDelayMs: 100, maxDelayMs: 500, handler: async () => undefined });
    expect(q.backoffFor('never-failed')).toBe(100);
  });

  test('shutdown waits for in-flight work and takes no more', async () => {
    const gate = deferred();
    let finished = false;
    const ran: string[] = [];
    const q = new WorkQueue({
      concurrency: 1,
      handler: async (k) => {
        ran.push(k);
        await gate.promise;
        finished = true;
      },
    });
    q.add('a');
    q.add('b');
    const done = q.shutdown();
    setTimeout(() => gate.resolve(), 20);
    await done;
    expect(finished).toBe(true);
    q.add('c');
    await tick(10);
    expect(ran).toEqual(['a']);
  });
});
