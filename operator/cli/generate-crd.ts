// Writes everything generated from the TypeScript schema: crds/ and docs/api-reference.md.
// `npm run generate:crd`; unit tests fail when either committed file is stale.
import { writeFileSync } from 'node:fs';
import { crdYaml, CRD_COPIES, CRD_FILE } from '../api/crd-yaml.js';
import { referenceMarkdown, REFERENCE_FILE } from '../api/reference.js';

for (const f of [CRD_FILE, ...CRD_COPIES]) writeFileSync(f, crdYaml());
writeFileSync(REFERENCE_FILE, referenceMarkdown());
process.stdout.write(`wrote ${[CRD_FILE, ...CRD_COPIES, REFERENCE_FILE].join('\n')}\n`);
