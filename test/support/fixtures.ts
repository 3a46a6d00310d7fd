// Pipelines for tests: the committed samples (config/samples) and a builder for variants.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { SyncPipeline, SyncPipelineSpec } from '../../operator/api/v1alpha1.js';
import { packageRoot } from '../../operator/util/repo-root.js';

export const SAMPLE_NAMES = ['dev', 'uat', 'production'] as const;

export function samplePath(name: (typeof SAMPLE_NAMES)[number]): string {
  return join(packageRoot(), 'config', 'samples', `${name}.yaml`);
}

export function loadSample(name: (typeof SAMPLE_NAMES)[number]): SyncPipeline {
  return parse(readFileSync(samplePath(name), 'utf8')) as SyncPipeline;
}

/** A minimal valid pipeline, with the given spec fields replaced. */
export function pipeline(spec: Partial<SyncPipelineSpec> = {}, name = 'test'): SyncPipeline {
  return {
    apiVersion: 'mobileforge.credeau.com/v1alpha1',
    kind: 'MobileForgeSyncPipeline',
    metadata: { name, namespace: 'sync', uid: '0b9c4f53-2d1c-4f1e-9e2a-6a9d2c1b7e11', generation: 1 },
    spec: {
      dau: 100_000,
      environment: 'production',
      region: 'other',
      image: { repository: 'registry.example.com/mobileforge/sync-workload', tag: '0.1.0' },
      kafka: { bootstrapServers: ['kafka:9092'] },
      postgres: { host: 'pg', credentialsSecretRef: { name: 'pg-creds' } },
      mongodb: { host: 'mongo', credentialsSecretRef: { name: 'mongo-creds' } },
      ...spec,
    },
  };
}
