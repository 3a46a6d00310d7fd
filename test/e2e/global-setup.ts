// Jest global setup for the end-to-end project: every test service including the node (a
// real kubelet, containerd, scheduler and controllers), and the operator and workload images
// built from the Dockerfiles and imported into the node's containerd. Warm runs reuse all of
// it (stamps in the cache). MOBILEFORGE_NO_START=1 starts nothing.
// (Self-contained on purpose: Jest loads this file outside its module mapper.)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export default function globalSetup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  if (process.env.MOBILEFORGE_NO_START === '1') return;
  execFileSync('bash', [join(root, 'test', 'infra', 'infra.sh'), 'up', '--skip-external'], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('bash', [join(root, 'test', 'infra', 'images.sh'), 'load'], { stdio: ['ignore', 'ignore', 'inherit'] });
  // Pipelines earlier runs left on the node (a run killed before its afterAll); a demo's stays.
  execFileSync('bash', [join(root, 'test', 'infra', 'sweep.sh'), 'node'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
