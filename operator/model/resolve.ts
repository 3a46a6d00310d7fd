// A pipeline as the operator acts on it: every field the spec leaves out filled in with its
// default (defaults.ts), every consequence of a choice spelt out as data (the topic mode's:
// who manages the topics, whether offsets are read), once. The builders (objects/, kafka/,
// sizing/), status (report/) and the controller read this, never the raw spec's optional
// fields, so a default cannot differ between two readers. Pure and readonly: the same spec
// always resolves to the same value, and `mobileforge render --resolved` prints it.
import type { V1Affinity, V1EnvVar, V1Toleration, V1TopologySpreadConstraint } from '@kubernetes/client-node';
import type { AutoscalingEngine, ComponentOverrides, Environment, SyncPipeline, SyncPipelineSpec, TopicMode } from '../api/v1alpha1.js';
import { PAUSED_ANNOTATION } from '../api/annotations.js';
import {
  ALL_COMPONENTS,
  AUDIT_TOPIC,
  componentsOf,
  TOPIC_FACTS,
  TOPICS,
  type ComponentName,
  type ConsumedTopic,
  type ConsumerLayout,
  type KafkaNaming,
  type Region,
  type TopicName,
} from '../../core/domain.js';
import {
  AUDIT_LAG_THRESHOLD,
  DEFAULT_LAG_THRESHOLDS,
  DEFAULT_SECRET_KEYS,
  DEFAULTS,
  defaultMinInSync,
  defaultReplicationFactor,
  MAINTENANCE_DEFAULTS,
  PRODUCTION_PRODUCER_FLOOR,
} from './defaults.js';
import { selectorLabels } from './naming.js';
import { canonicalQuantity } from './quantity.js';
import { CALIBRATION, type Calibration } from './sizing/capacity.js';
import { sizeFor, type Range, type Sizing } from './sizing/ladder.js';
import { podResourcesFor, type PodResources } from './sizing/profile.js';

/** The part of a spec that sizing depends on: enough for `mobileforge plan`. */
export type SizingSpec = Pick<SyncPipelineSpec, 'dau' | 'environment' | 'region' | 'producer' | 'consumers'> & {
  kafka?: Pick<SyncPipelineSpec['kafka'], 'replicationFactor' | 'minInSyncReplicas' | 'topics' | 'topicPrefix' | 'consumerGroupPrefix'>;
};

/** A Secret (or ConfigMap) and one key in it. */
export interface SecretKey {
  readonly name: string;
  readonly key: string;
}

/** A CA bundle from a Secret or a ConfigMap (the API's CaBundleRef). */
export interface CaBundleSource extends SecretKey {
  readonly kind: 'secret' | 'configMap';
}

/** Where a component's pods run and what they carry besides what the operator sets. */
interface ResolvedPodSettings {
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly V1Toleration[];
  readonly affinity?: V1Affinity;
  /** The spec's list, or the default spread (defaultSpread). */
  readonly topologySpreadConstraints: readonly V1TopologySpreadConstraint[];
  readonly annotations: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** The spec's extra variables, as written (the builder drops those naming one of ours). */
  readonly extraEnv: readonly V1EnvVar[];
}

export interface ComponentSettings {
  /** Replica range: the sizing model's, the spec's bounds over it, the production floor under it. */
  readonly replicas: Range;
  readonly resources: PodResources;
  readonly pod: ResolvedPodSettings;
  /** The spec's overrides as written: what the guard rails and the Adjusted condition speak of. */
  readonly overrides: ComponentOverrides;
}

/**
 * The topic mode's consequences, so that nobody but this module branches on the mode:
 * `managedBy` picks the controller's topic backend, the flags say what the operator may do.
 */
export interface ResolvedTopicManagement {
  /** As stated (or its default), for messages only. */
  readonly mode: TopicMode;
  /** operator: through the Kafka admin API; strimzi: KafkaTopic objects; outside: someone else. */
  readonly managedBy: 'operator' | 'strimzi' | 'outside';
  /**
   * Create missing topics, raise their partitions and delete them on pipeline deletion through
   * the Kafka admin API. Only when the operator manages the topics: a Strimzi topic operator
   * or a team owning the topics would see its work undone.
   */
  readonly manageTopics: boolean;
  /** Render KafkaTopic objects for Strimzi's topic operator. */
  readonly kafkaTopics: boolean;
  /**
   * Read the consumer groups' committed offsets (OffsetFetch) and the topics' end offsets
   * (ListOffsets), for status.flow and Lagging. Read-only, so in every mode.
   */
  readonly readOffsets: boolean;
  /** Whether the topics' readiness is the operator's to report (not when they are made outside). */
  readonly reportsReadiness: boolean;
  /** Delete the topics with the pipeline (admin: a finalizer; strimzi: owned KafkaTopics). */
  readonly deleteTopicsOnDeletion: boolean;
  /** The strimzi.io/cluster label of the KafkaTopics ('' outside strimzi mode). */
  readonly strimziClusterName: string;
}

