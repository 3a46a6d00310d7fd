// The Dockerfiles, without a Docker engine: their structure is checked (multi-stage, numeric
// non-root user, tini as PID 1, OCI labels, production-only install) and their build and run
// steps are performed in a temporary directory: a production-only `npm ci` of the lockfile,
// the compiled dist/ copied in (what the build stage produces), and every entry point started.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../../operator/util/repo-root.js';

const root = packageRoot();
let app: string;

interface Stage {
  from: string;
  name?: string;
  lines: string[];
}

function stages(dockerfile: string): Stage[] {
  const text = readFileSync(join(root, dockerfile), 'utf8').replace(/\\\n\s*/g, ' ');
  const out: Stage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ from: from[1]!, ...(from[2] ? { name: from[2] } : {}), lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'mobileforge-image-'));
  // The runtime stage: COPY package.json package-lock.json; RUN npm ci --omit=dev; COPY dist.
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, f), join(app, f));
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: app,
    stdio: 'ignore',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  cpSync(join(root, 'dist'), join(app, 'dist'), { recursive: true });
  cpSync(join(root, 'crds'), join(app, 'crds'), { recursive: true });
}, 180000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

describe.each(['Dockerfile.operator', 'Dockerfile.workload'])('%s', (dockerfile) => {
  const s = stages(dockerfile);
  const runtime = s.at(-1)!;
  const has = (re: RegExp) => runtime.lines.some((l) => re.test(l));

  test('is multi-stage: builds with dev dependencies, runs with production ones only', () => {
    expect(s.map((x) => x.name)).toEqual(['build', 'runtime']);
    expect(s.every((x) => /^node:20[.\d]*-/.test(x.from))).toBe(true);
    expect(s[0]!.lines.some((l) => /npm ci\b(?!.*--omit=dev)/.test(l))).toBe(true);
    expect(has(/npm ci .*--omit=dev/)).toBe(true);
    expect(has(/COPY --from=build \/src\/dist/)).toBe(true);
  });

  test('runs as a numeric non-root user with tini as PID 1, and carries OCI labels', () => {
    const user = runtime.lines.find((l) => /^USER /.test(l));
    expect(user).toMatch(/^USER [1-9]\d*:[1-9]\d*$/);
    expect(has(/ENTRYPOINT \["\/usr\/bin\/tini", "--", "node"/)).toBe(true);
    expect(has(/apt-get install .*tini/)).toBe(true);
    for (const label of ['title', 'description', 'version', 'licenses', 'source'])
      expect(has(new RegExp(`org\\.opencontainers\\.image\\.${label}=`))).toBe(true);
  });

  test('hadolint (the Dockerfile linter) reports nothing', () => {
    const hadolint = join(process.env.MOBILEFORGE_BIN ?? '', 'hadolint');
    expect(existsSync(hadolint)).toBe(true);
    const r = spawnSync(hadolint, ['--no-color', '--failure-threshold', 'info', join(root, dockerfile)], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('its entry point exists in the built tree', () => {
    const entry = /ENTRYPOINT \[.*"node", "\/app\/([^"]+)"\]/.exec(runtime.lines.find((l) => l.startsWith('ENTRYPOINT'))!)![1]!;
    expect(existsSync(join(app, entry))).toBe(true);
  });
});

test('the build stage compiles from exactly what it copies (COPY lines of the build stage)', () => {
  const build = mkdtempSync(join(tmpdir(), 'mobileforge-build-'));
  try {
    const copies = stages('Dockerfile.workload')[0]!
      .lines.filter((l) => l.startsWith('COPY '))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(copies).toEqual([
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'tsconfig.image.json',
      'core',
      'operator',
      'workloads',
    ]);
    for (const c of copies) cpSync(join(root, c), join(build, c), { recursive: true });
    // the dev dependencies the build stage installs with `npm ci`
    symlinkSync(join(root, 'node_modules'), join(build, 'node_modules'));
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.image.json'], { cwd: build, stdio: 'pipe' });
    expect(existsSync(join(build, 'dist', 'workloads', 'entrypoint.js'))).toBe(true);
    expect(existsSync(join(build, 'dist', 'operator', 'main.js'))).toBe(true);
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
}, 120000);

describe("running the images' commands from the production install", () => {
  const run = (args: string[]) => spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8', env: { PATH: process.env.PATH, NODE_ENV: 'production' } });

  test('the production install has no dev dependencies', () => {
    for (const dev of ['typescript', 'jest', 'eslint', 'ts-jest']) expect(existsSync(join(app, 'node_modules', dev))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'kafkajs'))).toBe(true);
  });

  test('workload image: --help lists the commands', () => {
    const r = run(['dist/workloads/entrypoint.js', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/producer[\s\S]*consumer[\s\S]*migrate[\s\S]*partitions/);
  });

  test.each(['producer', 'consumer', 'migrate', 'partitions'])('workload image: `%s --help` starts from the production install', (cmd) => {
    const r = run(['dist/workloads/entrypoint.js', cmd, '--help']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(cmd);
  });

  test('workload image: an unknown command is a usage error', () => {
    const r = run(['dist/workloads/entrypoint.js', 'bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "bogus"');
  });

  test('workload image: the producer without configuration names the missing variable', () => {
    const r = run(['dist/workloads/entrypoint.js', 'producer']);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('DI_POSTGRES_HOST is required');
  });

  test('operator image: --help starts from the production install', () => {
    const r = run(['dist/operator/main.js', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('mobileforge operator');
  });
});
