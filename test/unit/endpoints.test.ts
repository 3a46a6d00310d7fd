import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { externalServices, useTestServices } from '../support/endpoints.js';
import { testOwner } from '../support/test-owner.js';
import { packageRoot } from '../../operator/util/repo-root.js';

/** What a developer's shell typically exports: a real cluster and real databases. */
const USERS_SHELL = {
  KUBECONFIG: '/home/me/.kube/config',
  DATABASE_URL: 'postgres://me:secret@prod-db.internal:5432/app',
  PGHOST: 'prod-db.internal',
  KAFKA_BROKERS: 'prod-kafka:9092',
  MONGODB_URI: 'mongodb://prod-mongo:27017/',
  NODE_KUBECONFIG: '/home/me/.kube/other',
};

let run: string;
const savedRun = process.env.MOBILEFORGE_RUN;
beforeAll(() => {
  run = mkdtempSync(join(tmpdir(), 'endpoints-'));
  writeFileSync(
    join(run, 'env'),
    [
      'KAFKA_BROKERS=127.0.0.1:59092',
      'PGHOST=127.0.0.1',
      'PGPORT=55432',
      'DATABASE_URL=postgres://mobileforge:pw@127.0.0.1:55432/postgres',
      'MONGODB_URI=mongodb://127.0.0.1:57017/',
      'KUBECONFIG=/cache/run/kube/kubeconfig',
      'KUBECTL=/cache/bin/kubectl',
      'NODE_KUBECONFIG=/cache/run/node/kubeconfig',
    ].join('\n'),
  );
  process.env.MOBILEFORGE_RUN = run;
});
afterAll(() => {
  if (savedRun === undefined) delete process.env.MOBILEFORGE_RUN;
  else process.env.MOBILEFORGE_RUN = savedRun;
  rmSync(run, { recursive: true, force: true });
});

describe('test endpoints', () => {
  test('a service counts as external only through its MOBILEFORGE_TEST_* marker, never its usual variable', () => {
    expect([...externalServices(USERS_SHELL)]).toEqual([]);
    expect([...externalServices({ MOBILEFORGE_TEST_MONGODB_URI: 'mongodb://db:27017/' })]).toEqual(['mongo']);
    expect([...externalServices({ MOBILEFORGE_TEST_KUBECONFIG: '/tmp/kc' })]).toEqual(['kube']);
  });

  test("the shell's KUBECONFIG, DATABASE_URL, KAFKA_BROKERS and MONGODB_URI are replaced by the test services'", () => {
    const env: NodeJS.ProcessEnv = { ...USERS_SHELL, PATH: '/usr/bin', MOBILEFORGE_RUN: run };
    useTestServices(env);
    expect(env).toMatchObject({
      KUBECONFIG: '/cache/run/kube/kubeconfig',
      NODE_KUBECONFIG: '/cache/run/node/kubeconfig',
      DATABASE_URL: 'postgres://mobileforge:pw@127.0.0.1:55432/postgres',
      PGHOST: '127.0.0.1',
      KAFKA_BROKERS: '127.0.0.1:59092',
      MONGODB_URI: 'mongodb://127.0.0.1:57017/',
      PATH: '/usr/bin',
    });
  });

  test('before the services ever ran (no endpoints file), the shell’s variables are removed, not kept', () => {
    process.env.MOBILEFORGE_RUN = join(run, 'nothing-here');
    try {
      const env: NodeJS.ProcessEnv = { ...USERS_SHELL };
      useTestServices(env);
      for (const v of Object.keys(USERS_SHELL)) expect(env[v]).toBeUndefined();
    } finally {
      process.env.MOBILEFORGE_RUN = run;
    }
  });

  test('an explicit marker points at an external service', () => {
    const env: NodeJS.ProcessEnv = { ...USERS_SHELL, MOBILEFORGE_TEST_DATABASE_URL: 'postgres://t:p@pg.test:6432/x', MOBILEFORGE_TEST_KUBECONFIG: '/tmp/kc' };
    useTestServices(env);
    expect(env).toMatchObject({ PGHOST: 'pg.test', PGPORT: '6432', PGDATABASE: 'x', KUBECONFIG: '/tmp/kc', KUBECTL: '/cache/bin/kubectl' });
  });

  test('every benchmark and the demo take their endpoints through useTestServices, never from the shell', () => {
    const scripts = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const entryPoints = Object.values(scripts)
      .map((cmd) => /node dist\/(test\/\S+)\.js/.exec(cmd)?.[1])
      .filter((p): p is string => p !== undefined);
    // every benchmark has a script: none is left out of this check (the two forwarders are
    // bench:producer's yardsticks, which it starts with the endpoints it was given)
    const yardsticks = ['bare-forwarder.ts', 'validating-forwarder.ts'];
    const benches = readdirSync(join(packageRoot(), 'test', 'bench')).filter((f) => f.endsWith('.ts') && !yardsticks.includes(f));
    expect(entryPoints.filter((p) => p.startsWith('test/bench/')).sort()).toEqual(benches.map((f) => `test/bench/${f.replace(/\.ts$/, '')}`).sort());
    expect(entryPoints).toContain('test/demo');
    for (const p of entryPoints) {
      const source = readFileSync(join(packageRoot(), `${p}.ts`), 'utf8');
      expect({ p, uses: /^useTestServices\(\);$/m.test(source) }).toEqual({ p, uses: true });
      expect({ p, readsFile: source.includes('readEnvFile') }).toEqual({ p, readsFile: false });
    }
    // The bare forwarder is started by bench:producer with an environment of its own.
    expect(readFileSync(join(packageRoot(), 'test', 'bench', 'producer.ts'), 'utf8')).toMatch(/env: \{ PATH: process\.env\.PATH, PORT: /);
  });

  test('a test owner label is a valid label value naming this machine and process', () => {
    expect(testOwner('build-7.example.com', 4242)).toBe('build-7.example.com.4242');
    expect(testOwner('-weird host!-', 1)).toBe('weird-host.1');
    const long = testOwner('x'.repeat(80), 99999);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/);
  });
});
