// MobileForgeSyncPipeline v1alpha1: the one source of truth for the API. The TypeScript types
// are derived from this schema (Static<>), and crds/ is generated from it
// (`npm run generate`; a test fails when the committed YAML is stale).
//
// Schema defaults are deliberately absent: a default the API server writes into the spec
// shows up as drift in Argo CD. Defaults are applied once by the model (values in
// operator/model/defaults.ts, applied in operator/model/resolve.ts) and stated in each
// field's description; computed values go to status.
import { Type, type Static } from '@sinclair/typebox';
import type { V1Affinity, V1EnvVar, V1Toleration, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import { ALL_CONSUMERS, CONSUMER_LAYOUTS, KAFKA_NAME_PATTERN, REGIONS, SOURCES, TOPIC_FACTS, TOPICS } from '../../core/domain.js';
import { BROKER_ADDRESS_PATTERN } from '../../core/config.js';
import { TIME_ZONES } from './time-zones.js';
import { OPERATOR_ENV } from './operator-env.js';
import { Opaque, OpaqueList, optionalKeys, Quantity, StringEnum, StringMap } from './schema-helpers.js';

export const GROUP = 'mobileforge.credeau.com';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'MobileForgeSyncPipeline';
export const PLURAL = 'syncpipelines';
export const SINGULAR = 'syncpipeline';
export const SHORT_NAMES = ['mfsp'];
export const CATEGORIES = ['mobileforge'];

export const ENVIRONMENTS = ['dev', 'uat', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
const TOPIC_MODES = ['strimzi', 'admin', 'unmanaged'] as const;
export type TopicMode = (typeof TOPIC_MODES)[number];
const AUTOSCALING_ENGINES = ['keda', 'hpa', 'none'] as const;
const MIGRATION_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
const REWIND_PHASES = ['Rewinding', 'Completed', 'Failed'] as const;
export type AutoscalingEngine = (typeof AUTOSCALING_ENGINES)[number];

const DNS_NAME_MAX = 253;

/** Highest replica count a spec may state. */
export const MAX_REPLICAS = 1000;
/**
 * Highest DAU a spec may state. Above 100K the calibrated capacity model sizes the components
 * (docs/api.md#the-dau-ladder), far below MAX_REPLICAS here; the bound stays where linear
 * extrapolation of the ladder used to reach MAX_REPLICAS, so specs valid before stay valid and a
 * DAU with an extra digit is still refused.
 */
export const MAX_DAU = 6_250_000;
/**
 * Largest DAU whose plan starts at a single Kafka broker (the ladder's 25K rung plans 1-2):
 * there a replication factor of 3 could not even be created, so the default is 1
 * (defaultReplicationFactor, operator/model/defaults.ts; the minInSync rule below says the same).
 */
export const SINGLE_BROKER_MAX_DAU = 25_000;
/** Largest resource quantities a pod may ask for: no node this runs on is larger. */
const MAX_CPU = '256';
const MAX_MEMORY = '2Ti';

/**
 * Image references (github.com/distribution/reference): a repository is an optional registry
 * host[:port] then lowercase path components; a tag is a word of at most 128 characters.
 * RE2 syntax, also valid as JavaScript RegExps.
 */
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const IMAGE_REPOSITORY_PATTERN = `^(?:${DOMAIN_COMPONENT}(?:[.]${DOMAIN_COMPONENT})*(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`;
const IMAGE_TAG_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';
/** What Kubernetes' CronJob accepts (five fields or a descriptor), by shape. */
const CRON_PATTERN = '^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9*/,-]+ +[0-9*/,-]+ +[0-9*/,?-]+ +[0-9A-Za-z*/,-]+ +[0-9A-Za-z*/,?-]+)$';

/**
 * Messages of the admission rules (CEL), shared with the offline validator
 * (operator/api/validate.ts) so `mobileforge render` and the API server say the same thing.
 */
export const RULE_MESSAGES = {
  minLeMax: 'minReplicas must be less than or equal to maxReplicas',
  partitionsNeverDecrease: 'partitions can never decrease: Kafka cannot remove partitions from a topic',
  indiaSources: 'region india must not enable contacts or call_logs',
  indiaTopics: 'region india has no contacts_batched or call_logs_batched topics to configure',
  credentialEnv: 'credential-like variables (PASSWORD, SECRET, TOKEN, CREDENTIAL) must use valueFrom.secretKeyRef, not an inline value',
  strimziCluster: 'strimziClusterName is required when mode is strimzi',
  deleteUnmanaged: 'deleteTopicsOnDeletion cannot apply to unmanaged topics',
  mongoTarget: 'give exactly one of mongodb.host or mongodb.uriSecretRef',
  mongoPool: 'minPoolSize must be less than or equal to maxPoolSize',
  caSource: 'give exactly one of secretRef or configMapRef for the CA bundle',
  ingressHost: 'ingress.host is required when the ingress is enabled',
  nameLength: 'metadata.name must be at most 36 characters, so that every child name fits in 63',
  partitionsBelowConsumers: "partitions must be at least the consuming deployment's maxReplicas: a consumer beyond the partition count would sit idle",
  cpuBound: 'CPU quantities must be at most 256 (cores): no node this runs on is larger',
  memoryBound: 'memory quantities must be at most 2Ti: no node this runs on is larger',
  requestLeLimit: 'each resource request must be less than or equal to its limit',
  cronSchedule: 'schedule must be a cron expression: five fields (minute hour day-of-month month day-of-week) or @yearly, @monthly, @weekly, @daily or @hourly',
  timeZone: 'timeZone must be an IANA time zone name, e.g. Asia/Kolkata or UTC',
  topicPrefixImmutable: 'topicPrefix cannot change: records still in the current topics would never be consumed; create a new pipeline instead',
  groupPrefixImmutable: 'consumerGroupPrefix cannot change: the new groups would read every topic again from the beginning; create a new pipeline instead',
  singleOverrides: 'consumers.sms, consumers.events and consumers.common size the split layout: with layout single, size its one consumer under consumers.all',
  splitOverrides: 'consumers.all sizes the single layout: set consumers.layout to single, or size consumers.sms, consumers.events and consumers.common',
  minInSync: 'minInSyncReplicas must not exceed the replication factor (by default 3; 1 in dev and up to 25000 DAU)',
  /** Said when the per-variable message (operatorEnvRule's messageExpression) cannot be built. */
  operatorEnv: 'the operator sets this variable from the pipeline spec: set the spec field instead of an env entry (docs/api-reference.md lists them)',
} as const;
/** Env names that look like credentials; RE2 syntax, also valid as a JavaScript RegExp. */
const CREDENTIAL_ENV_PATTERN = 'PASSWORD|SECRET|TOKEN|CREDENTIAL';

const SecretKeyRef = (what: string, defaultKey: string) =>
  Type.Object(
    {
      name: Type.String({ description: `Name of the Secret, in the pipeline's namespace, that holds ${what}.`, minLength: 1, maxLength: DNS_NAME_MAX }),
      key: Type.Optional(Type.String({ description: `Key within the Secret. Defaults to "${defaultKey}".`, minLength: 1, maxLength: DNS_NAME_MAX })),
    },
    { description: `Reference to a Secret key holding ${what}. Secrets are never written inline.` },
  );

/**
 * A CA bundle (PEM) from a Secret or a ConfigMap: a public bundle such as Amazon RDS's or
 * DocumentDB's needs no secrecy and fits a ConfigMap. Mounted read-only into the pods, and
 * trusted in addition to the system's CAs (core/config.ts), never in their place.
 */
const CaBundleRef = (server: string, example: string) =>
  Type.Object(
    {
      secretRef: Type.Optional(SecretKeyRef(`the CA bundle (PEM) that signed ${server}'s certificate`, 'ca.crt')),
      configMapRef: Type.Optional(
        Type.Object(
          {
            name: Type.String({
              description: "Name of the ConfigMap, in the pipeline's namespace, that holds the CA bundle.",
              minLength: 1,
              maxLength: DNS_NAME_MAX,
            }),
            key: Type.Optional(Type.String({ description: 'Key within the ConfigMap. Defaults to "ca.crt".', minLength: 1, maxLength: DNS_NAME_MAX })),
          },
          { description: 'Reference to a ConfigMap key holding the CA bundle (PEM).' },
        ),
      ),
    },
    {
      description: `CA bundle (PEM) that signed ${server}'s certificate (${example}), trusted in addition to the system's CAs: exactly one of secretRef or configMapRef. Mounted read-only.`,
      'x-kubernetes-validations': [{ rule: 'has(self.secretRef) != has(self.configMapRef)', message: RULE_MESSAGES.caSource }],
    },
  );

const CredentialsSecretRef = (what: string) =>
  Type.Object(
    {
      name: Type.String({
        description: `Name of the Secret, in the pipeline's namespace, with the ${what} credentials.`,
        minLength: 1,
        maxLength: DNS_NAME_MAX,
      }),
      usernameKey: Type.Optional(Type.String({ description: 'Key holding the user name. Defaults to "username".', minLength: 1, maxLength: DNS_NAME_MAX })),
      passwordKey: Type.Optional(Type.String({ description: 'Key holding the password. Defaults to "password".', minLength: 1, maxLength: DNS_NAME_MAX })),
    },
    { description: `Secret with the ${what} user name and password. Credentials are accepted only as Secret references.` },
  );

/** A CEL string literal (double-quoted; JSON's escapes are CEL's). */
const celString = (s: string): string => JSON.stringify(s);

/**
 * A pipeline's env may not name a variable the operator sets (core/env-contract.ts): refused per
 * entry, the message naming the spec field to set instead. One rule over the contract's names,
 * its message looked up by name, rather than a rule per variable in every component's schema.
 */
const operatorEnvRule = {
  rule: `!(self.name in [${OPERATOR_ENV.map((v) => celString(v.name)).join(', ')}])`,
  messageExpression: `{${OPERATOR_ENV.map((v) => `${celString(v.name)}: ${celString(v.message)}`).join(', ')}}[self.name]`,
  message: RULE_MESSAGES.operatorEnv,
  fieldPath: '.name',
  reason: 'FieldValueForbidden',
};

const ExtraEnv = Type.Unsafe<V1EnvVar[]>({
  description:
    "Extra environment variables for this component's containers (Kubernetes EnvVar). Not the variables the operator sets from the spec (docs/api-reference.md lists them): set their spec fields instead. A variable whose name looks like a credential (PASSWORD, SECRET, TOKEN, CREDENTIAL) must come from valueFrom, never an inline value.",
  type: 'array',
  maxItems: 64,
  items: {
    type: 'object',
    description: 'One environment variable.',
    'x-kubernetes-validations': [operatorEnvRule],
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 256, description: 'Variable name.' },
      value: { type: 'string', maxLength: 32768, description: 'Literal value. Not allowed for credential-like names.' },
      valueFrom: {
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        description: 'Source of the value: secretKeyRef, configMapKeyRef, fieldRef or resourceFieldRef.',
      },
    },
  },
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['name'],
  'x-kubernetes-validations': [
    {
      rule: `self.all(e, !e.name.upperAscii().matches('${CREDENTIAL_ENV_PATTERN}') || !has(e.value))`,
      message: RULE_MESSAGES.credentialEnv,
    },
  ],
});

