// The Job controller's and the kubelet's part for the operator's Jobs, neither of which runs
// on the test cluster. `runJob` runs a Job's container command (the workload image's entry
// point, from dist/) with the Job's own environment, Secret references resolved from the API
// server, then writes the status the Job controller writes for that outcome. `markJob*` write
// a status without running anything, for suites that only need the gate opened or closed.
// The status shapes were checked against kube-apiserver 1.35's Job status validation
// (Complete needs SuccessCriteriaMet first, Failed needs FailureTarget first).
import type { V1EnvVar } from '@kubernetes/client-node';
import { runToExit } from './managed-process.js';

export type Kubectl = (args: string[], input?: string) => string;

interface JobObject {
  metadata: { name: string; namespace: string };
  spec: { template: { spec: { containers: { args?: string[]; env?: V1EnvVar[] }[] } } };
  status?: { startTime?: string; conditions?: { type: string; status: string }[] };
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function patchStatus(kubectl: Kubectl, ns: string, name: string, status: Record<string, unknown>): void {
  kubectl(['patch', 'job', name, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

function condition(type: string, reason: string, message: string) {
  const t = now();
  return { type, status: 'True', reason, message, lastTransitionTime: t, lastProbeTime: t };
}

function isFinished(job: JobObject): boolean {
  return job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') ?? false;
}

function markJobRunning(kubectl: Kubectl, ns: string, name: string): void {
  patchStatus(kubectl, ns, name, { startTime: now(), active: 1 });
}

/**
 * The status the Job controller writes when its one pod succeeded (SuccessCriteriaMet, then
 * Complete); with `started`, also the start time, for a Job never marked running.
 */
export function succeededJobStatus(opts: { started?: boolean } = {}): Record<string, unknown> {
  return {
    ...(opts.started ? { startTime: now() } : {}),
    active: 0,
    succeeded: 1,
    ready: 0,
    completionTime: now(),
    conditions: [
      condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'),
      condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'),
    ],
  };
}

export function markJobSucceeded(kubectl: Kubectl, ns: string, name: string): void {
  const job = JSON.parse(kubectl(['get', 'job', name, '-n', ns, '-o', 'json'])) as JobObject;
  if (!job.status?.startTime) markJobRunning(kubectl, ns, name);
  patchStatus(kubectl, ns, name, succeededJobStatus());
}

export function markJobFailed(kubectl: Kubectl, ns: string, name: string, message = 'Job has reached the specified backoff limit'): void {
  const job = JSON.parse(kubectl(['get', 'job', name, '-n', ns, '-o', 'json'])) as JobObject;
  if (!job.status?.startTime) markJobRunning(kubectl, ns, name);
  patchStatus(kubectl, ns, name, {
    active: 0,
    failed: 1,
    ready: 0,
    conditions: [condition('FailureTarget', 'BackoffLimitExceeded', message), condition('Failed', 'BackoffLimitExceeded', message)],
  });
}

/** Jobs of a pipeline that have not finished, by name. */
export function unfinishedJobs(kubectl: Kubectl, ns: string, pipeline: string): string[] {
  const list = JSON.parse(kubectl(['get', 'jobs', '-n', ns, '-l', `app.kubernetes.io/instance=${pipeline}`, '-o', 'json'])) as { items: JobObject[] };
  return list.items.filter((j) => !isFinished(j)).map((j) => j.metadata.name);
}

/** A container's environment as the kubelet would give it: literal values and secretKeyRefs. */
function resolveEnv(kubectl: Kubectl, ns: string, env: V1EnvVar[]): Record<string, string> {
  const secrets = new Map<string, Record<string, string>>();
  const out: Record<string, string> = {};
  for (const e of env) {
    if (e.value !== undefined) out[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) {
      const { name, key } = e.valueFrom.secretKeyRef;
      if (!secrets.has(name!))
        secrets.set(name!, (JSON.parse(kubectl(['get', 'secret', name!, '-n', ns, '-o', 'json'])) as { data?: Record<string, string> }).data ?? {});
      const b64 = secrets.get(name!)![key];
      if (b64 === undefined) throw new Error(`Secret ${name} has no key ${key}`);
      out[e.name] = Buffer.from(b64, 'base64').toString('utf8');
    } else throw new Error(`env ${e.name}: only value and secretKeyRef are resolved here`);
  }
  return out;
}

/**
 * Runs the Job's container the way its pod would (args to the workload entry point, its env
 * only), and writes Complete or Failed by the exit code. Returns the exit code and the log.
 */
export async function runJob(kubectl: Kubectl, ns: string, name: string): Promise<{ code: number | null; log: string }> {
  const job = JSON.parse(kubectl(['get', 'job', name, '-n', ns, '-o', 'json'])) as JobObject;
  const container = job.spec.template.spec.containers[0]!;
  const env = resolveEnv(kubectl, ns, container.env ?? []);
  markJobRunning(kubectl, ns, name);
  const { code, log } = await runToExit(['workloads', 'entrypoint.js'], container.args ?? [], { PATH: process.env.PATH ?? '', ...env });
  if (code === 0) markJobSucceeded(kubectl, ns, name);
  else markJobFailed(kubectl, ns, name, `pod exited with code ${code}: ${log.trim().split('\n').pop() ?? ''}`.slice(0, 1000));
  return { code, log };
}

/**
 * A Job controller stand-in for suites with many pipelines: every unfinished Job in the
 * namespace is reported succeeded shortly after it appears.
 */
export function autoCompleteJobs(kubectl: Kubectl, ns: string, intervalMs = 300): { stop(): void } {
  const timer = setInterval(() => {
    try {
      const list = JSON.parse(kubectl(['get', 'jobs', '-n', ns, '-o', 'json'])) as { items: JobObject[] };
      for (const j of list.items.filter((x) => !isFinished(x))) markJobSucceeded(kubectl, ns, j.metadata.name);
    } catch {
      // a Job deleted between list and patch: the next tick sees the truth
    }
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}
