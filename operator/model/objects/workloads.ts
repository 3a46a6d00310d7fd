// Deployments, Service, PodDisruptionBudgets, Ingress and ServiceAccount of a pipeline.
import type {
  V1Container,
  V1ContainerPort,
  V1Deployment,
  V1EnvVar,
  V1Ingress,
  V1PodDisruptionBudget,
  V1PodSecurityContext,
  V1SecurityContext,
  V1PodSpec,
  V1Service,
  V1ServiceAccount,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { describeSource, operatorEnvSource } from '../../api/operator-env.js';
import { consumerGroupName, kafkaTopicName, topicsForConsumer, type ComponentName } from '../../../core/domain.js';
import { ENV, PRODUCER_METRICS_PORT, WORKLOAD_HTTP_PORT } from '../../../core/env-contract.js';
import type { CaBundleSource, ComponentSettings, ResolvedPipeline, SecretKey } from '../resolve.js';
import { childMeta } from './metadata.js';
import { COMPONENT_LABEL } from '../../../core/labels.js';
import { CONFIG_HASH_ANNOTATION, componentLabels, deploymentName, selectorLabels, serviceAccountName } from '../naming.js';

/** The unprivileged user the workload image runs as (see Dockerfile.workload). */
const WORKLOAD_UID = 10001;
const KAFKA_CA_DIR = '/etc/mobileforge/kafka-ca';
const POSTGRES_CA_DIR = '/etc/mobileforge/postgres-ca';
const MONGODB_CA_DIR = '/etc/mobileforge/mongodb-ca';

/** A CA bundle mounted read-only as `<dir>/ca.crt`, from its Secret or ConfigMap. */
function caVolume(name: string, dir: string, src: CaBundleSource | undefined): { volume: V1Volume; mount: V1VolumeMount } | undefined {
  if (!src) return undefined;
  const items = [{ key: src.key, path: 'ca.crt' }];
  return {
    volume: src.kind === 'secret' ? { name, secret: { secretName: src.name, items } } : { name, configMap: { name: src.name, items } },
    mount: { name, mountPath: dir, readOnly: true },
  };
}

/** The database CA bundles a pod mounts: PostgreSQL's for every one, MongoDB's for those that write to it. */
export function databaseCaVolumes(r: ResolvedPipeline, usesMongo: boolean): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const cas = [caVolume('postgres-ca', POSTGRES_CA_DIR, r.postgres.ca), usesMongo ? caVolume('mongodb-ca', MONGODB_CA_DIR, r.mongodb.ca) : undefined].filter(
    (v): v is NonNullable<typeof v> => v !== undefined,
  );
  return { volumes: cas.map((c) => c.volume), mounts: cas.map((c) => c.mount) };
}

/**
 * The name of the port Prometheus scrapes on every workload pod (the PodMonitor's). The
 * Producer API serves metrics on a port of its own, which its Service never exposes; a
 * consumer's one port (health, readiness, metrics) has no Service at all.
 */
export const METRICS_PORT_NAME = 'metrics';

const secretEnv = (name: string, ref: SecretKey): V1EnvVar => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });
const plainEnv = (name: string, value: string | number | boolean): V1EnvVar => ({ name, value: String(value) });

export function postgresEnv(r: ResolvedPipeline): V1EnvVar[] {
  const pg = r.postgres;
  return [
    secretEnv(ENV.postgresUsername, pg.username),
    secretEnv(ENV.postgresPassword, pg.password),
    plainEnv(ENV.postgresHost, pg.host),
    plainEnv(ENV.postgresPort, pg.port),
    plainEnv(ENV.postgresDatabase, pg.database),
    plainEnv(ENV.postgresSyncDatabase, pg.syncDatabase),
    plainEnv(ENV.postgresSslMode, pg.sslMode),
    ...(pg.ca ? [plainEnv(ENV.postgresSslCaFile, `${POSTGRES_CA_DIR}/ca.crt`)] : []),
  ];
}

