// Environment profiles: the resources of one workload pod.
//
// Every workload (the Producer API, each consumer) is a single Node.js process: its JavaScript
// runs on one thread, so one pod can use about one core however many it is given. Measured on
// the producer at saturation (docs/benchmarks.md): 1.0 core, its main thread about 90 %, RSS
// 175-260 MB. A pod therefore requests at most one core, and the autoscalers' CPU target is a
// share of that request one process reaches well before it saturates; more throughput comes
// from more pods (the Kubernetes norm), not from bigger ones. The reference deployment's
// machine sizes (2 vCPU / 2 GB, 4 vCPU / 8 GB) describe the VMs it ran containers on, not what
// one process needs: sized from them, a pod requested 3 cores it could never use and a 50 %
// target meant 1.5 cores, so the HPA could never fire.
// Requests and limits can be overridden per component in the spec.
import type { Environment } from '../../api/v1alpha1.js';

export interface NodeSpec {
  readonly vcpu: number;
  readonly memoryGiB: number;
}

export interface PodResources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** The most CPU one workload process can use, in cores (its one JavaScript thread). */
export const ONE_PROCESS_CPU = 1.0;

/** The reference deployment's machines ("each node has the following resources"), for the plan's comparison. */
const NODE_SPECS: Readonly<Record<'dev-uat' | 'production', NodeSpec>> = {
  'dev-uat': { vcpu: 2, memoryGiB: 2 },
  production: { vcpu: 4, memoryGiB: 8 },
};

export function nodeSpecFor(environment: Environment): NodeSpec {
  return environment === 'production' ? NODE_SPECS.production : NODE_SPECS['dev-uat'];
}

/**
 * Production: a whole core (what one process can use) and room for a peak heap; the limit
 * leaves headroom for the garbage collector's and libuv's threads. Dev and UAT: half of that,
 * enough for their traffic and cheap to run several of.
 */
const PROFILES: Readonly<Record<'dev-uat' | 'production', PodResources>> = {
  production: { requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '1500m', memory: '1Gi' } },
  'dev-uat': { requests: { cpu: '500m', memory: '384Mi' }, limits: { cpu: '1', memory: '768Mi' } },
};

export function podResourcesFor(environment: Environment): PodResources {
  const p = environment === 'production' ? PROFILES.production : PROFILES['dev-uat'];
  return { requests: { ...p.requests }, limits: { ...p.limits } };
}