const TOPIC_MANAGEMENT: Readonly<Record<TopicMode, Omit<ResolvedTopicManagement, 'mode' | 'deleteTopicsOnDeletion' | 'strimziClusterName'>>> = {
  admin: { managedBy: 'operator', manageTopics: true, kafkaTopics: false, readOffsets: true, reportsReadiness: true },
  strimzi: { managedBy: 'strimzi', manageTopics: false, kafkaTopics: true, readOffsets: true, reportsReadiness: true },
  unmanaged: { managedBy: 'outside', manageTopics: false, kafkaTopics: false, readOffsets: true, reportsReadiness: false },
};

/** The Kafka settings sizing and topics need: names, replication, per-topic overrides. */
interface ResolvedTopicSettings {
  readonly naming: KafkaNaming;
  readonly replicationFactor: number;
  /** min.insync.replicas of every topic, never above the replication factor. */
  readonly minInSyncReplicas: number;
  /** Per data topic: the partitions asked for (the spec's, else the seed's) and its extra config. */
  readonly dataTopics: Readonly<Record<TopicName, { readonly partitions: number; readonly config: Readonly<Record<string, string>> }>>;
  /** The spec's per-topic overrides as written: what the guard rails speak of. */
  readonly topicOverrides: Readonly<Partial<Record<TopicName, { readonly partitions?: number; readonly config?: Readonly<Record<string, string>> }>>>;
}

export interface ResolvedKafka extends ResolvedTopicSettings {
  readonly bootstrapServers: readonly string[];
  readonly topics: ResolvedTopicManagement;
  /** TLS to the brokers; the CA only when TLS is on. */
  readonly tls: { readonly enabled: boolean; readonly ca?: SecretKey };
  readonly sasl?: {
    readonly mechanism: NonNullable<SyncPipelineSpec['kafka']['sasl']>['mechanism'];
    readonly username: SecretKey;
    readonly password: SecretKey;
  };
}

interface ResolvedPostgres {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly syncDatabase: string;
  readonly sslMode: string;
  readonly username: SecretKey;
  readonly password: SecretKey;
  readonly ca?: CaBundleSource;
}

interface ResolvedMongo {
  readonly uri?: SecretKey;
  readonly credentials?: { readonly username: SecretKey; readonly password: SecretKey };
  /** Host and port only when the spec gives a host (else the URI Secret says where). */
  readonly host?: string;
  readonly port: number;
  readonly database: string;
  readonly enabledSources: readonly string[];
  readonly maxPoolSize: number;
  readonly minPoolSize: number;
  readonly serverSelectionTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly socketTimeoutMs: number;
  readonly retryWrites: boolean;
  readonly waitQueueTimeoutMs: number;
  /** TLS: as stated, else on exactly when a CA is given. */
  readonly tls: boolean;
  readonly ca?: CaBundleSource;
}

