// Every file generated from the TypeScript sources, with its content: `npm run generate`
// writes them, and a unit test fails when a committed one is stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CRD_NAME } from '../api/crd.js';
import { crdYaml } from '../api/crd-yaml.js';
import { referenceMarkdown } from '../api/reference.js';
import { operatorRules } from '../model/objects/rbac.js';
import { packageRoot } from '../util/repo-root.js';
import { NAME_LABEL, PART_OF_LABEL } from '../../core/labels.js';

export interface GeneratedFile {
  path: string;
  content: () => string;
}

const CRD_FILE = join(packageRoot(), 'crds', `${CRD_NAME}.yaml`);
/** The same CRD where the Helm chart and the kustomize base need their own copies. */
const CRD_COPIES = [
  join(packageRoot(), 'charts', 'mobileforge-operator', 'crds', `${CRD_NAME}.yaml`),
  join(packageRoot(), 'config', 'crd', 'bases', `${CRD_NAME}.yaml`),
];

const yaml = (v: unknown) => stringify(v, { lineWidth: 0, aliasDuplicateObjects: false });

function roleYaml(): string {
  return (
    '# Generated from operator/model/objects/rbac.ts by `npm run generate`. Do not edit by hand.\n' +
    '# Least-privilege permissions of the MobileForge operator, derived from the kinds it manages.\n' +
    yaml({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'mobileforge-operator', labels: { [NAME_LABEL]: 'mobileforge-operator', [PART_OF_LABEL]: 'mobileforge-sync' } },
      rules: operatorRules(),
    })
  );
}

/** The chart's copy of the rules, as a named template its Role or ClusterRole includes. */
function chartRulesTemplate(): string {
  return (
    '{{/* Generated from operator/model/objects/rbac.ts by `npm run generate`. Do not edit by hand. */}}\n' +
    '{{- define "mfo.rules" -}}\n' +
    yaml(operatorRules()).trimEnd() +
    '\n{{- end -}}\n'
  );
}

/** The Argo CD health scripts (config/argocd/*.lua) as the argocd-cm entries that install them. */
function argocdHealthConfigMap(): string {
  const script = (file: string) => readFileSync(join(packageRoot(), 'config', 'argocd', file), 'utf8');
  return (
    '# Generated from config/argocd/*.lua by `npm run generate`. Do not edit by hand.\n' +
    '# Merge into the argocd-cm ConfigMap (namespace argocd) so Argo CD understands the health of\n' +
    '# MobileForge pipelines and of Strimzi KafkaTopics.\n' +
    yaml({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm', namespace: 'argocd', labels: { [PART_OF_LABEL]: 'argocd' } },
      data: {
        'resource.customizations.health.mobileforge.credeau.com_MobileForgeSyncPipeline': script('health-syncpipeline.lua'),
        'resource.customizations.health.kafka.strimzi.io_KafkaTopic': script('health-kafkatopic.lua'),
      },
    })
  );
}

/** The shipped alert rules and dashboard (config/prometheus, config/grafana), copied into the chart for `.Files.Get`. */
const configFile =
  (...path: string[]) =>
  () =>
    readFileSync(join(packageRoot(), 'config', ...path), 'utf8');
function chartRulesFile(): string {
  return '# Generated from config/prometheus/rules.yaml by `npm run generate`. Do not edit by hand.\n' + configFile('prometheus', 'rules.yaml')();
}

export const GENERATED_FILES: GeneratedFile[] = [
  ...[CRD_FILE, ...CRD_COPIES].map((path) => ({ path, content: crdYaml })),
  { path: join(packageRoot(), 'docs', 'api-reference.md'), content: referenceMarkdown },
  { path: join(packageRoot(), 'config', 'rbac', 'role.yaml'), content: roleYaml },
  { path: join(packageRoot(), 'charts', 'mobileforge-operator', 'templates', '_rules.tpl'), content: chartRulesTemplate },
  { path: join(packageRoot(), 'config', 'argocd', 'argocd-cm-health.yaml'), content: argocdHealthConfigMap },
  { path: join(packageRoot(), 'charts', 'mobileforge-operator', 'files', 'prometheus-rules.yaml'), content: chartRulesFile },
  // JSON has no comments: the chart's template says where this copy comes from.
  { path: join(packageRoot(), 'charts', 'mobileforge-operator', 'files', 'grafana-dashboard.json'), content: configFile('grafana', 'mobileforge-sync.json') },
];
