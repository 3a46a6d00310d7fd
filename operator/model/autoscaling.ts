// Autoscalers: an autoscaling/v2 HPA for the Producer API (CPU and memory), and for each
// consumer either a KEDA ScaledObject (one kafka trigger per topic it reads, plus CPU and
// memory) or an HPA. Never both on one Deployment: KEDA refuses a target that already has an
// HPA it does not own, and two controllers would fight over replicas.
import type { KubernetesObject, V2HorizontalPodAutoscaler, V2MetricSpec } from '@kubernetes/client-node';
import type { AutoscalingEngine, SyncPipeline } from '../api/v1alpha1.js';
import { CONSUMER_GROUPS, type ConsumerName, type TopicName } from '../../workloads/shared/domain.js';
import { DEFAULTS, lagThreshold, requestedEngine, type ComponentName, type ComponentSettings } from './defaults.js';
import { childMeta } from './metadata.js';
import { componentLabels, deploymentName } from './naming.js';

export interface Capabilities {
  /** Served KafkaTopic API version, or undefined when Strimzi's CRD is not installed. */
  kafkaTopicApiVersion?: 'kafka.strimzi.io/v1' | 'kafka.strimzi.io/v1beta2';
  /** Whether KEDA's ScaledObject CRD is installed. */
  keda: boolean;
}

export interface EngineDecision {
  engine: AutoscalingEngine;
  /** Set when the requested engine could not be used. */
  fallbackReason?: string;
}

export function resolveEngine(p: SyncPipeline, caps: Capabilities): EngineDecision {
  const wanted = requestedEngine(p.spec);
  if (wanted === 'keda' && !caps.keda) {
    return { engine: 'hpa', fallbackReason: 'KEDA is not installed (no keda.sh/v1alpha1 ScaledObject API); consumers scale on CPU and memory through HPAs instead of Kafka lag' };
  }
  return { engine: wanted };
}

const SCALE_DOWN_STABILIZATION_SECONDS = 300;

function utilizationMetrics(p: SyncPipeline): V2MetricSpec[] {
  const a = p.spec.autoscaling;
  const metric = (name: 'cpu' | 'memory', value: number): V2MetricSpec => ({
    type: 'Resource',
    resource: { name, target: { type: 'Utilization', averageUtilization: value } },
  });
  return [metric('cpu', a?.cpuTargetUtilization ?? DEFAULTS.targetUtilization), metric('memory', a?.memoryTargetUtilization ?? DEFAULTS.targetUtilization)];
}

export function hpa(p: SyncPipeline, c: ComponentName, s: ComponentSettings): V2HorizontalPodAutoscaler {
  const name = p.metadata.name;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: childMeta(p, deploymentName(name, c), componentLabels(name, c)),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deploymentName(name, c) },
      // An HPA cannot go below one replica.
      minReplicas: Math.max(1, s.replicas.min),
      maxReplicas: Math.max(1, s.replicas.max),
      metrics: utilizationMetrics(p),
      behavior: { scaleDown: { stabilizationWindowSeconds: SCALE_DOWN_STABILIZATION_SECONDS } },
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
    triggers: { type: string; metricType?: string; metadata: Record<string, string> }[];
  };
}

export function scaledObject(p: SyncPipeline, c: ConsumerName, s: ComponentSettings, topics: TopicName[]): ScaledObject {
  const name = p.metadata.name;
  const a = p.spec.autoscaling;
  const brokers = p.spec.kafka.bootstrapServers.join(',');
  const kafkaTriggers = topics.map((topic) => ({
    type: 'kafka',
    metadata: {
      bootstrapServers: brokers,
      consumerGroup: CONSUMER_GROUPS[c],
      topic,
      lagThreshold: String(lagThreshold(p.spec, topic)),
      // A group that has not committed yet still has work: count from the beginning.
      offsetResetPolicy: 'earliest',
      // More replicas than partitions would idle.
      allowIdleConsumers: 'false',
    },
  }));
  const utilization = utilizationMetrics(p).map((m) => ({
    type: m.resource!.name,
    metricType: 'Utilization',
    metadata: { value: String(m.resource!.target.averageUtilization) },
  }));
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: childMeta(p, deploymentName(name, c), componentLabels(name, c)),
    spec: {
      scaleTargetRef: { name: deploymentName(name, c) },
      minReplicaCount: s.replicas.min,
      maxReplicaCount: s.replicas.max,
      pollingInterval: a?.pollingIntervalSeconds ?? DEFAULTS.pollingIntervalSeconds,
      cooldownPeriod: a?.cooldownPeriodSeconds ?? DEFAULTS.cooldownPeriodSeconds,
      advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: SCALE_DOWN_STABILIZATION_SECONDS } } } },
      triggers: [...kafkaTriggers, ...utilization],
    },
  };
}