interface ResolvedProducer {
  readonly service: { readonly type: string; readonly port: number; readonly annotations?: Readonly<Record<string, string>> };
  /** Present only when enabled with a host. */
  readonly ingress?: {
    readonly host: string;
    readonly className?: string;
    readonly tlsSecretName?: string;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly rateLimit?: {
    readonly requestsPerSecond: number;
    readonly burst: number;
    readonly overrides: readonly { readonly clientId: string; readonly requestsPerSecond: number; readonly burst: number }[];
  };
}

interface ResolvedAutoscaling {
  /** The engine asked for; render falls back from keda to hpa when KEDA is missing. */
  readonly engine: AutoscalingEngine;
  readonly cpuTargetUtilization: number;
  /** Unset unless the spec sets it: the autoscalers then scale on CPU (and lag) only. */
  readonly memoryTargetUtilization?: number;
  readonly pollingIntervalSeconds: number;
  readonly cooldownPeriodSeconds: number;
  readonly scaleDownStabilizationSeconds: number;
  readonly lagThresholds: Readonly<Record<ConsumedTopic, number>>;
}

export interface ResolvedMaintenance {
  readonly schedule: string;
  readonly timeZone?: string;
  readonly suspend: boolean;
  readonly partitionDaysAhead: number;
  readonly partitionRetentionDays: number;
  readonly resources: PodResources;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly V1Toleration[];
  readonly podAnnotations?: Readonly<Record<string, string>>;
}

/** What sizing, topics and the plan need: resolvable from a SizingSpec alone. */
export interface ResolvedSizing {
  readonly dau: number;
  readonly environment: Environment;
  readonly region: Region;
  readonly sizing: Sizing;
  readonly consumerLayout: ConsumerLayout;
  /** The producer and the consumers of the layout, in order. */
  readonly components: readonly ComponentName[];
  /** Settings of each of `components`. */
  readonly settings: Readonly<Partial<Record<ComponentName, ComponentSettings>>>;
  readonly kafka: ResolvedTopicSettings;
}

export interface ResolvedPipeline extends ResolvedSizing {
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly uid?: string };
  /** spec.paused or the paused annotation. */
  readonly paused: boolean;
  readonly image: { readonly reference: string; readonly pullPolicy: string; readonly pullSecrets: readonly string[] };
  readonly kafka: ResolvedKafka;
  readonly postgres: ResolvedPostgres;
  readonly mongodb: ResolvedMongo;
  readonly producer: ResolvedProducer;
  /** Extra env of every component, in the layout or not: its Secret and ConfigMap keys count in the config hash. */
  readonly extraEnv: Readonly<Record<ComponentName, readonly V1EnvVar[]>>;
  readonly autoscaling: ResolvedAutoscaling;
  readonly maintenance: ResolvedMaintenance;
  /** Present when a PodMonitor is asked for. */
  readonly podMonitor?: { readonly interval: string; readonly labels: Readonly<Record<string, string>> };
}

/** A record with a value for every key. */
function recordOf<K extends string, V>(keys: readonly K[], value: (k: K) => V): Record<K, V> {
  const out = {} as Record<K, V>;
  for (const k of keys) out[k] = value(k);
  return out;
}

/** A component's overrides in a spec (the producer's, or one consumer group's); none is {}. */
function componentOverrides(spec: Pick<SyncPipelineSpec, 'producer' | 'consumers'>, c: ComponentName): ComponentOverrides {
  return (c === 'producer' ? spec.producer : spec.consumers?.[c]) ?? {};
}

function floorOf(environment: Environment, c: ComponentName): number {
  return c === 'producer' && environment === 'production' ? PRODUCTION_PRODUCER_FLOOR : 0;
}

/** Replica range after overrides; an override of only one bound keeps the range valid. */
function effectiveReplicas(ladder: Range, o: ComponentOverrides, floor: number): Range {
  const min = Math.max(floor, o.minReplicas ?? Math.min(ladder.min, o.maxReplicas ?? ladder.min));
  const max = Math.max(floor, o.maxReplicas ?? Math.max(ladder.max, min));
  return { min, max };
}

function effectiveResources(base: PodResources, r: ComponentOverrides['resources']): PodResources {
  // Canonical form, as the API server stores it, so live and desired compare equal.
  const q = (v: string | number | undefined, d: string): string => canonicalQuantity(v ?? d);
  return {
    requests: { cpu: q(r?.requests?.cpu, base.requests.cpu), memory: q(r?.requests?.memory, base.requests.memory) },
    limits: { cpu: q(r?.limits?.cpu, base.limits.cpu), memory: q(r?.limits?.memory, base.limits.memory) },
  };
}

/**
 * Spreading over zones and nodes, counting only the component's own pods. A preference
 * (ScheduleAnyway), so a cluster with one zone or few nodes still runs every pod; except across
 * nodes for a production Producer API, where it is a rule: the scheduler weighs a preference
 * against resource balance and, on unevenly loaded nodes, put both producers on one node, which
 * a drain or a lost node then takes at once. Tainted nodes (cordoned, unreachable) do not count
 * as places to spread to, so a drain can still move the pods.
 */
