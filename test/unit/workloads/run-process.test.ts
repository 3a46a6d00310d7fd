import { afterAll, afterEach, describe, expect, jest, test } from '@jest/globals';
import { ConfigError } from '../../../core/config.js';
import { runJob } from '../../../workloads/run-process.js';

describe('runJob: the exit code says how a job ended', () => {
  const written: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (written.push(String(s)), true));
  const writeErr = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (written.push(String(s)), true));
  afterEach(() => {
    process.exitCode = undefined;
    written.length = 0;
  });
  afterAll(() => {
    write.mockRestore();
    writeErr.mockRestore();
  });
  const job = (run: () => Promise<void>, settings: () => unknown = () => ({})) =>
    runJob({ component: 'test-job', help: 'test-job: does nothing', failed: 'test job failed', settings, run });

  test('succeeded: 0', async () => {
    await job(async () => undefined);
    expect(process.exitCode).toBeUndefined();
  });
  test('failed: 1, with the error logged', async () => {
    await job(async () => {
      throw new Error('disk full');
    });
    expect(process.exitCode).toBe(1);
    expect(written.join('')).toMatch(/"msg":"test job failed".*"error":"disk full"/);
  });
  test('invalid settings: 2, naming the variable, and nothing run', async () => {
    let ran = false;
    await job(
      async () => void (ran = true),
      () => {
        throw new ConfigError('DI_POSTGRES_HOST is required');
      },
    );
    expect(process.exitCode).toBe(2);
    expect(ran).toBe(false);
    expect(written.join('')).toMatch(/"msg":"invalid configuration".*DI_POSTGRES_HOST is required/);
  });
});
