// Writes crds/ from the TypeScript schema: `npm run generate:crd`.
import { writeFileSync } from 'node:fs';
import { crdYaml, CRD_FILE } from '../api/crd-yaml.js';

writeFileSync(CRD_FILE, crdYaml());
process.stdout.write(`wrote ${CRD_FILE}\n`);
