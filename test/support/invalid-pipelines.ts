// Invalid pipelines, each breaking one schema constraint or CEL rule, with the message both
// the offline validator and the API server must give. Used by the unit tests (offline) and the
// integration tests (real API server admission).
import type { SyncPipeline } from '../../operator/api/v1alpha1.js';
import { RULE_MESSAGES } from '../../operator/api/v1alpha1.js';
import { operatorEnvRefusal } from '../../operator/api/operator-env.js';
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

/** The refusal of an env entry naming a variable the operator sets. */
const owned = (name: string): string => {
  const m = operatorEnvRefusal(name);
  if (!m) throw new Error(`${name} is not a variable the operator sets`);
  return m;
};

export const INVALID_CASES: InvalidCase[] = [
  {
    name: 'a CA bundle from both a Secret and a ConfigMap',
    doc: pipeline({ postgres: { host: 'pg', credentialsSecretRef: { name: 'pg' }, ca: { secretRef: { name: 'a' }, configMapRef: { name: 'b' } } } }),
    path: 'spec.postgres.ca',
    message: RULE_MESSAGES.caSource,
  },
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
    doc: pipeline({ producer: { env: [{ name: 'REPORTING_DB_PASSWORD', value: 'hunter2' }] } }),
    path: 'spec.producer.env',
    message: RULE_MESSAGES.credentialEnv,
  },
  {
    name: "the producer's env setting the pipeline's region",
    doc: pipeline({ producer: { env: [{ name: 'PIPELINE_REGION', value: 'other' }] } }),
    path: 'spec.producer.env[0].name',
    message: owned('PIPELINE_REGION'),
  },
  {
    name: "a consumer's env turning the PostgreSQL certificate checks down, from a ConfigMap",
    doc: pipeline({
      consumers: {
        sms: {
          env: [
            { name: 'LOG_LEVEL', value: 'debug' },
            { name: 'DI_POSTGRES_SSLMODE', valueFrom: { configMapKeyRef: { name: 'pg', key: 'sslmode' } } },
          ],
        },
      },
    }),
    path: 'spec.consumers.sms.env[1].name',
    message: owned('DI_POSTGRES_SSLMODE'),
  },
  {
    name: "the producer's env giving a topic prefix its consumers would not read",
    doc: pipeline({ producer: { env: [{ name: 'KAFKA_TOPIC_PREFIX', value: 'uat.' }] } }),
    path: 'spec.producer.env[0].name',
    message: owned('KAFKA_TOPIC_PREFIX'),
  },
  {
    name: "the single consumer's env moving the metrics port",
    doc: pipeline({ consumers: { layout: 'single', all: { env: [{ name: 'METRICS_PORT', value: '9100' }] } } }),
    path: 'spec.consumers.all.env[0].name',
    message: owned('METRICS_PORT'),
  },
  {
    name: "a consumer's env replacing the database password Secret",
    doc: pipeline({ consumers: { events: { env: [{ name: 'DI_MONGODB_PASSWORD', valueFrom: { secretKeyRef: { name: 'other', key: 'pw' } } }] } } }),
    path: 'spec.consumers.events.env[0].name',
    message: owned('DI_MONGODB_PASSWORD'),
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
  {
    name: 'a topic prefix Kafka cannot take',
    doc: pipeline({ kafka: { bootstrapServers: ['k:9092'], topicPrefix: 'team a/' } }),
    path: 'spec.kafka.topicPrefix',
    message: /match/,
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
  // More than the model can size: explicit replicas stop at 1000, and so must the ladder's.
  { name: 'dau of a billion', doc: pipeline({ dau: 1_000_000_000 }), path: 'spec.dau', message: /6250000/ },
  {
    name: 'partitions below the consumer maxReplicas',
    doc: pipeline({ kafka: { bootstrapServers: ['k:9092'], topics: { sms_batched: { partitions: 4 } } }, consumers: { sms: { maxReplicas: 32 } } }),
    path: 'spec.kafka.topics.sms_batched.partitions',
    message: RULE_MESSAGES.partitionsBelowConsumers,
  },
  {
    name: 'partitions below the common consumer maxReplicas',
    doc: pipeline({ kafka: { bootstrapServers: ['k:9092'], topics: { contacts_batched: { partitions: 2 } } }, consumers: { common: { maxReplicas: 3 } } }),
    path: 'spec.kafka.topics.contacts_batched.partitions',
    message: RULE_MESSAGES.partitionsBelowConsumers,
  },
  {
    name: 'image repository outside the reference grammar',
    doc: pipeline({ image: { repository: 'Registry.Example.com/UPPER CASE/img!!', tag: '0.1.0' } }),
    path: 'spec.image.repository',
    message: /match/,
  },
  {
    name: 'image tag with a shell command',
    doc: pipeline({ image: { repository: 'r.example.com/img', tag: '0.1.0; rm -rf /' } }),
    path: 'spec.image.tag',
    message: /match/,
  },
  {
    name: 'a CPU request of 100,000',
    doc: pipeline({ producer: { resources: { requests: { cpu: 100000 } } } }),
    path: 'spec.producer.resources',
    message: RULE_MESSAGES.cpuBound,
  },
  {
    name: 'a memory limit of 999Ti',
    doc: pipeline({ consumers: { events: { resources: { limits: { memory: '999Ti' } } } } }),
    path: 'spec.consumers.events.resources',
    message: RULE_MESSAGES.memoryBound,
  },
  {
    name: 'a CPU request above its limit',
    doc: pipeline({ producer: { resources: { requests: { cpu: 8 }, limits: { cpu: '1' } } } }),
    path: 'spec.producer.resources',
    message: RULE_MESSAGES.requestLeLimit,
  },
  {
    name: 'a memory request above its limit (maintenance jobs)',
    doc: pipeline({ maintenance: { resources: { requests: { memory: '2Gi' }, limits: { memory: '1500Mi' } } } }),
    path: 'spec.maintenance.resources',
    message: RULE_MESSAGES.requestLeLimit,
  },
  {
    name: 'a schedule in words',
    doc: pipeline({ maintenance: { schedule: 'every day at noon' } }),
    path: 'spec.maintenance.schedule',
    message: RULE_MESSAGES.cronSchedule,
  },
  {
    name: 'a time zone on Mars',
    doc: pipeline({ maintenance: { timeZone: 'Mars/Olympus_Mons' } }),
    path: 'spec.maintenance.timeZone',
    message: RULE_MESSAGES.timeZone,
  },
  {
    name: 'minInSyncReplicas above the replication factor',
    doc: pipeline({ kafka: { bootstrapServers: ['k:9092'], replicationFactor: 3, minInSyncReplicas: 5 } }),
    path: 'spec.kafka.minInSyncReplicas',
    message: RULE_MESSAGES.minInSync,
  },
  {
    name: 'minInSyncReplicas above the default replication factor of dev',
    doc: pipeline({ environment: 'dev', kafka: { bootstrapServers: ['k:9092'], minInSyncReplicas: 2 } }),
    path: 'spec.kafka.minInSyncReplicas',
    message: RULE_MESSAGES.minInSync,
  },
  {
    name: 'a bootstrap server without a port',
    doc: pipeline({ kafka: { bootstrapServers: ['kafka:notaport'] } }),
    path: 'spec.kafka.bootstrapServers[0]',
    message: /match/,
  },
];
