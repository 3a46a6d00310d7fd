// Invalid pipelines, each breaking one schema constraint or CEL rule, with the message both
// the offline validator and the API server must give. Used by the unit tests (offline) and the
// integration tests (real API server admission).
import type { SyncPipeline } from '../../operator/api/v1alpha1.js';
import { RULE_MESSAGES } from '../../operator/api/v1alpha1.js';
import { pipeline } from './fixtures.js';

export interface InvalidCase {
  name: string;
  doc: SyncPipeline;
  /** Field path the offline validator reports. */
  path: string;
  /** Text both the offline validator and the API server's message contain. */
  message: string | RegExp;
}

const with_ = (mutate: (p: SyncPipeline) => void, base = pipeline()): SyncPipeline => {
  const p = structuredClone(base);
  mutate(p);
  return p;
};

export const INVALID_CASES: InvalidCase[] = [
  {
    name: 'min > max replicas',
    doc: pipeline({ consumers: { sms: { minReplicas: 5, maxReplicas: 2 } } }),
    path: 'spec.consumers.sms',
    message: RULE_MESSAGES.minLeMax,
  },
  { name: 'producer min > max', doc: pipeline({ producer: { minReplicas: 9, maxReplicas: 3 } }), path: 'spec.producer', message: RULE_MESSAGES.minLeMax },
  {
    name: 'india enabling contacts',
    doc: pipeline({ region: 'india', mongodb: { host: 'm', enabledSources: ['sms', 'contacts'] } }),
    path: 'spec.mongodb.enabledSources',
    message: RULE_MESSAGES.indiaSources,
  },
  {
    name: 'india configuring the call-logs topic',
    doc: pipeline({ region: 'india', kafka: { bootstrapServers: ['k:9092'], topics: { call_logs_batched: { partitions: 12 } } } }),
    path: 'spec.kafka.topics',
    message: RULE_MESSAGES.indiaTopics,
  },
  {
    name: 'inline password in extra env',
    doc: pipeline({ producer: { env: [{ name: 'DI_POSTGRES_PASSWORD', value: 'hunter2' }] } }),
    path: 'spec.producer.env',
    message: RULE_MESSAGES.credentialEnv,
  },
  {
    name: 'strimzi without cluster name',
    doc: pipeline({ kafka: { bootstrapServers: ['k:9092'], topicManagement: { mode: 'strimzi' } } }),
    path: 'spec.kafka.topicManagement.strimziClusterName',
    message: RULE_MESSAGES.strimziCluster,
  },
  {
    name: 'mongodb with both host and URI secret',
    doc: pipeline({ mongodb: { host: 'm', uriSecretRef: { name: 's' } } }),
    path: 'spec.mongodb',
    message: RULE_MESSAGES.mongoTarget,
  },
  { name: 'mongodb with neither host nor URI secret', doc: pipeline({ mongodb: { database: 'x' } }), path: 'spec.mongodb', message: RULE_MESSAGES.mongoTarget },
  {
    name: 'ingress enabled without host',
    doc: pipeline({ producer: { ingress: { enabled: true } } }),
    path: 'spec.producer.ingress.host',
    message: RULE_MESSAGES.ingressHost,
  },
  { name: 'dau below 1', doc: pipeline({ dau: 0 }), path: 'spec.dau', message: /must be >= 1|should be greater than or equal to 1/ },
  {
    name: 'unknown environment',
    doc: with_((p) => {
      (p.spec as { environment: string }).environment = 'staging';
    }),
    path: 'spec.environment',
    message: /dev.*uat.*production/,
  },
  { name: 'no bootstrap servers', doc: pipeline({ kafka: { bootstrapServers: [] } }), path: 'spec.kafka.bootstrapServers', message: /1 item/ },
  {
    name: 'postgres without credentials secret',
    doc: with_((p) => {
      delete (p.spec.postgres as { credentialsSecretRef?: unknown }).credentialsSecretRef;
    }),
    path: 'spec.postgres.credentialsSecretRef',
    message: /required field is missing|Required value/,
  },
  { name: 'name too long', doc: pipeline({}, 'a'.repeat(37)), path: 'metadata.name', message: RULE_MESSAGES.nameLength },
];
