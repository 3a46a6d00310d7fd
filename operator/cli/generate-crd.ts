// Writes everything generated from the TypeScript schema: crds/ and docs/api-reference.md.
// `npm run generate:crd`; unit tests fail when either committed file is stale.
import { writeFileSync } from 'node:fs';
import { crdYaml, CRD_FILE } from '../api/crd-yaml.js';
import { referenceMarkdown, REFERENCE_FILE } from '../api/reference.js';

writeFileSync(CRD_FILE, crdYaml());
writeFileSync(REFERENCE_FILE, referenceMarkdown());
process.stdout.write(`wrote ${CRD_FILE}\nwrote ${REFERENCE_FILE}\n`);
