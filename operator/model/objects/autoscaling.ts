// Autoscalers: an autoscaling/v2 HPA for the Producer API (CPU; memory when asked), and for each
// consumer either a KEDA ScaledObject (one kafka trigger per topic it reads, plus CPU and
// memory) or an HPA. Never both on one Deployment: KEDA refuses a target that already has an
// HPA it does not own, and two controllers would fight over replicas.
import type { KubernetesObject, V2HorizontalPodAutoscaler, V2MetricSpec } from '@kubernetes/client-node';
import type { AutoscalingEngine, SyncPipeline } from '../../api/v1alpha1.js';
import { consumerGroupName, kafkaTopicName, type ConsumedTopic, type ConsumerName, type ComponentName } from '../../../core/domain.js';
import type { ResolvedPipeline } from '../resolve.js';
import { childMeta } from './metadata.js';
import { componentLabels, deploymentName } from '../naming.js';
import { COMPONENT_LABEL } from '../../../core/labels.js';

export interface Capabilities {
  /** Served KafkaTopic API version, or undefined when Strimzi's CRD is not installed. */
  kafkaTopicApiVersion?: 'kafka.strimzi.io/v1' | 'kafka.strimzi.io/v1beta2';
  /** Whether KEDA's ScaledObject CRD is installed. */
  keda: boolean;
  /** Whether the Prometheus Operator's PodMonitor API (monitoring.coreos.com/v1) is served. */
  podMonitor?: boolean;
}

export interface EngineDecision {
  engine: AutoscalingEngine;
  /** Set when the requested engine could not be used. */
  fallbackReason?: string;
}

export function resolveEngine(r: Pick<ResolvedPipeline, 'autoscaling'>, caps: Capabilities): EngineDecision {
  const wanted = r.autoscaling.engine;
  if (wanted === 'keda' && !caps.keda) {
    return {
      engine: 'hpa',
      fallbackReason: 'KEDA is not installed (no keda.sh/v1alpha1 ScaledObject API); consumers scale on CPU through HPAs instead of Kafka lag',
    };
  }
  return { engine: wanted };
}

/**
 * CPU always; memory only when the spec sets a target. A Node process keeps the heap it grew
 * to: after a burst (a consumer that wrote a backlog holds 350-400 MB) its working set stays
 * near the peak for hours, so a memory target would hold scaled-out replicas long after the
 * load, while CPU falls back as soon as the work does. The memory limit still guards the pod.
 */
function utilizationMetrics(r: ResolvedPipeline): V2MetricSpec[] {
  const a = r.autoscaling;
  const metric = (name: 'cpu' | 'memory', value: number): V2MetricSpec => ({
    type: 'Resource',
    resource: { name, target: { type: 'Utilization', averageUtilization: value } },
  });
  return [metric('cpu', a.cpuTargetUtilization), ...(a.memoryTargetUtilization !== undefined ? [metric('memory', a.memoryTargetUtilization)] : [])];
}

/** What the component's autoscaler reads, for status: "CPU" or "CPU, memory". */
export function utilizationSignals(r: Pick<ResolvedPipeline, 'autoscaling'>): string {
  return r.autoscaling.memoryTargetUtilization !== undefined ? 'CPU, memory' : 'CPU';
}

export function hpa(r: ResolvedPipeline, c: ComponentName): V2HorizontalPodAutoscaler {
  const s = r.settings[c]!;
  const name = r.metadata.name;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: childMeta(r, deploymentName(name, c), componentLabels(name, c)),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deploymentName(name, c) },
      // An HPA cannot go below one replica.
      minReplicas: Math.max(1, s.replicas.min),
      maxReplicas: Math.max(1, s.replicas.max),
      metrics: utilizationMetrics(r),
      behavior: { scaleDown: { stabilizationWindowSeconds: r.autoscaling.scaleDownStabilizationSeconds } },
    },
  };
}

