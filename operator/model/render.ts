// spec -> desired objects. The one entry point of the pure model: the operator applies what
// this returns, and `mobileforge render` prints it. The spec is resolved first (resolve.ts) and
// the builders read only the resolved pipeline. No I/O; everything it needs to know about the
// cluster (capabilities, current partition counts, the hash of referenced Secrets) is an
// argument.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { AutoscalingEngine, SyncPipeline } from '../api/v1alpha1.js';
import { topicsForConsumer, type ComponentName } from '../../core/domain.js';
import { resolveEngine, hpa, kafkaTriggerAuthentication, scaledObject, utilizationSignals, type Capabilities } from './objects/autoscaling.js';
import { productionFloorAdjustments, resolve, type ComponentSettings, type ResolvedPipeline } from './resolve.js';
import type { Sizing } from './sizing/ladder.js';
import { overProvisioning } from './sizing/guard-rails.js';
import { kafkaTopic } from './kafka/strimzi.js';
import { desiredTopics, type DesiredTopic, type PartitionCounts } from './kafka/topics.js';
import { migrationJob, partitionsCronJob } from './objects/maintenance.js';
import { podMonitor } from './objects/monitoring.js';
import { deployment, disruptionBudget, ignoredEnv, producerIngress, producerService, workloadServiceAccount } from './objects/workloads.js';

export interface RenderInput {
  capabilities: Capabilities;
  /** Partitions the topics already have: the model never asks for fewer. */
  existingPartitions?: PartitionCounts;
  /** Hash of the Secrets and ConfigMaps the pods reference. */
  configHash?: string;
}

export interface RenderResult {
  /** The pipeline as it was rendered: every default applied. */
  resolved: ResolvedPipeline;
  sizing: Sizing;
  /** The producer and the consumers of the spec's layout. */
  components: Readonly<Partial<Record<ComponentName, ComponentSettings>>>;
  topics: DesiredTopic[];
  engine: AutoscalingEngine;
  /** The resource metrics the autoscalers read besides lag: "CPU", or "CPU, memory". */
  utilization: string;
  /** Why the requested autoscaling engine was replaced, if it was. */
  engineFallback?: string;
  /** Set when topics are wanted from Strimzi but its KafkaTopic API is missing. */
  topicsBlocked?: string;
  /** Whether a PodMonitor was asked for, and why there is none if so. */
  monitoring?: { podMonitor: string } | { blocked: string };
  /** Where the spec asks for more than the sizing model finds useful (the OverProvisioned condition). */
  overProvisioned: string[];
  /** Where the operator applies something other than the spec states, and why (the Adjusted condition). */
  adjusted: string[];
  /** Name of the migration Job the workloads wait for. */
  migrationJob: string;
  objects: KubernetesObject[];
}

/** Resolves the pipeline, then renders it. */
export function render(p: SyncPipeline, input: RenderInput): RenderResult {
  return renderResolved(resolve(p), input);
}

export function renderResolved(r: ResolvedPipeline, input: RenderInput): RenderResult {
  const names = r.components;
  const settings = (c: ComponentName): ComponentSettings => r.settings[c]!;
  const topics = desiredTopics(r, input.existingPartitions);
  const { engine, fallbackReason } = resolveEngine(r, input.capabilities);

  const migration = migrationJob(r);
  const objects: KubernetesObject[] = [workloadServiceAccount(r), migration, partitionsCronJob(r)];
  for (const c of names) {
    const s = settings(c);
    // With an autoscaler the Deployment never states replicas: the autoscaler owns them.
    objects.push(
      deployment(r, c, { ...(engine === 'none' ? { replicas: s.replicas.min } : {}), ...(input.configHash ? { configHash: input.configHash } : {}) }),
    );
    objects.push(disruptionBudget(r, c));
  }
  objects.push(producerService(r));
  const ingress = producerIngress(r);
  if (ingress) objects.push(ingress);

  if (engine !== 'none') objects.push(hpa(r, 'producer'));
  const triggerAuth = engine === 'keda' ? kafkaTriggerAuthentication(r) : undefined;
  if (triggerAuth) objects.push(triggerAuth);
  for (const c of names) {
    if (c === 'producer') continue;
    if (engine === 'keda') objects.push(scaledObject(r, c, topicsForConsumer(c, r.region)));
    else if (engine === 'hpa') objects.push(hpa(r, c));
  }

  let monitoring: RenderResult['monitoring'];
  if (r.podMonitor) {
    if (input.capabilities.podMonitor) {
      const pm = podMonitor(r, r.podMonitor);
      objects.push(pm);
      monitoring = { podMonitor: pm.metadata!.name! };
    } else
      monitoring = {
        blocked:
          "monitoring.podMonitor is enabled but the cluster serves no PodMonitor API (monitoring.coreos.com/v1): install the Prometheus Operator, or scrape the pods' /metrics another way",
      };
  }

  let topicsBlocked: string | undefined;
  if (r.kafka.topics.kafkaTopics) {
    const version = input.capabilities.kafkaTopicApiVersion;
    if (version) objects.push(...topics.map((t) => kafkaTopic(r, t, version)));
    else
      topicsBlocked =
        'topic management is "strimzi" but the cluster serves no KafkaTopic API (kafka.strimzi.io/v1 or v1beta2): install Strimzi or use mode "admin"';
  }

  return {
    resolved: r,
    sizing: r.sizing,
    components: r.settings,
    topics,
    engine,
    utilization: utilizationSignals(r),
    ...(fallbackReason ? { engineFallback: fallbackReason } : {}),
    ...(topicsBlocked ? { topicsBlocked } : {}),
    ...(monitoring ? { monitoring } : {}),
    overProvisioned: overProvisioning(r),
    adjusted: [...productionFloorAdjustments(r), ...ignoredEnv(r)],
    migrationJob: migration.metadata!.name!,
    objects,
  };
}
