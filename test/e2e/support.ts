// What the end-to-end tests and the demo share: kubectl and helm against the local node, the
// images test/infra/images.sh built, and a pipeline pointed at the local services as the
// node's pods reach them (the bridge address), with requests small enough for one node.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../operator/util/repo-root.js';
import type { SyncPipeline } from '../../operator/api/v1alpha1.js';
import type { SyncBatch } from '../../workloads/client/sync-client.js';
import { testLabels } from '../support/test-owner.js';
import { waitFor } from '../support/wait.js';
import type { Kafka } from 'kafkajs';
import { MESSAGE_VERSION, messageKey, splitIntoMessages } from '../../core/message.js';

const root = packageRoot();

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: start the node with \`bash test/infra/infra.sh up node\` (docs/testing.md)`);
  return v;
}

const OPERATOR_IMAGE = 'localhost/mobileforge/mobileforge-operator';
export const WORKLOAD_IMAGE = 'localhost/mobileforge/sync-workload';
export const OPERATOR_NAMESPACE = 'mobileforge-system';
export const OPERATOR_RELEASE = 'mobileforge';

/** kubectl against the node's cluster. */
export function nodeKubectl(args: string[], input?: string): string {
  return execFileSync(need('KUBECTL'), args, {
    env: { ...process.env, KUBECONFIG: need('NODE_KUBECONFIG') },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(input !== undefined ? { input } : {}),
  });
}

export function nodeGetJson<T>(args: string[]): T {
  return JSON.parse(nodeKubectl([...args, '-o', 'json'])) as T;
}

/** The tag images.sh gives the current sources (the images `images.sh load` put on the node). */
export function imageTag(): string {
  return execFileSync('bash', [join(root, 'test', 'infra', 'images.sh'), 'tag'], { encoding: 'utf8' }).trim();
}

/**
 * The operator image of an earlier commit, built from that commit's Dockerfile.operator and put
 * on the node (images.sh previous), and that commit's chart, extracted to `dir`: what a cluster
 * ran before an upgrade. Returns the image's tag and the chart's directory.
 */