function kafkaEnv(r: ResolvedPipeline): V1EnvVar[] {
  const k = r.kafka;
  const env = [plainEnv(ENV.kafkaBrokers, k.bootstrapServers.join(','))];
  if (k.tls.enabled) {
    env.push(plainEnv(ENV.kafkaTls, 'true'));
    if (k.tls.ca) env.push(plainEnv(ENV.kafkaTlsCaFile, `${KAFKA_CA_DIR}/ca.crt`));
  }
  if (k.sasl) {
    env.push(
      plainEnv(ENV.kafkaSaslMechanism, k.sasl.mechanism),
      secretEnv(ENV.kafkaSaslUsername, k.sasl.username),
      secretEnv(ENV.kafkaSaslPassword, k.sasl.password),
    );
  }
  return env;
}

export function mongoEnv(r: ResolvedPipeline): V1EnvVar[] {
  const m = r.mongodb;
  const env: V1EnvVar[] = [];
  if (m.uri) env.push(secretEnv(ENV.mongoUri, m.uri));
  if (m.credentials) env.push(secretEnv(ENV.mongoUsername, m.credentials.username), secretEnv(ENV.mongoPassword, m.credentials.password));
  if (m.host) env.push(plainEnv(ENV.mongoHost, m.host), plainEnv(ENV.mongoPort, m.port));
  env.push(
    plainEnv(ENV.mongoDatabase, m.database),
    plainEnv(ENV.mongoEnabledSources, m.enabledSources.join(',')),
    plainEnv(ENV.mongoMaxPoolSize, m.maxPoolSize),
    plainEnv(ENV.mongoMinPoolSize, m.minPoolSize),
    plainEnv(ENV.mongoServerSelectionTimeoutMs, m.serverSelectionTimeoutMs),
    plainEnv(ENV.mongoConnectTimeoutMs, m.connectTimeoutMs),
    plainEnv(ENV.mongoSocketTimeoutMs, m.socketTimeoutMs),
    plainEnv(ENV.mongoRetryWrites, m.retryWrites),
    plainEnv(ENV.mongoWaitQueueTimeoutMs, m.waitQueueTimeoutMs),
  );
  if (m.tls) env.push(plainEnv(ENV.mongoTls, true));
  if (m.ca) env.push(plainEnv(ENV.mongoTlsCaFile, `${MONGODB_CA_DIR}/ca.crt`));
  return env;
}

/**
 * Our variables, then the user's extra ones, but never one naming a variable the operator sets:
 * admission refuses those, and one kept from before that rule still does not replace ours
 * (ignoredEnv says so in status).
 */
function mergeEnv(ours: V1EnvVar[], extra: readonly V1EnvVar[]): V1EnvVar[] {
  const byName = new Map(ours.map((e) => [e.name, e]));
  for (const e of extra) if (!byName.has(e.name) && !operatorEnvSource(e.name)) byName.set(e.name, e);
  return [...byName.values()];
}

/** Per-component env entries naming a variable the operator sets, which are not applied: one message each. */
export function ignoredEnv(r: Pick<ResolvedPipeline, 'components' | 'settings'>): string[] {
  return r.components.flatMap((c) =>
    r.settings[c]!.pod.extraEnv.flatMap((e) => {
      const source = operatorEnvSource(e.name);
      const field = c === 'producer' ? 'producer.env' : `consumers.${c}.env`;
      return source ? [`${field} entry ${e.name} is not applied: the operator sets it ${describeSource(source)}`] : [];
    }),
  );
}

/**
 * The producer's rate limit, when the spec sets one. Each replica enforces limit / minReplicas:
 * minReplicas is known here and stable (the current replica count changes with every HPA
 * decision, and a variable that followed it would roll every pod on each scale), so the limit is
 * exact at minReplicas and grows with the replicas above it (docs/producer.md).
 */
function rateLimitEnv(r: ResolvedPipeline, minReplicas: number): V1EnvVar[] {
  const rl = r.producer.rateLimit;
  if (!rl) return [];
  const overrides = Object.fromEntries(rl.overrides.map((o) => [o.clientId, { requestsPerSecond: o.requestsPerSecond, burst: o.burst }]));
  return [
    plainEnv(ENV.rateLimitRequestsPerSecond, rl.requestsPerSecond),
    plainEnv(ENV.rateLimitBurst, rl.burst),
    ...(rl.overrides.length ? [plainEnv(ENV.rateLimitOverrides, JSON.stringify(overrides))] : []),
    plainEnv(ENV.rateLimitReplicas, Math.max(1, minReplicas)),
  ];
}

