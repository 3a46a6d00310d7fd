// `npm run generate`: writes every generated file (the CRD and its copies for the chart and
// kustomize, the API reference, the RBAC role for kustomize and the chart, the chart's copies of
// the alert rules and the dashboard).
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { GENERATED_FILES } from './generated-files.js';
import { packageRoot } from '../util/repo-root.js';

for (const f of GENERATED_FILES) writeFileSync(f.path, f.content());
process.stdout.write(`wrote ${GENERATED_FILES.map((f) => relative(packageRoot(), f.path)).join('\n      ')}\n`);