/** CEL: the quantity at `path` (int-or-string) below self. */
const quantity = (path: string) => `quantity(string(self.${path}))`;

/** CEL: requests.<resource> and limits.<resource>, where set, are at most `max`. */
function quantityBound(resource: 'cpu' | 'memory', max: string): string {
  return (['requests', 'limits'] as const)
    .map(
      (k) =>
        `(!has(self.${k}) || !has(self.${k}.${resource}) || !isQuantity(string(self.${k}.${resource})) || ${quantity(`${k}.${resource}`)}.compareTo(quantity('${max}')) <= 0)`,
    )
    .join(' && ');
}

const Resources = Type.Object(
  {
    requests: Type.Optional(
      Type.Object(
        { cpu: Type.Optional(Quantity('CPU request, e.g. "500m".')), memory: Type.Optional(Quantity('Memory request, e.g. "1Gi".')) },
        { description: 'Resources the scheduler reserves. Autoscaling utilisation targets are relative to these.' },
      ),
    ),
    limits: Type.Optional(
      Type.Object(
        { cpu: Type.Optional(Quantity('CPU limit.')), memory: Type.Optional(Quantity('Memory limit.')) },
        { description: 'Upper bounds enforced by the kubelet.' },
      ),
    ),
  },
  {
    description: `Container resources. Defaults come from the environment profile (docs/api.md#environment-profiles); a value set here replaces that one value. At most ${MAX_CPU} CPUs and ${MAX_MEMORY} of memory; each request at most its limit.`,
    'x-kubernetes-validations': [
      { rule: quantityBound('cpu', MAX_CPU), message: RULE_MESSAGES.cpuBound },
      { rule: quantityBound('memory', MAX_MEMORY), message: RULE_MESSAGES.memoryBound },
      {
        rule: `!has(self.requests) || !has(self.limits) || (${(['cpu', 'memory'] as const).map((r) => `(!has(self.requests.${r}) || !has(self.limits.${r}) || ${quantity(`requests.${r}`)}.compareTo(${quantity(`limits.${r}`)}) <= 0)`).join(' && ')})`,
        message: RULE_MESSAGES.requestLeLimit,
      },
    ],
  },
);

