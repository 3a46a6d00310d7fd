// Environment profiles: pod resources derived from the seed's per-node specs.
//
// The seed sizes components in nodes ("Producer Nodes 1-3") and gives each node's size:
// Dev/UAT 2 vCPU / 2 GB, Production 4 vCPU / 8 GB. We run one pod where the seed runs one
// node, so a pod may use what such a node has left after the kubelet, the OS and daemonsets:
// - limits = the node's allocatable share: 7/8 of its CPU and memory (managed node pools
//   reserve roughly 1/8 on nodes of this size);
// - requests = 6/8 of the node: what the scheduler must find free; the 50% utilisation
//   target of the autoscalers then fires near the seed's "scale at 50% of the node".
// Requests and limits can be overridden per component in the spec.
import type { Environment } from '../api/v1alpha1.js';

export interface NodeSpec {
  readonly vcpu: number;
  readonly memoryGiB: number;
}

export interface PodResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** The seed's "each node has the following resources" table. */
const NODE_SPECS: Readonly<Record<'dev-uat' | 'production', NodeSpec>> = {
  'dev-uat': { vcpu: 2, memoryGiB: 2 },
  production: { vcpu: 4, memoryGiB: 8 },
};

export function nodeSpecFor(environment: Environment): NodeSpec {
  return environment === 'production' ? NODE_SPECS.production : NODE_SPECS['dev-uat'];
}

const milli = (vcpu: number): string => `${Math.round(vcpu * 1000)}m`;
const mebi = (gib: number): string => `${Math.round(gib * 1024)}Mi`;

export function podResourcesFor(environment: Environment): PodResources {
  const node = nodeSpecFor(environment);
  return {
    requests: { cpu: milli((node.vcpu * 6) / 8), memory: mebi((node.memoryGiB * 6) / 8) },
    limits: { cpu: milli((node.vcpu * 7) / 8), memory: mebi((node.memoryGiB * 7) / 8) },
  };
}
