// The CRD as committed YAML (crds/), with a header saying where it comes from.
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildCrd, CRD_NAME } from './crd.js';
import { packageRoot } from '../util/repo-root.js';

export const CRD_FILE = join(packageRoot(), 'crds', `${CRD_NAME}.yaml`);
/** The same CRD where the Helm chart and the kustomize base need their own copies. */
export const CRD_COPIES = [
  join(packageRoot(), 'charts', 'mobileforge-operator', 'crds', `${CRD_NAME}.yaml`),
  join(packageRoot(), 'config', 'crd', 'bases', `${CRD_NAME}.yaml`),
];

export function crdYaml(): string {
  const header = '# Generated from operator/api/v1alpha1.ts by `npm run generate`. Do not edit by hand.\n';
  return header + stringify(buildCrd(), { lineWidth: 0, aliasDuplicateObjects: false });
}