/**
 * `floor`: what the operator raises both bounds to, said in their descriptions; `spreadNote`:
 * where the default spread differs from the preference every component has.
 */
function componentOverrideFields(component: string, floor = '', spreadNote = '') {
  return {
    minReplicas: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_REPLICAS,
        description: `Lowest replica count for the ${component}. Defaults to the sizing model's minimum for the DAU (the larger of the ladder's and the calibrated need for the average load).${floor}`,
      }),
    ),
    maxReplicas: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_REPLICAS,
        description: `Highest replica count for the ${component}. Defaults to the sizing model's maximum for the DAU (the larger of the ladder's and the calibrated need for the peak).${floor}`,
      }),
    ),
    resources: Type.Optional(Resources),
    nodeSelector: Type.Optional(StringMap({ description: `Node labels the ${component} pods must run on.` })),
    tolerations: Type.Optional(OpaqueList<V1Toleration>(`Tolerations for the ${component} pods (Kubernetes Toleration).`, 32)),
    affinity: Type.Optional(Opaque<V1Affinity>(`Affinity rules for the ${component} pods (Kubernetes Affinity).`)),
    topologySpreadConstraints: Type.Optional(
      OpaqueList<V1TopologySpreadConstraint>(
        `Topology spread constraints for the ${component} pods. Defaults to spreading across zones and nodes (ScheduleAnyway)${spreadNote}; an explicit list replaces the default.`,
        8,
      ),
    ),
    env: Type.Optional(ExtraEnv),
    podAnnotations: Type.Optional(StringMap({ description: `Annotations added to the ${component} pods.` })),
    podLabels: Type.Optional(
      StringMap({ description: `Labels added to the ${component} pods (the app.kubernetes.io labels are always set by the operator).` }),
    ),
  };
}

const minLeMax = [
  {
    rule: '!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas',
    message: RULE_MESSAGES.minLeMax,
  },
];

const ComponentSchema = Type.Object(componentOverrideFields('component'), {
  description:
    'Optional overrides for one consumer deployment; anything unset comes from the sizing model (DAU ladder and calibrated need) and the environment profile.',
  'x-kubernetes-validations': minLeMax,
});

/** The largest rate or burst a limit may name: far above what one client of one pipeline sends. */
const RATE_LIMIT_MAX = 100_000;

const rateFields = {
  requestsPerSecond: Type.Integer({
    minimum: 1,
    maximum: RATE_LIMIT_MAX,
    description: 'Sync requests per second one client id may make to the whole pipeline, on average.',
  }),
  burst: Type.Integer({
    minimum: 1,
    maximum: RATE_LIMIT_MAX,
    description: 'Requests one client id may make at once above its rate (the token bucket size).',
  }),
};

const RateLimitSchema = Type.Object(
  {
    ...rateFields,
    overrides: Type.Optional(
      Type.Array(
        Type.Object(
          {
            clientId: Type.String({ minLength: 1, maxLength: 72, description: 'The client id (X-Client-Id, the clients row) this limit is for.' }),
            ...rateFields,
          },
          { description: "One client's own limit, in place of the pipeline's." },
        ),
        {
          maxItems: 100,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['clientId'],
          description: 'Per-client limits in place of requestsPerSecond and burst, one entry per client id. Defaults to none.',
        },
      ),
    ),
  },
  {
    description:
      "Per-client rate limit of sync requests, a token bucket per client id applied after authentication; a refused request is answered 429 with Retry-After. Each replica enforces its share, the limit divided by the Producer API's minReplicas (docs/producer.md). Defaults to no limit.",
  },
);

