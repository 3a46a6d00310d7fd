// Jest global setup for integration tests: reuse running services or start the missing ones
// through test/infra/infra.sh. Services the caller configured as external (the
// MOBILEFORGE_TEST_* markers, test/support/endpoints.ts) are left alone; each worker then
// picks up the endpoints in test/support/load-env.ts. MOBILEFORGE_NO_START=1 starts nothing.
// Then test/infra/sweep.sh removes what earlier runs left in the test cluster.
// (Self-contained on purpose: Jest loads this file outside its module mapper.)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export default function globalSetup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  // Integration tests run the real operator and workloads from dist/, as production does.
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (process.env.MOBILEFORGE_NO_START === '1') return;
  // Not the node: these suites play the kubelet and the controllers themselves (test/e2e runs real pods).
  execFileSync('bash', [join(root, 'test', 'infra', 'infra.sh'), 'up', '--skip-external', 'postgres', 'kafka', 'mongo', 'kube'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // What earlier runs left in the test cluster (a run killed before its afterAll).
  execFileSync('bash', [join(root, 'test', 'infra', 'sweep.sh'), 'kube'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