function defaultSpread(pipeline: string, c: ComponentName, environment: Environment): V1TopologySpreadConstraint[] {
  const labelSelector = { matchLabels: selectorLabels(pipeline, c) };
  const acrossNodes =
    c === 'producer' && environment === 'production'
      ? { whenUnsatisfiable: 'DoNotSchedule', nodeTaintsPolicy: 'Honor' }
      : { whenUnsatisfiable: 'ScheduleAnyway' };
  return [
    { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector },
    { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', ...acrossNodes, labelSelector },
  ];
}

/** A component's settings for a spec and its sizing (`pipeline` names the default spread's selector). */
export function componentSettings(spec: SizingSpec, sizing: Sizing, c: ComponentName, pipeline = ''): ComponentSettings {
  const o = componentOverrides(spec, c);
  return {
    replicas: effectiveReplicas(sizing[c], o, floorOf(spec.environment, c)),
    resources: effectiveResources(podResourcesFor(spec.environment), o.resources),
    pod: {
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
      topologySpreadConstraints: o.topologySpreadConstraints ?? defaultSpread(pipeline, c, spec.environment),
      annotations: o.podAnnotations ?? {},
      labels: o.podLabels ?? {},
      extraEnv: o.env ?? [],
    },
    overrides: o,
  };
}

/** The spec's replica bounds raised to the production floor, one message (empty when none was). */
export function productionFloorAdjustments(r: Pick<ResolvedSizing, 'environment' | 'settings'>): string[] {
  const floor = floorOf(r.environment, 'producer');
  const o = r.settings.producer?.overrides ?? {};
  const raised = (['minReplicas', 'maxReplicas'] as const).filter((k) => o[k] !== undefined && o[k] < floor);
  if (raised.length === 0) return [];
  const asked = raised.map((k) => `${k} ${o[k]}`).join(' and ');
  return [
    `producer.${asked} raised to ${floor}: a production Producer API runs at least ${floor} replicas, so that a node drain or a lost node never stops ingestion`,
  ];
}

/** The pipeline's topic and group prefixes (the group prefix follows the topic prefix unless set). */
export function resolveNaming(kafka: Pick<SyncPipelineSpec['kafka'], 'topicPrefix' | 'consumerGroupPrefix'> | undefined): KafkaNaming {
  const topicPrefix = kafka?.topicPrefix ?? DEFAULTS.topicPrefix;
  return { topicPrefix, groupPrefix: kafka?.consumerGroupPrefix ?? topicPrefix };
}

/** Sizing, layout, components and topic settings of a spec: all `mobileforge plan` needs. */
export function resolveSizing(
  spec: SizingSpec,
  calibration: Calibration = CALIBRATION,
  sizing: Sizing = sizeFor(spec, calibration),
  pipeline = '',
): ResolvedSizing {
  const consumerLayout = spec.consumers?.layout ?? DEFAULTS.consumerLayout;
  const components = componentsOf(consumerLayout);
  const replicationFactor = spec.kafka?.replicationFactor ?? defaultReplicationFactor(spec.environment, spec.dau);
  const topicOverrides = spec.kafka?.topics ?? {};
  return {
    dau: spec.dau,
    environment: spec.environment,
    region: spec.region,
    sizing,
    consumerLayout,
    components,
    settings: Object.fromEntries(components.map((c) => [c, componentSettings(spec, sizing, c, pipeline)])),
    kafka: {
      naming: resolveNaming(spec.kafka),
      replicationFactor,
      minInSyncReplicas: Math.min(spec.kafka?.minInSyncReplicas ?? defaultMinInSync(replicationFactor), replicationFactor),
      dataTopics: recordOf(TOPICS, (t) => ({
        partitions: topicOverrides[t]?.partitions ?? TOPIC_FACTS[t].seedPartitions,
        config: topicOverrides[t]?.config ?? {},
      })),
      topicOverrides,
    },
  };
}

// References that leave out their key mean the conventional one: every reader of a reference
// (pod env and volumes, KEDA's TriggerAuthentication, the operator's and the CLI's Kafka
// clients, the rolling-restart hash) reads the key resolved here, so it cannot differ between them.
function credentials(ref: { name: string; usernameKey?: string; passwordKey?: string }): { username: SecretKey; password: SecretKey } {
  return {
    username: { name: ref.name, key: ref.usernameKey ?? DEFAULT_SECRET_KEYS.username },
    password: { name: ref.name, key: ref.passwordKey ?? DEFAULT_SECRET_KEYS.password },
  };
}

function keyOf(ref: { name: string; key?: string }, fallback: string): SecretKey {
  return { name: ref.name, key: ref.key ?? fallback };
}

/** Exactly one of the two is set (an admission rule). */
function caBundle(ref: { secretRef?: { name: string; key?: string }; configMapRef?: { name: string; key?: string } }): CaBundleSource | undefined {
  if (ref.secretRef) return { kind: 'secret', ...keyOf(ref.secretRef, DEFAULT_SECRET_KEYS.ca) };
  if (ref.configMapRef) return { kind: 'configMap', ...keyOf(ref.configMapRef, DEFAULT_SECRET_KEYS.ca) };
  return undefined;
}

function resolveKafka(spec: SyncPipelineSpec, base: ResolvedTopicSettings): ResolvedKafka {
  const k = spec.kafka;
  const tm = k.topicManagement;
  const mode = tm?.mode ?? DEFAULTS.topicMode;
  const tlsEnabled = k.tls?.enabled === true;
  return {
    ...base,
    bootstrapServers: k.bootstrapServers,
    topics: {
      mode,
      ...TOPIC_MANAGEMENT[mode],
      deleteTopicsOnDeletion: tm?.deleteTopicsOnDeletion === true,
      strimziClusterName: tm?.strimziClusterName ?? '',
    },
    tls: { enabled: tlsEnabled, ...(tlsEnabled && k.tls?.caSecretRef ? { ca: keyOf(k.tls.caSecretRef, DEFAULT_SECRET_KEYS.ca) } : {}) },
    ...(k.sasl ? { sasl: { mechanism: k.sasl.mechanism, ...credentials(k.sasl.credentialsSecretRef) } } : {}),
  };
}

function resolvePostgres(spec: SyncPipelineSpec): ResolvedPostgres {
  const pg = spec.postgres;
  const ca = pg.ca && caBundle(pg.ca);
  return {
    host: pg.host,
    port: pg.port ?? DEFAULTS.postgresPort,
    database: pg.database ?? DEFAULTS.postgresDatabase,
    syncDatabase: pg.syncDatabase ?? DEFAULTS.postgresSyncDatabase,
    sslMode: pg.sslMode ?? (spec.environment === 'production' ? DEFAULTS.productionPostgresSslMode : DEFAULTS.postgresSslMode),
    ...credentials(pg.credentialsSecretRef),
    ...(ca ? { ca } : {}),
  };
}

function resolveMongo(spec: SyncPipelineSpec): ResolvedMongo {
  const m = spec.mongodb;
  const ca = m.tls?.ca && caBundle(m.tls.ca);
  return {
    ...(m.uriSecretRef ? { uri: keyOf(m.uriSecretRef, DEFAULT_SECRET_KEYS.uri) } : {}),
    ...(m.credentialsSecretRef ? { credentials: credentials(m.credentialsSecretRef) } : {}),
    ...(m.host ? { host: m.host } : {}),
    port: m.port ?? DEFAULTS.mongoPort,
    database: m.database ?? DEFAULTS.mongoDatabase,
    enabledSources: m.enabledSources ?? DEFAULTS.mongoEnabledSources,
    maxPoolSize: m.maxPoolSize ?? DEFAULTS.mongoMaxPoolSize,
    minPoolSize: m.minPoolSize ?? DEFAULTS.mongoMinPoolSize,
    serverSelectionTimeoutMs: m.serverSelectionTimeoutMs ?? DEFAULTS.mongoServerSelectionTimeoutMs,
    connectTimeoutMs: m.connectTimeoutMs ?? DEFAULTS.mongoConnectTimeoutMs,
    socketTimeoutMs: m.socketTimeoutMs ?? DEFAULTS.mongoSocketTimeoutMs,
    retryWrites: m.retryWrites ?? DEFAULTS.mongoRetryWrites,
    waitQueueTimeoutMs: m.waitQueueTimeoutMs ?? DEFAULTS.mongoWaitQueueTimeoutMs,
    tls: m.tls?.enabled ?? Boolean(m.tls?.ca),
    ...(ca ? { ca } : {}),
  };
}

function resolveProducer(spec: SyncPipelineSpec): ResolvedProducer {
  const svc = spec.producer?.service;
  const ing = spec.producer?.ingress;
  const rl = spec.producer?.rateLimit;
  return {
    service: {
      type: svc?.type ?? DEFAULTS.serviceType,
      port: svc?.port ?? DEFAULTS.servicePort,
      ...(svc?.annotations ? { annotations: svc.annotations } : {}),
    },
    ...(ing?.enabled && ing.host
      ? {
          ingress: {
            host: ing.host,
            ...(ing.className ? { className: ing.className } : {}),
            ...(ing.tlsSecretName ? { tlsSecretName: ing.tlsSecretName } : {}),
            ...(ing.annotations ? { annotations: ing.annotations } : {}),
          },
        }
      : {}),
    ...(rl ? { rateLimit: { requestsPerSecond: rl.requestsPerSecond, burst: rl.burst, overrides: rl.overrides ?? [] } } : {}),
  };
}

function resolveAutoscaling(spec: SyncPipelineSpec): ResolvedAutoscaling {
  const a = spec.autoscaling;
  const lag = (t: ConsumedTopic): number => (t === AUDIT_TOPIC ? AUDIT_LAG_THRESHOLD : (a?.lagThresholds?.[t] ?? DEFAULT_LAG_THRESHOLDS[t]));
  return {
    engine: a?.engine ?? DEFAULTS.autoscalingEngine,
    cpuTargetUtilization: a?.cpuTargetUtilization ?? DEFAULTS.cpuTargetUtilization,
    ...(a?.memoryTargetUtilization !== undefined ? { memoryTargetUtilization: a.memoryTargetUtilization } : {}),
    pollingIntervalSeconds: a?.pollingIntervalSeconds ?? DEFAULTS.pollingIntervalSeconds,
    cooldownPeriodSeconds: a?.cooldownPeriodSeconds ?? DEFAULTS.cooldownPeriodSeconds,
    scaleDownStabilizationSeconds: a?.scaleDownStabilizationSeconds ?? DEFAULTS.scaleDownStabilizationSeconds,
    lagThresholds: recordOf<ConsumedTopic, number>([...TOPICS, AUDIT_TOPIC], lag),
  };
}

function resolveMaintenance(spec: SyncPipelineSpec): ResolvedMaintenance {
  const m = spec.maintenance ?? {};
  const d = MAINTENANCE_DEFAULTS;
  return {
    schedule: m.schedule ?? d.schedule,
    ...(m.timeZone ? { timeZone: m.timeZone } : {}),
    suspend: m.suspend ?? d.suspend,
    partitionDaysAhead: m.partitionDaysAhead ?? d.partitionDaysAhead,
    partitionRetentionDays: m.partitionRetentionDays ?? d.partitionRetentionDays,
    resources: effectiveResources(d.resources, m.resources),
    ...(m.nodeSelector ? { nodeSelector: m.nodeSelector } : {}),
    ...(m.tolerations ? { tolerations: m.tolerations } : {}),
    ...(m.podAnnotations ? { podAnnotations: m.podAnnotations } : {}),
  };
}

/** The pipeline, resolved: see the top of this file. */
export function resolve(p: SyncPipeline): ResolvedPipeline {
  const spec = p.spec;
  const base = resolveSizing(spec, CALIBRATION, sizeFor(spec), p.metadata.name);
  const pm = spec.monitoring?.podMonitor;
  return {
    ...base,
    metadata: {
      name: p.metadata.name,
      ...(p.metadata.namespace ? { namespace: p.metadata.namespace } : {}),
      ...(p.metadata.uid ? { uid: p.metadata.uid } : {}),
    },
    paused: spec.paused === true || p.metadata.annotations?.[PAUSED_ANNOTATION] === 'true',
    image: {
      reference: `${spec.image.repository}:${spec.image.tag}`,
      pullPolicy: spec.image.pullPolicy ?? DEFAULTS.pullPolicy,
      pullSecrets: spec.image.pullSecrets ?? [],
    },
    kafka: resolveKafka(spec, base.kafka),
    postgres: resolvePostgres(spec),
    mongodb: resolveMongo(spec),
    producer: resolveProducer(spec),
    extraEnv: recordOf<ComponentName, readonly V1EnvVar[]>(ALL_COMPONENTS, (c) => componentOverrides(spec, c).env ?? []),
    autoscaling: resolveAutoscaling(spec),
    maintenance: resolveMaintenance(spec),
    ...(pm?.enabled === true ? { podMonitor: { interval: pm.interval ?? DEFAULTS.scrapeInterval, labels: pm.labels ?? {} } } : {}),
  };
}