const ProducerSchema = Type.Object(
  {
    ...componentOverrideFields(
      'Producer API',
      ' In production at least 2: a lower value is raised to 2 (the Adjusted condition says so), so that a node drain never stops ingestion.',
      ', in production across nodes as a rule (DoNotSchedule, tainted and cordoned nodes not counted), so that one node never carries every replica',
    ),
    service: Type.Optional(
      Type.Object(
        {
          type: Type.Optional(
            StringEnum(['ClusterIP', 'LoadBalancer', 'NodePort'] as const, {
              description: 'Service type exposing the Producer API. Defaults to ClusterIP; the seed recommends a LoadBalancer in production.',
            }),
          ),
          port: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 65535, description: 'Service port. Defaults to 8000, the port the Producer API listens on.' }),
          ),
          annotations: Type.Optional(StringMap({ description: 'Annotations for the Service, e.g. for a cloud load balancer.' })),
        },
        { description: 'How the Producer API Service is exposed.' },
      ),
    ),
    rateLimit: Type.Optional(RateLimitSchema),
    ingress: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean({ description: 'Create an Ingress for the Producer API.' }),
          className: Type.Optional(Type.String({ maxLength: DNS_NAME_MAX, description: 'IngressClass name. Defaults to the cluster default class.' })),
          host: Type.Optional(Type.String({ maxLength: DNS_NAME_MAX, description: 'Public host name of the Producer API. Required when enabled.' })),
          tlsSecretName: Type.Optional(
            Type.String({ maxLength: DNS_NAME_MAX, description: 'Secret with the TLS certificate for host. The SDK requires HTTPS in production.' }),
          ),
          annotations: Type.Optional(StringMap({ description: 'Annotations for the Ingress.' })),
        },
        {
          description: 'Optional Ingress in front of the Producer API Service.',
          'x-kubernetes-validations': [
            { rule: '!self.enabled || has(self.host)', message: RULE_MESSAGES.ingressHost, fieldPath: '.host', reason: 'FieldValueRequired' },
          ],
        },
      ),
    ),
  },
  { description: 'The Producer API: the public HTTP endpoint the SDK syncs to (port 8000).', 'x-kubernetes-validations': minLeMax },
);

const TopicOverride = Type.Object(
  {
    partitions: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10000,
        description:
          "Partition count. Defaults to the larger of the seed value and the consuming deployment's maxReplicas. Never below that deployment's maxReplicas: refused when maxReplicas is set explicitly, raised to the sizing model's maximum otherwise (status.topics shows the count in effect). Can only grow.",
      }),
    ),
    config: Type.Optional(StringMap({ description: 'Kafka topic configuration, e.g. {"retention.ms": "604800000"}.' })),
  },
  {
    description: 'Overrides for one topic.',
    'x-kubernetes-validations': [
      {
        rule: '!has(oldSelf.partitions) || (has(self.partitions) && self.partitions >= oldSelf.partitions)',
        message: RULE_MESSAGES.partitionsNeverDecrease,
        fieldPath: '.partitions',
      },
    ],
  },
);

const topicOverrideProps = optionalKeys(TOPICS, () => TopicOverride);

const KafkaSchema = Type.Object(
  {
    bootstrapServers: Type.Array(Type.String({ minLength: 1, maxLength: 512, pattern: BROKER_ADDRESS_PATTERN, description: 'host:port of a broker.' }), {
      minItems: 1,
      maxItems: 32,
      description: 'Kafka bootstrap servers (host:port). Becomes DI_KAFKA_BROKER_ENDPOINT.',
    }),
    topicPrefix: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: KAFKA_NAME_PATTERN,
        description:
          'Prepended to every topic name (e.g. "uat." gives uat.sms_batched and uat.sms_batched.dlq), so that several pipelines can share one Kafka cluster. Unset: the seed\'s names. Cannot change once set.',
      }),
    ),
    consumerGroupPrefix: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: KAFKA_NAME_PATTERN,
        description: 'Prepended to every consumer group name (e.g. uat.sms-consumer-group). Defaults to topicPrefix. Cannot change once set.',
      }),
    ),
    topicManagement: Type.Optional(
      Type.Object(
        {
          mode: StringEnum(TOPIC_MODES, {
            description:
              'Who creates the topics: "strimzi" (KafkaTopic resources for a Strimzi-managed cluster), "admin" (the operator uses the Kafka admin API), or "unmanaged" (you create them).',
          }),
          strimziClusterName: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 63,
              description: 'Name of the Strimzi Kafka cluster (the strimzi.io/cluster label). Required in strimzi mode.',
            }),
          ),
          deleteTopicsOnDeletion: Type.Optional(
            Type.Boolean({
              description:
                'admin and strimzi modes: delete the topics (and their data) when the pipeline is deleted. Defaults to false: topics and data outlive the pipeline.',
            }),
          ),
        },
        {
          description: 'Topic management. Defaults to mode "admin".',
          'x-kubernetes-validations': [
            {
              rule: "self.mode != 'strimzi' || has(self.strimziClusterName)",
              message: RULE_MESSAGES.strimziCluster,
              fieldPath: '.strimziClusterName',
              reason: 'FieldValueRequired',
            },
            {
              rule: "self.mode != 'unmanaged' || !has(self.deleteTopicsOnDeletion) || !self.deleteTopicsOnDeletion",
              message: RULE_MESSAGES.deleteUnmanaged,
              fieldPath: '.deleteTopicsOnDeletion',
              reason: 'FieldValueForbidden',
            },
          ],
        },
      ),
    ),
    replicationFactor: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 32, description: 'Replication factor of every topic. Defaults to 3, or 1 in the dev environment.' }),
    ),
    minInSyncReplicas: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 32,
        description: 'min.insync.replicas of every topic. Defaults to 2 when the replication factor is 3 or more, else 1. At most the replication factor.',
      }),
    ),
    topics: Type.Optional(Type.Object(topicOverrideProps, { description: 'Per-topic overrides, keyed by topic name.' })),
    tls: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean({ description: 'Connect to Kafka over TLS.' }),
          caSecretRef: Type.Optional(SecretKeyRef("the CA certificate (PEM) that signed the brokers' certificates", 'ca.crt')),
        },
        {
          description:
            "TLS to the brokers. A CA from caSecretRef is trusted in addition to the system's CAs (mounted read-only); without one, the system's CAs alone.",
        },
      ),
    ),
    sasl: Type.Optional(
      Type.Object(
        {
          mechanism: StringEnum(['plain', 'scram-sha-256', 'scram-sha-512'] as const, { description: 'SASL mechanism.' }),
          credentialsSecretRef: CredentialsSecretRef('Kafka SASL'),
        },
        { description: 'SASL authentication to the brokers.' },
      ),
    ),
  },
  {
    description: 'The Kafka cluster the pipeline uses.',
    'x-kubernetes-validations': [
      {
        rule: "(has(self.topicPrefix) ? self.topicPrefix : '') == (has(oldSelf.topicPrefix) ? oldSelf.topicPrefix : '')",
        message: RULE_MESSAGES.topicPrefixImmutable,
        fieldPath: '.topicPrefix',
      },
      {
        rule: "(has(self.consumerGroupPrefix) ? self.consumerGroupPrefix : '') == (has(oldSelf.consumerGroupPrefix) ? oldSelf.consumerGroupPrefix : '')",
        message: RULE_MESSAGES.groupPrefixImmutable,
        fieldPath: '.consumerGroupPrefix',
      },
    ],
  },
);

const PostgresSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: DNS_NAME_MAX, description: 'PostgreSQL host. Becomes DI_POSTGRES_HOST.' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'PostgreSQL port. Defaults to 5432.' })),
    database: Type.Optional(
      Type.String({ minLength: 1, maxLength: 63, description: 'Insights database (clients, usage, unauthorized_requests). Defaults to "api_insights_db".' }),
    ),
    syncDatabase: Type.Optional(
      Type.String({ minLength: 1, maxLength: 63, description: 'Sync database (sync_events_log, sync status). Defaults to "sync_db".' }),
    ),
    credentialsSecretRef: CredentialsSecretRef('PostgreSQL'),
    sslMode: Type.Optional(
      StringEnum(['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const, {
        description:
          'libpq sslmode. Defaults to "verify-full" in production (TLS, certificate and host name checked), "prefer" elsewhere. "prefer" runs without TLS (the client has no opportunistic mode).',
      }),
    ),
    ca: Type.Optional(CaBundleRef('the PostgreSQL server', "on Amazon RDS: AWS's global RDS bundle, global-bundle.pem")),
  },
  { description: 'The PostgreSQL server holding the insights and sync databases.' },
);

const MongoSchema = Type.Object(
  {
    host: Type.Optional(Type.String({ minLength: 1, maxLength: DNS_NAME_MAX, description: 'MongoDB host. Give either host (with port) or uriSecretRef.' })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'MongoDB port. Defaults to 27017.' })),
    uriSecretRef: Type.Optional(SecretKeyRef('a full MongoDB connection string (for replica sets, DocumentDB, SRV records)', 'uri')),
    database: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'Database. Defaults to "sync_db".' })),
    credentialsSecretRef: Type.Optional(CredentialsSecretRef('MongoDB')),
    enabledSources: Type.Optional(
      Type.Array(StringEnum(['*', ...SOURCES] as const, { description: 'A source, or "*" for all.' }), {
        maxItems: 6,
        description: 'Sources written to MongoDB (DI_MONGODB_ENABLED_SOURCES). Defaults to ["*"]: every source the region collects.',
      }),
    ),
    maxPoolSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, description: 'DI_MONGODB_MAX_POOL_SIZE. Defaults to 100.' })),
    minPoolSize: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000, description: 'DI_MONGODB_MIN_POOL_SIZE. Defaults to 10.' })),
    serverSelectionTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'DI_MONGODB_SERVER_SELECTION_TIMEOUT_MS. Defaults to 15000.' })),
    connectTimeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'DI_MONGODB_CONNECT_TIMEOUT_MS. Defaults to 10000.' })),
    socketTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, description: 'DI_MONGODB_SOCKET_TIMEOUT_MS. Defaults to 10000.' })),
    retryWrites: Type.Optional(Type.Boolean({ description: 'DI_MONGODB_RETRY_WRITES. Defaults to true (set false for AWS DocumentDB).' })),
    waitQueueTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, description: 'DI_MONGODB_WAIT_QUEUE_TIMEOUT_MS. Defaults to 2000.' })),
    tls: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean({ description: 'TLS to MongoDB (DI_MONGODB_TLS). Defaults to true when a CA is given, else false.' })),
          ca: Type.Optional(CaBundleRef('the MongoDB server', "on Amazon DocumentDB: AWS's global RDS bundle, global-bundle.pem")),
        },
        { description: 'TLS to MongoDB or DocumentDB. A connection string from uriSecretRef may also carry tls=true.' },
      ),
    ),
  },
  {
    description: 'The MongoDB (or DocumentDB) server the consumers write device, SMS, contacts and call-log data to.',
    'x-kubernetes-validations': [
      { rule: 'has(self.host) != has(self.uriSecretRef)', message: RULE_MESSAGES.mongoTarget },
      { rule: '!has(self.minPoolSize) || !has(self.maxPoolSize) || self.minPoolSize <= self.maxPoolSize', message: RULE_MESSAGES.mongoPool },
    ],
  },
);

const lagProps = optionalKeys(TOPICS, (t) => Type.Integer({ minimum: 1, description: `Target lag (messages) per consumer replica on ${t}.` }));

