// A PodMonitor (Prometheus Operator) for the pipeline's workloads: every Producer API and
// consumer pod serves /metrics on its port named `metrics` (the producer's is not its API port).
// The migration and maintenance pods expose no port, so the port name alone keeps them out.
// Each series gets the labels the shipped alert rules and dashboard group by (config/prometheus,
// config/grafana): `pipeline` (the pods' app.kubernetes.io/instance) and `component` (producer,
// consumer-sms, ...), besides the namespace and pod the Prometheus Operator adds.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResolvedPipeline } from '../resolve.js';
import { APP_NAME, instanceLabels } from '../naming.js';
import { COMPONENT_LABEL, INSTANCE_LABEL, NAME_LABEL } from '../../../core/labels.js';
import { childMeta } from './metadata.js';
import { METRICS_PORT_NAME } from './workloads.js';

export interface PodMonitor extends KubernetesObject {
  spec: {
    selector: { matchLabels: Record<string, string> };
    podMetricsEndpoints: { port: string; path: string; interval: string; relabelings: { sourceLabels: string[]; targetLabel: string }[] }[];
  };
}

function podMonitorName(pipeline: string): string {
  return `${pipeline}-workloads`;
}

/** The pipeline's PodMonitor; the caller checks that one is asked for (`r.podMonitor`). */
export function podMonitor(r: ResolvedPipeline, pm: NonNullable<ResolvedPipeline['podMonitor']>): PodMonitor {
  const name = r.metadata.name;
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: childMeta(r, podMonitorName(name), { ...pm.labels, ...instanceLabels(name), [COMPONENT_LABEL]: 'monitoring' }),
    spec: {
      selector: { matchLabels: { [NAME_LABEL]: APP_NAME, [INSTANCE_LABEL]: name } },
      podMetricsEndpoints: [
        {
          port: METRICS_PORT_NAME,
          path: '/metrics',
          interval: pm.interval,
          relabelings: [
            { sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_instance'], targetLabel: 'pipeline' },
            { sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_component'], targetLabel: 'component' },
          ],
        },
      ],
    },
  };
}
