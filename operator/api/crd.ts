// Builds the MobileForgeSyncPipeline CustomResourceDefinition from the TypeBox schema.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { Type } from '@sinclair/typebox';
import { toPlainJson } from './schema-helpers.js';
import { CATEGORIES, GROUP, KIND, MAX_PIPELINE_NAME, PLURAL, RULE_MESSAGES, SHORT_NAMES, SINGULAR, SpecSchema, StatusSchema, VERSION } from './v1alpha1.js';
import { NAME_LABEL, PART_OF_LABEL } from '../../core/labels.js';

export const CRD_NAME = `${PLURAL}.${GROUP}`;

function openApiSchema(): Record<string, unknown> {
  return toPlainJson(
    Type.Object(
      {
        apiVersion: Type.Optional(Type.String({ description: 'APIVersion of this object: mobileforge.credeau.com/v1alpha1.' })),
        kind: Type.Optional(Type.String({ description: 'Kind of this object: MobileForgeSyncPipeline.' })),
        metadata: Type.Optional(Type.Object({})),
        spec: SpecSchema,
        status: Type.Optional(StatusSchema),
      },
      {
        'x-kubernetes-validations': [{ rule: `size(self.metadata.name) <= ${MAX_PIPELINE_NAME}`, message: RULE_MESSAGES.nameLength }],
        description:
          'MobileForgeSyncPipeline is one complete mobile-data sync pipeline: the Producer API, its Kafka topics, the sms, events and common consumers, and their autoscaling, sized from the daily active users.',
      },
    ),
  );
}

export function buildCrd(): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: CRD_NAME,
      labels: { [NAME_LABEL]: 'mobileforge-sync', [PART_OF_LABEL]: 'mobileforge-sync' },
    },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: SINGULAR, shortNames: SHORT_NAMES, categories: CATEGORIES },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'DAU', type: 'integer', jsonPath: '.spec.dau', description: 'Daily active users the pipeline is sized for.' },
            { name: 'Tier', type: 'string', jsonPath: '.status.tier', description: 'DAU ladder rung.' },
            { name: 'Env', type: 'string', jsonPath: '.spec.environment', description: 'Environment profile.' },
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Whether every component is ready.' },
            { name: 'Producers', type: 'string', jsonPath: '.status.producers', description: 'Producer API pods ready/desired.' },
            { name: 'Consumers', type: 'string', jsonPath: '.status.consumers', description: 'Consumer pods ready/desired.' },
            { name: 'Lag', type: 'integer', jsonPath: '.status.flow.lag', description: 'Records the consumers are behind, all groups together.' },
            { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1, description: 'Why Ready is what it is.' },
            {
              name: 'Migration',
              type: 'string',
              jsonPath: '.status.migration.phase',
              priority: 1,
              description: 'Schema migration phase (rollouts wait for Succeeded).',
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          // The generated schema is plain JSON; the client type is stricter than what the API accepts.
          schema: { openAPIV3Schema: openApiSchema() as never },
        },
      ],
    },
  };
}