const AutoscalingSchema = Type.Object(
  {
    engine: Type.Optional(
      StringEnum(AUTOSCALING_ENGINES, {
        description:
          'keda: HPA for the Producer API, KEDA ScaledObjects (Kafka lag + CPU) for consumers; hpa: HPAs on CPU everywhere; none: fixed replicas at minReplicas. Defaults to keda; falls back to hpa when KEDA is not installed.',
      }),
    ),
    cpuTargetUtilization: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description: 'Target CPU utilisation, % of the request. Defaults to 70 (one workload process uses at most one core).',
      }),
    ),
    memoryTargetUtilization: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description:
          'Target memory utilisation, % of the request. Unset by default: the autoscalers then scale on CPU (and lag) only, since a Node process keeps the heap it grew to after a burst and a memory target would hold replicas long after the load.',
      }),
    ),
    lagThresholds: Type.Optional(
      Type.Object(lagProps, { description: 'KEDA lag thresholds per topic. Defaults: sms_batched 100, events_log 500, the others 100.' }),
    ),
    pollingIntervalSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: 'KEDA polling interval. Defaults to 30.' })),
    cooldownPeriodSeconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 86400, description: 'KEDA cooldown before scaling to minimum. Defaults to 300.' }),
    ),
    scaleDownStabilizationSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 3600,
        description:
          'How long the autoscaler (each HPA, and the HPA KEDA manages) keeps the highest recommendation of the recent past before scaling down, so that a short dip does not remove replicas. Defaults to 300.',
      }),
    ),
  },
  { description: 'Autoscaling of the Producer API and the consumers.' },
);

const MonitoringSchema = Type.Object(
  {
    podMonitor: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean({ description: 'Create a PodMonitor (Prometheus Operator) that scrapes /metrics of the Producer API and consumer pods.' }),
          interval: Type.Optional(Type.String({ pattern: '^[0-9]+(ms|s|m|h)$', maxLength: 16, description: 'Scrape interval, e.g. "30s". Defaults to 30s.' })),
          labels: Type.Optional(
            StringMap({ description: 'Labels on the PodMonitor, e.g. release: kube-prometheus-stack, so that your Prometheus selects it.' }),
          ),
        },
        {
          description: 'A PodMonitor for the workloads. Needs the Prometheus Operator (monitoring.coreos.com/v1); without it the Monitoring condition says so.',
        },
      ),
    ),
  },
  { description: 'Metrics collection for the workloads.' },
);

export const DEFAULT_MAINTENANCE_SCHEDULE = '15 0 * * *';

const MaintenanceSchema = Type.Object(
  {
    schedule: Type.Optional(
      Type.String({
        minLength: 9,
        maxLength: 128,
        description: `Cron schedule of the partition maintenance CronJob: five fields (minute hour day-of-month month day-of-week) or a descriptor such as @daily. Defaults to "${DEFAULT_MAINTENANCE_SCHEDULE}" (daily at 00:15 in timeZone).`,
        'x-kubernetes-validations': [{ rule: `self.matches('${CRON_PATTERN}')`, message: RULE_MESSAGES.cronSchedule }],
      }),
    ),
    timeZone: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'IANA time zone of the schedule, e.g. "Asia/Kolkata". Defaults to the kube-controller-manager\'s (usually UTC).',
        'x-kubernetes-validations': [{ rule: `self in [${TIME_ZONES.map((z) => `'${z}'`).join(', ')}]`, message: RULE_MESSAGES.timeZone }],
      }),
    ),
    suspend: Type.Optional(Type.Boolean({ description: 'Suspend the partition maintenance CronJob (the schema migration still runs).' })),
    partitionDaysAhead: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 365,
        description: 'Daily partitions created ahead of today by the migration and the maintenance job. Defaults to 10.',
      }),
    ),
    partitionRetentionDays: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 3650,
        description: 'Daily partitions older than this many days are dropped by the maintenance job. Defaults to 90.',
      }),
    ),
    resources: Type.Optional(Resources),
    nodeSelector: Type.Optional(StringMap({ description: 'Node labels the migration and maintenance pods must run on.' })),
    tolerations: Type.Optional(OpaqueList<V1Toleration>('Tolerations for the migration and maintenance pods (Kubernetes Toleration).', 32)),
    podAnnotations: Type.Optional(StringMap({ description: 'Annotations added to the migration and maintenance pods.' })),
  },
  {
    description:
      'The schema migration Job (run before any workload rolls out, again whenever the image or database settings change) and the daily partition maintenance CronJob, both from the workload image.',
  },
);

const consumerProps = {
  layout: Type.Optional(
    StringEnum(CONSUMER_LAYOUTS, {
      description:
        'split (the default): one consumer group and Deployment each for sms, events and common. single: one consumer group and Deployment over every topic, for environments too small to keep three busy. Switching stops the old consumers, starts the new groups from their committed offsets, then starts the new consumers.',
    }),
  ),
  ...optionalKeys(ALL_CONSUMERS, () => ComponentSchema),
};

