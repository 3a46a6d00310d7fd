// What the cluster can do: which KafkaTopic API version Strimzi serves (v1 from Strimzi 0.49,
// only v1 from 1.0; v1beta2 before), whether KEDA's ScaledObject API exists, and whether the
// Prometheus Operator's PodMonitor API does.
import * as k8s from '@kubernetes/client-node';
import type { Capabilities } from '../model/objects/autoscaling.js';

export interface CapabilitySource {
  discover(): Promise<Capabilities>;
}

export class ApiDiscovery implements CapabilitySource {
  private readonly apis: k8s.ApisApi;
  constructor(kc: k8s.KubeConfig) {
    this.apis = kc.makeApiClient(k8s.ApisApi);
  }

  async discover(): Promise<Capabilities> {
    const groups = await this.apis.getAPIVersions();
    const versions = (group: string): string[] => groups.groups.find((g) => g.name === group)?.versions.map((v) => v.version) ?? [];
    const strimzi = versions('kafka.strimzi.io');
    const kafkaTopicApiVersion = strimzi.includes('v1') ? 'kafka.strimzi.io/v1' : strimzi.includes('v1beta2') ? 'kafka.strimzi.io/v1beta2' : undefined;
    return {
      keda: versions('keda.sh').includes('v1alpha1'),
      ...(kafkaTopicApiVersion ? { kafkaTopicApiVersion } : {}),
      ...(versions('monitoring.coreos.com').includes('v1') ? { podMonitor: true } : {}),
    };
  }
}