function componentEnv(r: ResolvedPipeline, c: ComponentName, minReplicas: number): V1EnvVar[] {
  const common = [...postgresEnv(r), ...kafkaEnv(r)];
  // The region is the pipeline's, not the client row's: in an India pipeline no client may
  // send what no consumer there reads (and what may not be collected there).
  const naming = r.kafka.naming;
  if (c === 'producer')
    return [
      ...common,
      plainEnv(ENV.pipelineRegion, r.region),
      plainEnv(ENV.metricsPort, PRODUCER_METRICS_PORT),
      // Unset without a prefix: the seed's variables exactly.
      ...(naming.topicPrefix ? [plainEnv(ENV.topicPrefix, naming.topicPrefix)] : []),
      ...rateLimitEnv(r, minReplicas),
    ];
  return [
    ...common,
    ...mongoEnv(r),
    plainEnv(
      ENV.enabledTopics,
      topicsForConsumer(c, r.region)
        .map((t) => kafkaTopicName(naming, t))
        .join(','),
    ),
    plainEnv(ENV.consumerGroup, consumerGroupName(naming, c)),
  ];
}

/** Non-root, no privilege escalation, no capabilities, read-only root: every container we run. */
export function containerSecurityContext(): V1SecurityContext {
  return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };
}

export function podSecurityContext(): V1PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: WORKLOAD_UID, runAsGroup: WORKLOAD_UID, fsGroup: WORKLOAD_UID, seccompProfile: { type: 'RuntimeDefault' } };
}

/** The only writable path in our containers (the root filesystem is read-only). */
export const TMP_VOLUME: V1Volume = { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } };
export const TMP_MOUNT: V1VolumeMount = { name: 'tmp', mountPath: '/tmp' };

/** The producer: the API port (`http`) and the metrics port; a consumer: one port, named for the PodMonitor. */
function containerPorts(c: ComponentName): V1ContainerPort[] {
  if (c === 'producer')
    return [
      { name: 'http', containerPort: WORKLOAD_HTTP_PORT, protocol: 'TCP' },
      { name: METRICS_PORT_NAME, containerPort: PRODUCER_METRICS_PORT, protocol: 'TCP' },
    ];
  return [{ name: METRICS_PORT_NAME, containerPort: WORKLOAD_HTTP_PORT, protocol: 'TCP' }];
}

function podSpec(r: ResolvedPipeline, c: ComponentName, s: ComponentSettings): V1PodSpec {
  const o = s.pod;
  const mounts: V1VolumeMount[] = [{ ...TMP_MOUNT }];
  const volumes: V1Volume[] = [{ ...TMP_VOLUME }];
  const ca = r.kafka.tls.ca;
  if (ca) {
    mounts.push({ name: 'kafka-ca', mountPath: KAFKA_CA_DIR, readOnly: true });
    volumes.push({ name: 'kafka-ca', secret: { secretName: ca.name, items: [{ key: ca.key, path: 'ca.crt' }] } });
  }
  const databaseCas = databaseCaVolumes(r, c !== 'producer');
  mounts.push(...databaseCas.mounts);
  volumes.push(...databaseCas.volumes);
  const probePort = containerPorts(c)[0]!.name!;
  const container: V1Container = {
    name: c === 'producer' ? 'producer' : 'consumer',
    image: r.image.reference,
    imagePullPolicy: r.image.pullPolicy,
    args: [c === 'producer' ? 'producer' : 'consumer'],
    ports: containerPorts(c),
    env: mergeEnv(componentEnv(r, c, s.replicas.min), o.extraEnv),
    resources: { requests: { ...s.resources.requests }, limits: { ...s.resources.limits } },
    livenessProbe: { httpGet: { path: '/health', port: probePort }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: '/ready', port: probePort }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
    startupProbe: { httpGet: { path: '/health', port: probePort }, periodSeconds: 2, failureThreshold: 30 },
    securityContext: containerSecurityContext(),
    volumeMounts: mounts,
  };
  return {
    serviceAccountName: serviceAccountName(r.metadata.name),
    automountServiceAccountToken: false,
    // Consumers finish and commit their in-flight batch on SIGTERM; give them the time.
    terminationGracePeriodSeconds: c === 'producer' ? 30 : 60,
    securityContext: podSecurityContext(),
    ...(r.image.pullSecrets.length ? { imagePullSecrets: r.image.pullSecrets.map((name) => ({ name })) } : {}),
    ...(o.nodeSelector ? { nodeSelector: { ...o.nodeSelector } } : {}),
    ...(o.tolerations ? { tolerations: [...o.tolerations] } : {}),
    ...(o.affinity ? { affinity: o.affinity } : {}),
    topologySpreadConstraints: [...o.topologySpreadConstraints],
    containers: [container],
    volumes,
  };
}