export const SpecSchema = Type.Object(
  {
    dau: Type.Integer({
      minimum: 1,
      maximum: MAX_DAU,
      description: `Daily active users of the SDK. Sizes replicas, partitions and brokers through the DAU ladder and the calibrated capacity model (docs/api.md#the-dau-ladder). At most ${MAX_DAU}.`,
    }),
    environment: StringEnum(ENVIRONMENTS, { description: 'dev, uat or production: picks pod resources (node specs) and the default replication factor.' }),
    region: StringEnum(REGIONS, {
      description: 'Where the users are. "india" never collects contacts or call logs: their topics, triggers and consumers are not created.',
    }),
    paused: Type.Optional(
      Type.Boolean({
        description: 'Stop reconciling: the operator writes nothing until unpaused. The annotation mobileforge.credeau.com/paused: "true" does the same.',
      }),
    ),
    image: Type.Object(
      {
        repository: Type.String({
          minLength: 1,
          maxLength: 512,
          pattern: IMAGE_REPOSITORY_PATTERN,
          description: 'Workload image repository (runs producer, consumer, migrate and partitions): [registry[:port]/]lowercase/path.',
        }),
        tag: Type.String({
          minLength: 1,
          maxLength: 128,
          pattern: IMAGE_TAG_PATTERN,
          description: 'Image tag: letters, digits, _ . - (not starting with . or -).',
        }),
        pullPolicy: Type.Optional(StringEnum(['Always', 'IfNotPresent', 'Never'] as const, { description: 'Image pull policy. Defaults to IfNotPresent.' })),
        pullSecrets: Type.Optional(
          Type.Array(Type.String({ minLength: 1, maxLength: DNS_NAME_MAX }), {
            maxItems: 8,
            description: "Names of image pull Secrets in the pipeline's namespace.",
          }),
        ),
      },
      { description: 'The workload image.' },
    ),
    kafka: KafkaSchema,
    postgres: PostgresSchema,
    mongodb: MongoSchema,
    producer: Type.Optional(ProducerSchema),
    consumers: Type.Optional(
      Type.Object(consumerProps, {
        description:
          'The consumer layout, and overrides per consumer: split has sms (sms_batched), events (events_log) and common (apps, contacts, call logs); single has all (every topic).',
        'x-kubernetes-validations': [
          {
            rule: "!has(self.layout) || self.layout != 'single' || (!has(self.sms) && !has(self.events) && !has(self.common))",
            message: RULE_MESSAGES.singleOverrides,
          },
          { rule: "(has(self.layout) && self.layout == 'single') || !has(self.all)", message: RULE_MESSAGES.splitOverrides, fieldPath: '.all' },
        ],
      }),
    ),
    autoscaling: Type.Optional(AutoscalingSchema),
    maintenance: Type.Optional(MaintenanceSchema),
    monitoring: Type.Optional(MonitoringSchema),
  },
  {
    description: 'Desired state of a MobileForge sync pipeline.',
    'x-kubernetes-validations': [
      {
        rule: "self.region != 'india' || !has(self.mongodb.enabledSources) || !self.mongodb.enabledSources.exists(s, s == 'contacts' || s == 'call_logs')",
        message: RULE_MESSAGES.indiaSources,
        fieldPath: '.mongodb.enabledSources',
        reason: 'FieldValueForbidden',
      },
      {
        rule: "self.region != 'india' || !has(self.kafka.topics) || (!has(self.kafka.topics.contacts_batched) && !has(self.kafka.topics.call_logs_batched))",
        message: RULE_MESSAGES.indiaTopics,
        fieldPath: '.kafka.topics',
        reason: 'FieldValueForbidden',
      },
      ...TOPICS.map((t) => {
        const c = TOPIC_FACTS[t].consumer;
        return {
          rule: `!has(self.kafka.topics) || !has(self.kafka.topics.${t}) || !has(self.kafka.topics.${t}.partitions) || !has(self.consumers) || !has(self.consumers.${c}) || !has(self.consumers.${c}.maxReplicas) || self.kafka.topics.${t}.partitions >= self.consumers.${c}.maxReplicas`,
          message: RULE_MESSAGES.partitionsBelowConsumers,
          fieldPath: `.kafka.topics.${t}.partitions`,
        };
      }),
      {
        rule: `!has(self.kafka.minInSyncReplicas) || self.kafka.minInSyncReplicas <= (has(self.kafka.replicationFactor) ? self.kafka.replicationFactor : (self.environment == 'dev' || self.dau <= ${SINGLE_BROKER_MAX_DAU} ? 1 : 3))`,
        message: RULE_MESSAGES.minInSync,
        fieldPath: '.kafka.minInSyncReplicas',
      },
    ],
  },
);

const ConditionSchema = Type.Object(
  {
    type: Type.String({
      maxLength: 316,
      description:
        'Condition type: Ready, Reconciling, Paused, Producer, SmsConsumer, EventsConsumer, CommonConsumer (split layout) or AllConsumer (single layout), Topics, Autoscaling, Migration, PartitionMaintenance, Monitoring, Lagging, OverProvisioned, Adjusted, Stalled.',
    }),
    status: StringEnum(['True', 'False', 'Unknown'] as const, { description: 'True, False or Unknown.' }),
    observedGeneration: Type.Optional(Type.Integer({ minimum: 0, description: 'The generation this condition was computed for.' })),
    lastTransitionTime: Type.String({ format: 'date-time', description: 'When status last changed.' }),
    reason: Type.String({ maxLength: 1024, description: 'CamelCase reason.' }),
    message: Type.String({ maxLength: 32768, description: 'Human-readable detail.' }),
  },
  { description: 'A metav1.Condition.' },
);

const ReplicaStatus = Type.Object(
  {
    ready: Type.Integer({ minimum: 0, description: 'Ready replicas.' }),
    desired: Type.Integer({ minimum: 0, description: 'Replicas wanted right now (by the autoscaler or the spec).' }),
    min: Type.Integer({ minimum: 0, description: 'Effective minimum replicas.' }),
    max: Type.Integer({ minimum: 0, description: 'Effective maximum replicas.' }),
  },
  { description: 'Replica counts of one component.' },
);

