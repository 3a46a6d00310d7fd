import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { GENERATED_FILES } from '../../../operator/cli/generated-files.js';
import { packageRoot } from '../../../operator/util/repo-root.js';
import { buildCrd } from '../../../operator/api/crd.js';

type Schema = { description?: string; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema | boolean; default?: unknown };

describe('the CRD', () => {
  test.each(GENERATED_FILES.map((f) => [relative(packageRoot(), f.path), f] as const))(
    'the committed %s is what the sources generate (run `npm run generate`)',
    (_name, f) => {
      expect(readFileSync(f.path, 'utf8')).toBe(f.content());
    },
  );

  test('names, scope, short name, category and status subresource', () => {
    const crd = buildCrd();
    expect(crd.spec.group).toBe('mobileforge.credeau.com');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({
      kind: 'MobileForgeSyncPipeline',
      plural: 'syncpipelines',
      singular: 'syncpipeline',
      shortNames: ['mfsp'],
      categories: ['mobileforge'],
    });
    expect(crd.spec.versions[0]).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
    expect(crd.spec.versions[0]!.additionalPrinterColumns!.map((c) => c.name)).toEqual([
      'DAU',
      'Tier',
      'Env',
      'Ready',
      'Producers',
      'Consumers',
      'Lag',
      'Reason',
      'Migration',
      'Age',
    ]);
  });

  test('every spec field has a description and no schema defaults (they would show as drift in Argo CD)', () => {
    const spec = (buildCrd().spec.versions[0]!.schema!.openAPIV3Schema as Schema).properties!.spec!;
    const missing: string[] = [];
    const walk = (s: Schema, path: string): void => {
      if (!s.description) missing.push(path);
      expect(s.default).toBeUndefined();
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${path}.${k}`);
      if (s.items?.properties) walk(s.items, `${path}[]`);
    };
    walk(spec, 'spec');
    expect(missing).toEqual([]);
  });
});