export interface DeploymentOptions {
  /** Set only when no autoscaler owns the replica count (engine none). */
  replicas?: number;
  /** Hash of referenced Secrets and ConfigMaps: a change rolls the pods. */
  configHash?: string;
}

export function deployment(r: ResolvedPipeline, c: ComponentName, opts: DeploymentOptions): V1Deployment {
  const s = r.settings[c]!;
  const name = r.metadata.name;
  const labels = componentLabels(name, c);
  const annotations: Record<string, string> = { ...s.pod.annotations };
  if (opts.configHash) annotations[CONFIG_HASH_ANNOTATION] = opts.configHash;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMeta(r, deploymentName(name, c), labels),
    spec: {
      ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(name, c) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      template: {
        metadata: { labels: { ...s.pod.labels, ...labels }, ...(Object.keys(annotations).length ? { annotations } : {}) },
        spec: podSpec(r, c, s),
      },
    },
  };
}

export function producerService(r: ResolvedPipeline): V1Service {
  const svc = r.producer.service;
  const name = r.metadata.name;
  const meta = childMeta(r, deploymentName(name, 'producer'), componentLabels(name, 'producer'));
  if (svc.annotations) meta.annotations = { ...svc.annotations };
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta,
    spec: {
      type: svc.type,
      selector: selectorLabels(name, 'producer'),
      ports: [{ name: 'http', port: svc.port, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** The paths the Ingress routes: the sync API and liveness. */
const INGRESS_PATHS: [string, 'Prefix' | 'Exact'][] = [
  ['/v1/sync', 'Prefix'],
  ['/health', 'Exact'],
];

export function producerIngress(r: ResolvedPipeline): V1Ingress | undefined {
  const ing = r.producer.ingress;
  if (!ing) return undefined;
  const name = r.metadata.name;
  const meta = childMeta(r, deploymentName(name, 'producer'), componentLabels(name, 'producer'));
  if (ing.annotations) meta.annotations = { ...ing.annotations };
  const port = r.producer.service.port;
  const backend = { service: { name: deploymentName(name, 'producer'), port: { number: port } } };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta,
    spec: {
      ...(ing.className ? { ingressClassName: ing.className } : {}),
      ...(ing.tlsSecretName ? { tls: [{ hosts: [ing.host], secretName: ing.tlsSecretName }] } : {}),
      // Only what the SDK and an external health check need: /ready, /openapi.json and anything
      // added later stay inside the cluster unless routed here on purpose.
      rules: [{ host: ing.host, http: { paths: INGRESS_PATHS.map(([path, pathType]) => ({ path, pathType, backend })) } }],
    },
  };
}

/**
 * Lets a node drain evict one pod of a component at a time (with the production producer's two
 * replicas at least, the other keeps serving), even for a component at one replica, which a
 * minimum-available budget would pin to its node. A pod that is not ready serves nothing, so it
 * may always be evicted (AlwaysAllow): under the default policy, pods crash-looping beyond the
 * budget would hold the drain until someone deleted them.
 */
export function disruptionBudget(r: ResolvedPipeline, c: ComponentName): V1PodDisruptionBudget {
  const name = r.metadata.name;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMeta(r, deploymentName(name, c), componentLabels(name, c)),
    spec: { maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow', selector: { matchLabels: selectorLabels(name, c) } },
  };
}

export function workloadServiceAccount(r: ResolvedPipeline): V1ServiceAccount {
  const name = r.metadata.name;
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: childMeta(r, serviceAccountName(name), { ...componentLabels(name, 'producer'), [COMPONENT_LABEL]: 'workload' }),
    // The workloads never call the Kubernetes API.
    automountServiceAccountToken: false,
  };
}