export const StatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer({ minimum: 0, description: 'The spec generation the status describes.' })),
    tier: Type.Optional(
      Type.String({
        description: 'DAU ladder rung the pipeline is sized for, e.g. "100k", or above the ladder the DAU rounded up to 25K, e.g. "1m (above the ladder)".',
      }),
    ),
    calibration: Type.Optional(
      Type.String({ description: 'Version of the calibrated per-replica capacity figures the replica ranges were sized with (docs/api.md#the-dau-ladder).' }),
    ),
    producers: Type.Optional(Type.String({ description: 'Producer API pods ready/desired, e.g. "3/4".' })),
    consumers: Type.Optional(Type.String({ description: 'Consumer pods ready/desired, all groups together.' })),
    consumerLayout: Type.Optional(
      StringEnum(CONSUMER_LAYOUTS, {
        description:
          "The consumer layout whose groups hold the pipeline's committed offsets: the spec's once a switch of layout has handed them over to the new groups, the previous one until then.",
      }),
    ),
    autoscalingEngine: Type.Optional(Type.String({ description: 'Autoscaling engine in effect (keda, hpa or none), after capability fallback.' })),
    components: Type.Optional(
      Type.Object(
        {
          producer: Type.Optional(ReplicaStatus),
          sms: Type.Optional(ReplicaStatus),
          events: Type.Optional(ReplicaStatus),
          common: Type.Optional(ReplicaStatus),
          all: Type.Optional(ReplicaStatus),
        },
        { description: 'Replica counts per component.' },
      ),
    ),
    flow: Type.Optional(
      Type.Object(
        {
          lag: Type.Integer({ minimum: 0, description: 'Records the consumer groups have not committed yet, all together (the LAG column).' }),
          recordsPerMinute: Type.Optional(
            Type.Integer({ minimum: 0, description: "Records produced to the pipeline's topics per minute, between the last two readings." }),
          ),
          groups: Type.Array(
            Type.Object({
              consumer: Type.String({ description: 'Consumer (sms, events, common; all in the single layout).' }),
              group: Type.String({ description: 'Kafka consumer group.' }),
              lag: Type.Integer({ minimum: 0, description: 'Records behind in this group.' }),
              topics: Type.Array(Type.Object({ name: Type.String(), lag: Type.Integer({ minimum: 0 }) }), { maxItems: 8, description: 'Lag per topic.' }),
            }),
            { maxItems: 8, description: 'Lag per consumer group.' },
          ),
          observedAt: Type.String({ description: 'When the figures were read from Kafka.' }),
        },
        {
          description:
            "Is data flowing: consumer lag and produce rate, read from Kafka's offsets every FLOW_INTERVAL_SECONDS (operator setting, default 30) in every topic mode; changes within 100 records or 10 % are not reported. When Kafka cannot be read the last reading stays and the Lagging condition says why.",
        },
      ),
    ),
    topics: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.String({ description: 'Kafka topic name.' }),
          partitions: Type.Integer({ minimum: 0, description: 'Partitions in effect (never below what the topic already has).' }),
          replicationFactor: Type.Integer({ minimum: 0, description: 'Replication factor.' }),
          ready: Type.Boolean({ description: 'Whether the topic exists with the wanted partitions.' }),
          message: Type.Optional(Type.String({ description: 'Why it is not ready.' })),
        }),
        { maxItems: 16, description: "The pipeline's Kafka topics." },
      ),
    ),
    migration: Type.Optional(
      Type.Object(
        {
          job: Type.String({ description: 'Name of the migration Job for the current image and database settings.' }),
          phase: StringEnum(MIGRATION_PHASES, { description: 'Pending (Job not started), Running, Succeeded or Failed.' }),
          startTime: Type.Optional(Type.String({ description: 'When the Job started.' })),
          completionTime: Type.Optional(Type.String({ description: 'When the Job succeeded.' })),
          message: Type.Optional(Type.String({ description: 'Why it failed, or what it waits for.' })),
        },
        { description: 'The schema migration gating workload rollouts.' },
      ),
    ),
    rewind: Type.Optional(
      Type.Object(
        {
          request: Type.String({ maxLength: 1024, description: 'The mobileforge.credeau.com/rewind annotation value this describes.' }),
          consumer: Type.Optional(Type.String({ description: 'The consumer rewound (sms, events, common; all in the single layout).' })),
          toTime: Type.Optional(Type.String({ description: 'The time its committed offsets go back to.' })),
          phase: StringEnum(REWIND_PHASES, {
            description: 'Rewinding (the consumer is stopped, its offsets not moved yet), Completed or Failed (the request is invalid; nothing was changed).',
          }),
          message: Type.String({ maxLength: 4096, description: 'What was done, what it waits for, or why it was refused.' }),
          completionTime: Type.Optional(Type.String({ description: 'When the offsets were committed.' })),
        },
        {
          description:
            'The last rewind asked for with the mobileforge.credeau.com/rewind annotation (docs/api.md#rewinding-a-consumer). Applying the same annotation value again does nothing.',
        },
      ),
    ),
    partitionMaintenance: Type.Optional(
      Type.Object(
        {
          cronJob: Type.String({ description: 'Name of the partition maintenance CronJob.' }),
          schedule: Type.String({ description: 'Its cron schedule.' }),
          suspended: Type.Boolean({ description: 'Whether the CronJob is suspended.' }),
          active: Type.Integer({ minimum: 0, description: 'Runs in progress.' }),
          lastScheduleTime: Type.Optional(Type.String({ description: 'When a run was last started.' })),
          lastSuccessfulTime: Type.Optional(Type.String({ description: 'When a run last succeeded.' })),
        },
        { description: 'The daily partition maintenance CronJob.' },
      ),
    ),
    conditions: Type.Optional(
      Type.Array(ConditionSchema, {
        maxItems: 32,
        description: 'Current state: Ready summarises; one condition per component.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      }),
    ),
  },
  { description: 'Observed state, written by the operator.' },
);

export type SyncPipelineSpec = Static<typeof SpecSchema>;
export type SyncPipelineStatus = Static<typeof StatusSchema>;
export type ComponentOverrides = Static<typeof ComponentSchema>;
export type Condition = Static<typeof ConditionSchema>;
export type MigrationStatus = NonNullable<SyncPipelineStatus['migration']>;
export type RewindStatus = NonNullable<SyncPipelineStatus['rewind']>;
export type PartitionMaintenanceStatus = NonNullable<SyncPipelineStatus['partitionMaintenance']>;
export type ReplicaCounts = Static<typeof ReplicaStatus>;

interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string | Date;
  resourceVersion?: string;
  deletionTimestamp?: string | Date;
  finalizers?: string[];
}

export interface SyncPipeline {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: SyncPipelineSpec;
  status?: SyncPipelineStatus;
}

/** Longest pipeline name whose child names all stay within 63 characters. */
export const MAX_PIPELINE_NAME = 36;
