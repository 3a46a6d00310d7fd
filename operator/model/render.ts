// spec -> desired objects. The one entry point of the pure model: the operator applies what
// this returns, and `mobileforge render` prints it. No I/O; everything it needs to know about
// the cluster (capabilities, current partition counts, the hash of referenced Secrets) is an
// argument.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { AutoscalingEngine, SyncPipeline } from '../api/v1alpha1.js';
import { topicsForConsumer, type ComponentName } from '../../core/domain.js';
import { resolveEngine, hpa, kafkaTriggerAuthentication, scaledObject, utilizationSignals, type Capabilities } from './objects/autoscaling.js';
import { componentSettings, pipelineComponents, productionFloorAdjustments, topicMode, type ComponentSettings } from './defaults.js';
import { sizeFor, type Sizing } from './sizing/ladder.js';
import { overProvisioning } from './sizing/guard-rails.js';
import { kafkaTopic } from './kafka/strimzi.js';
import { desiredTopics, type DesiredTopic, type PartitionCounts } from './kafka/topics.js';
import { migrationJob, partitionsCronJob } from './objects/maintenance.js';
import { podMonitor, wantsPodMonitor } from './objects/monitoring.js';
import { deployment, disruptionBudget, ignoredEnv, producerIngress, producerService, workloadServiceAccount } from './objects/workloads.js';

export interface RenderInput {
  capabilities: Capabilities;
  /** Partitions the topics already have: the model never asks for fewer. */
  existingPartitions?: PartitionCounts;
  /** Hash of the Secrets and ConfigMaps the pods reference. */
  configHash?: string;
}

export interface RenderResult {
  sizing: Sizing;
  /** The producer and the consumers of the spec's layout. */
  components: Partial<Record<ComponentName, ComponentSettings>>;
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

export function render(p: SyncPipeline, input: RenderInput): RenderResult {
  const spec = p.spec;
  const sizing = sizeFor(spec);
  const names = pipelineComponents(spec);
  const components: Partial<Record<ComponentName, ComponentSettings>> = Object.fromEntries(names.map((c) => [c, componentSettings(spec, sizing, c)]));
  const settings = (c: ComponentName): ComponentSettings => components[c]!;
  const topics = desiredTopics(spec, sizing, input.existingPartitions);
  const { engine, fallbackReason } = resolveEngine(p, input.capabilities);

  const migration = migrationJob(p);
  const objects: KubernetesObject[] = [workloadServiceAccount(p), migration, partitionsCronJob(p)];
  for (const c of names) {
    const s = settings(c);
    // With an autoscaler the Deployment never states replicas: the autoscaler owns them.
    objects.push(
      deployment(p, c, s, { ...(engine === 'none' ? { replicas: s.replicas.min } : {}), ...(input.configHash ? { configHash: input.configHash } : {}) }),
    );
    objects.push(disruptionBudget(p, c));
  }
  objects.push(producerService(p));
  const ingress = producerIngress(p);
  if (ingress) objects.push(ingress);

  if (engine !== 'none') objects.push(hpa(p, 'producer', settings('producer')));
  const triggerAuth = engine === 'keda' ? kafkaTriggerAuthentication(p) : undefined;
  if (triggerAuth) objects.push(triggerAuth);
  for (const c of names) {
    if (c === 'producer') continue;
    if (engine === 'keda') objects.push(scaledObject(p, c, settings(c), topicsForConsumer(c, spec.region)));
    else if (engine === 'hpa') objects.push(hpa(p, c, settings(c)));
  }

  let monitoring: RenderResult['monitoring'];
  if (wantsPodMonitor(p)) {
    if (input.capabilities.podMonitor) {
      const pm = podMonitor(p);
      objects.push(pm);
      monitoring = { podMonitor: pm.metadata!.name! };
    } else
      monitoring = {
        blocked:
          "monitoring.podMonitor is enabled but the cluster serves no PodMonitor API (monitoring.coreos.com/v1): install the Prometheus Operator, or scrape the pods' /metrics another way",
      };
  }

  let topicsBlocked: string | undefined;
  if (topicMode(spec) === 'strimzi') {
    const version = input.capabilities.kafkaTopicApiVersion;
    if (version) objects.push(...topics.map((t) => kafkaTopic(p, t, version)));
    else
      topicsBlocked =
        'topic management is "strimzi" but the cluster serves no KafkaTopic API (kafka.strimzi.io/v1 or v1beta2): install Strimzi or use mode "admin"';
  }

  return {
    sizing,
    components,
    topics,
    engine,
    utilization: utilizationSignals(p),
    ...(fallbackReason ? { engineFallback: fallbackReason } : {}),
    ...(topicsBlocked ? { topicsBlocked } : {}),
    ...(monitoring ? { monitoring } : {}),
    overProvisioned: overProvisioning(spec, sizing),
    adjusted: [...productionFloorAdjustments(spec), ...ignoredEnv(spec)],
    migrationJob: migration.metadata!.name!,
    objects,
  };
}