export interface ScaledObject extends KubernetesObject {
  spec: {
    scaleTargetRef: { name: string };
    minReplicaCount: number;
    maxReplicaCount: number;
    pollingInterval: number;
    cooldownPeriod: number;
    advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: number } } } };
    triggers: { type: string; metricType?: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[];
  };
}

export interface TriggerAuthentication extends KubernetesObject {
  spec: { secretTargetRef: { parameter: string; name: string; key: string }[] };
}

/** KEDA's names for the SASL mechanisms (its kafka scaler's `sasl` parameter). */
const KEDA_SASL: Record<NonNullable<SyncPipeline['spec']['kafka']['sasl']>['mechanism'], string> = {
  plain: 'plaintext',
  'scram-sha-256': 'scram_sha256',
  'scram-sha-512': 'scram_sha512',
};

function kafkaTriggerAuthName(pipeline: string): string {
  return `${pipeline}-kafka`;
}

/**
 * What KEDA's kafka scaler needs to read consumer lag from a cluster with SASL or a private
 * CA: the same Secrets the consumers use, by reference (KEDA reads them; nothing is copied).
 * Undefined when the cluster needs neither.
 */
export function kafkaTriggerAuthentication(r: ResolvedPipeline): TriggerAuthentication | undefined {
  const k = r.kafka;
  const refs: TriggerAuthentication['spec']['secretTargetRef'] = [];
  if (k.sasl) refs.push({ parameter: 'username', ...k.sasl.username }, { parameter: 'password', ...k.sasl.password });
  if (k.tls.ca) refs.push({ parameter: 'ca', ...k.tls.ca });
  if (refs.length === 0) return undefined;
  const name = r.metadata.name;
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'TriggerAuthentication',
    metadata: childMeta(r, kafkaTriggerAuthName(name), { ...componentLabels(name, 'topics'), [COMPONENT_LABEL]: 'autoscaling' }),
    spec: { secretTargetRef: refs },
  };
}

export function scaledObject(r: ResolvedPipeline, c: ConsumerName, topics: ConsumedTopic[]): ScaledObject {
  const s = r.settings[c]!;
  const name = r.metadata.name;
  const a = r.autoscaling;
  const k = r.kafka;
  const brokers = k.bootstrapServers.join(',');
  // Mechanism and TLS are not secret: they go in the trigger; credentials and the CA come
  // through the TriggerAuthentication.
  const security: Record<string, string> = {
    ...(k.sasl ? { sasl: KEDA_SASL[k.sasl.mechanism] } : {}),
    ...(k.tls.enabled ? { tls: 'enable' } : {}),
  };
  const auth = kafkaTriggerAuthentication(r) ? { authenticationRef: { name: kafkaTriggerAuthName(name) } } : {};
  const naming = k.naming;
  const kafkaTriggers = topics.map((topic) => ({
    type: 'kafka',
    ...auth,
    metadata: {
      ...security,
      bootstrapServers: brokers,
      consumerGroup: consumerGroupName(naming, c),
      topic: kafkaTopicName(naming, topic),
      lagThreshold: String(a.lagThresholds[topic]),
      // A group that has not committed yet still has work: count from the beginning.
      offsetResetPolicy: 'earliest',
      // More replicas than partitions would idle.
      allowIdleConsumers: 'false',
    },
  }));
  const utilization = utilizationMetrics(r).map((m) => ({
    type: m.resource!.name,
    metricType: 'Utilization',
    metadata: { value: String(m.resource!.target.averageUtilization) },
  }));
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: childMeta(r, deploymentName(name, c), componentLabels(name, c)),
    spec: {
      scaleTargetRef: { name: deploymentName(name, c) },
      minReplicaCount: s.replicas.min,
      maxReplicaCount: s.replicas.max,
      pollingInterval: a.pollingIntervalSeconds,
      cooldownPeriod: a.cooldownPeriodSeconds,
      advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: a.scaleDownStabilizationSeconds } } } },
      triggers: [...kafkaTriggers, ...utilization],
    },
  };
}
