// The CRD as committed YAML (crds/ and its copies), with a header saying where it comes from.
// The paths it is written to are operator/cli/generated-files.ts's: the API knows no repository layout.
import { stringify } from 'yaml';
import { buildCrd } from './crd.js';

export function crdYaml(): string {
  const header = '# Generated from operator/api/v1alpha1.ts by `npm run generate`. Do not edit by hand.\n';
  return header + stringify(buildCrd(), { lineWidth: 0, aliasDuplicateObjects: false });
}