export function previousOperator(ref: string, dir: string): { tag: string; chart: string } {
  const image = execFileSync('bash', [join(root, 'test', 'infra', 'images.sh'), 'previous', ref], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
  execFileSync('sh', ['-c', `git -C "$1" archive "$2" charts/mobileforge-operator | tar -x -C "$3"`, 'sh', root, ref, dir]);
  return { tag: image.slice(image.lastIndexOf(':') + 1), chart: join(dir, 'charts', 'mobileforge-operator') };
}

/** Tags an image already on the node under another tag (same content), as a registry would serve a new tag. */
export function retagOnNode(repo: string, from: string, to: string): void {
  execFileSync('ctr', ['--address', need('NODE_CONTAINERD_ADDRESS'), '--namespace', 'k8s.io', 'images', 'tag', '--force', `${repo}:${from}`, `${repo}:${to}`], {
    stdio: 'ignore',
  });
}

/**
 * `helm upgrade --install` of charts/mobileforge-operator with the locally built operator image,
 * after applying the chart's CRD as docs/install.md says an upgrade does (Helm installs the CRDs
 * in crds/ once and never upgrades them; the node keeps its cluster between runs).
 */
export function installOperator(tag: string, extra: string[] = [], chart = join(root, 'charts', 'mobileforge-operator')): string {
  nodeKubectl(['apply', '--server-side', '--force-conflicts', '-f', join(chart, 'crds')]);
  return execFileSync(
    join(need('MOBILEFORGE_BIN'), 'helm'),
    [
      'upgrade',
      '--install',
      OPERATOR_RELEASE,
      chart,
      '--namespace',
      OPERATOR_NAMESPACE,
      '--create-namespace',
      '--set',
      `image.repository=${OPERATOR_IMAGE}`,
      '--set',
      `image.tag=${tag}`,
      // one replica keeps the node lean; leader election stays on as installed by default
      '--set',
      'replicaCount=1',
      '--wait',
      '--timeout',
      '3m',
      ...extra,
    ],
    { env: { ...process.env, KUBECONFIG: need('NODE_KUBECONFIG') }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/**
 * The Secrets `nodePipeline` pipelines read, in namespace `ns`: `pg` (PostgreSQL user name and
 * password) and `mongo` (the node's MongoDB URI).
 */
export function createDatabaseSecrets(ns: string, postgres: { username: string; password: string }): void {
  nodeKubectl(['create', 'secret', 'generic', 'pg', '-n', ns, `--from-literal=username=${postgres.username}`, `--from-literal=password=${postgres.password}`]);
  nodeKubectl(['create', 'secret', 'generic', 'mongo', '-n', ns, `--from-literal=uri=${need('NODE_MONGODB_URI')}`]);
}

/** Small requests: the environment profiles ask for most of a 2-vCPU node per pod. */
const SMALL = { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '500m', memory: '384Mi' } };
const ONE = { minReplicas: 1, maxReplicas: 1 };

export interface NodePipelineOptions {
  name: string;
  namespace: string;
  tag: string;
  databases: { insights: string; sync: string };
  mongoDatabase: string;
  postgresSecret: string;
  mongoSecret: string;
  /**
   * Its topics' and consumer groups' prefix (default: the namespace and a dot). Every pipeline
   * on the node's Kafka has one of its own, so that a demo left running, another suite or an
   * earlier run's topics and groups never meet this one's.
   */
  topicPrefix?: string;
}

/** A dev pipeline on the local services, reached at the node bridge's address. */
export function nodePipeline(o: NodePipelineOptions): SyncPipeline {
  return {
    apiVersion: 'mobileforge.credeau.com/v1alpha1',
    kind: 'MobileForgeSyncPipeline',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      dau: 5000,
      environment: 'dev',
      region: 'other',
      image: { repository: WORKLOAD_IMAGE, tag: o.tag, pullPolicy: 'IfNotPresent' },
      kafka: {
        bootstrapServers: need('NODE_KAFKA_BROKERS').split(','),
        replicationFactor: 1,
        topicPrefix: o.topicPrefix ?? `${o.namespace}.`,
        // its topics go with it
        topicManagement: { mode: 'admin', deleteTopicsOnDeletion: true },
      },
      postgres: {
        host: need('NODE_PGHOST'),
        port: Number(need('PGPORT')),
        database: o.databases.insights,
        syncDatabase: o.databases.sync,
        sslMode: 'disable',
        credentialsSecretRef: { name: o.postgresSecret },
      },
      mongodb: { uriSecretRef: { name: o.mongoSecret }, database: o.mongoDatabase },
      autoscaling: { engine: 'hpa' },
      // One replica each: the node's HPA controller reads real pod metrics, and any busy Node
      // process exceeds these small requests, so the HPAs would otherwise add pods mid-test.
      // test/e2e/autoscaling.test.ts sets its own ranges to watch them scale.
      producer: { resources: SMALL, ...ONE },
      consumers: { sms: { resources: SMALL, ...ONE }, events: { resources: SMALL, ...ONE }, common: { resources: SMALL, ...ONE } },
      maintenance: { resources: SMALL },
    },
  };
}

export interface PodList {
  items: {
    metadata: {
      name: string;
      uid?: string;
      namespace?: string;
      labels?: Record<string, string>;
      ownerReferences?: { kind: string; name: string }[];
      deletionTimestamp?: string;
    };
    spec: { containers: { image: string }[]; serviceAccountName?: string };
    status: { phase: string; conditions?: { type: string; status: string }[]; containerStatuses?: { ready: boolean; restartCount: number; imageID: string }[] };
  }[];
}

/** What a Deployment's status says of its rollout. */
export interface DeploymentRollout {
  metadata: { generation?: number };
  status: { readyReplicas?: number; updatedReplicas?: number; replicas?: number; observedGeneration?: number; unavailableReplicas?: number };
}

/** `count` Deployments, each rolled out: its pods are the current template's and ready through their probes. */
export function allRolledOut(ds: readonly DeploymentRollout[], count: number): boolean {
  return (
    ds.length === count &&
    ds.every(
      (d) =>
        d.status.observedGeneration === d.metadata.generation &&
        (d.status.replicas ?? 0) === (d.status.updatedReplicas ?? -1) &&
        (d.status.readyReplicas ?? 0) >= 1 &&
        !d.status.unavailableReplicas,
    )
  );
}

export const podReady = (p: PodList['items'][number]): boolean => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/**
 * Creates a namespace on the node for one suite, labelled as a test's (test/support/test-owner.ts):
 * if the run is killed before its afterAll, test/infra/sweep.sh removes it on the next run.
 */
export function createTestNamespace(ns: string): void {
  const labels = Object.entries(testLabels()).map(([k, v]) => `${k}=${v}`);
  nodeKubectl(['create', 'namespace', ns]);
  nodeKubectl(['label', 'namespace', ns, ...labels]);
}

/**
 * Removes a suite's namespace from the node and waits until it is gone: its pipelines first (the
 * operator's finalizer deletes their topics), then everything else. The next suite then starts
 * on an idle node. Best effort: the node may be down already.
 */
export function removeTestNamespace(ns: string): void {
  try {
    nodeKubectl(['delete', 'syncpipelines', '--all', '-n', ns, '--ignore-not-found', '--wait=true', '--timeout=90s']);
  } catch {
    // the namespace's deletion below still removes the rest
  }
  try {
    nodeKubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=true', '--timeout=120s']);
  } catch {
    // left to test/infra/sweep.sh on the next run
  }
}

/** A batch of `n` SMS records: the user is `userId` (default `user-1`), each body `body(i)` (default a short debit). */
export function smsBatch(requestId: string, n: number, o: { userId?: string; body?: (i: number) => string } = {}): SyncBatch {
  return {
    request_id: requestId,
    user_id: o.userId ?? 'user-1',
    sdk_version: '2.4.0',
    device: { device_id: 'd-1', android_id: 'a-1' },
    records: Array.from({ length: n }, (_, i) => ({
      id: `${requestId}-${i}`,
      sender: 'AX-BANK',
      body: o.body ? o.body(i) : `debited INR ${i}`,
      timestamp: 1764000000000 + i,
      type: 'inbox',
    })),
  };
}

/** SMS batches that read like UPI debit alerts (the heaviest SMS the workload model counts). */
export function upiSms(requestId: string, n: number): SyncBatch {
  return smsBatch(requestId, n, {
    userId: `user-${requestId.length % 11}`,
    body: (i) => `Rs.${i}.00 debited from a/c XXXX${i % 97} to VPA XXXXXXXX@ybl (UPI Ref No XXXXXXXX${i}). Not you? Call 1800XXXXXXX`,
  });
}

/**
 * A backlog on a pipeline's SMS topic, written as the Producer API writes it (its message
 * format and key), faster than one consumer stores it: `messages` messages of `records`
 * records, request ids `${prefix}-${n}`.
 */
export async function writeSmsBacklog(kafka: Kafka, topic: string, clientId: string, prefix: string, messages: number, records: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < messages; i += 100) {
      await producer.send({
        topic,
        messages: Array.from({ length: Math.min(100, messages - i) }, (_, j) => {
          const batch = upiSms(`${prefix}-${i + j}`, records);
          const header: Parameters<typeof splitIntoMessages>[0] = {
            v: MESSAGE_VERSION,
            request_id: batch.request_id,
            client_id: clientId,
            user_id: batch.user_id,
            source: 'sms',
            sdk_version: batch.sdk_version,
            device: batch.device,
            received_at: new Date().toISOString(),
          };
          return { key: messageKey(clientId, batch.user_id), value: splitIntoMessages(header, batch.records as Record<string, unknown>[], 900_000)[0]! };
        }),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * `waitFor` that, when it times out, adds what `describeState` says of the cluster (pods,
 * pipeline status): a failed wait on the node then explains itself in the test output.
 */
export function waiterWithState(
  describeState: () => string,
  intervalMs = 1000,
): <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number) => Promise<T> {
  return async (what, probe, timeoutMs) => {
    try {
      return await waitFor(what, probe, timeoutMs, intervalMs);
    } catch (err) {
      throw new Error(`${String(err)}\n${describeState()}`, { cause: err });
    }
  };
}

/** One entry of the node API server's audit log: the fields the suites read. */
export interface AuditEvent {
  stage: string;
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
  /** Logged for writes to Deployments and their scale (level Request). */
  requestObject?: { spec?: { replicas?: number } };
}

/** Where the node's audit log ends now: what `auditSince` reads from. */
export function auditMark(): number {
  return statSync(nodeAuditLog()).size;
}

/** The audit log's entries since `from` (an `auditMark`) that `keep` selects. */
export function auditSince(from: number, keep: (e: AuditEvent) => boolean): AuditEvent[] {
  return readFileSync(nodeAuditLog())
    .subarray(from)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter(keep);
}

function nodeAuditLog(): string {
  const path = process.env.NODE_AUDIT_LOG;
  if (!path) throw new Error('NODE_AUDIT_LOG is not set: the node test service writes it (npm run infra:up)');
  return path;
}
