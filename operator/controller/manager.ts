// Wires the operator together: leader election, watches, the work queue, periodic resync
// and capability discovery, the reconciler, and the HTTP endpoints.
import type { Server } from 'node:http';
import type * as k8s from '@kubernetes/client-node';
import type { Capabilities } from '../model/objects/autoscaling.js';
import type { Logger } from '../../core/log.js';
import { ClusterCache, PIPELINE_KIND } from './caches.js';
import { OBSERVED_KINDS, ownedKinds, type KindInfo } from '../model/objects/owned-kinds.js';
import { SecretReader } from './secret-reader.js';
import { ClusterClient } from './cluster.js';
import { apiErrorMessage } from '../../core/errors.js';
import { ApiDiscovery, type CapabilitySource } from './discovery.js';
import { startHttpServer } from './http.js';
import { LeaderElector } from './leader-election.js';
import { OperatorMetrics } from './metrics.js';
import { Reconciler } from './reconciler.js';
import { referencedConfigMaps, referencedSecrets } from '../model/objects/references.js';
import { resolve } from '../model/resolve.js';
import { INSTANCE_LABEL } from '../../core/labels.js';
import { TopicAdminPool } from './topic-admin.js';
import { WorkQueue } from './work-queue.js';

export interface OperatorConfig {
  /** Namespaces to watch; empty = all. */
  namespaces: string[];
  concurrency: number;
  resyncMs: number;
  httpPort: number;
  leaderElection: { enabled: boolean; namespace: string; name: string; identity: string; leaseDurationSeconds: number; retryPeriodMs: number };
  pendingRequeueMs?: number;
  /** How often each pipeline's consumer lag is read from Kafka (0: never). */
  flowIntervalMs?: number;
  /** Lag growing for this long sets Lagging=True. */
  laggingAfterMs?: number;
}

export class OperatorManager {
  readonly metrics = new OperatorMetrics();
  private cache: ClusterCache | undefined;
  private queue: WorkQueue | undefined;
  private elector: LeaderElector | undefined;
  private server: Server | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private capabilities: Capabilities = { keda: false };
  private synced = false;
  private readonly topics = TopicAdminPool.forKafka((api) => this.metrics.kafkaRequests.inc({ api }));
  private readonly discovery: CapabilitySource;

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly config: OperatorConfig,
    private readonly log: Logger,
    deps: { discovery?: CapabilitySource } = {},
  ) {
    this.discovery = deps.discovery ?? new ApiDiscovery(kc);
  }

  async start(): Promise<void> {
    this.server = await startHttpServer(this.config.httpPort, this.metrics, { ready: () => this.synced || !this.elector?.isLeader });
    this.log.info('http endpoints up', { port: this.config.httpPort });
    const le = this.config.leaderElection;
    if (!le.enabled) {
      await this.startControllers();
      return;
    }
    this.elector = new LeaderElector(this.kc, {
      ...le,
      onStartedLeading: () => {
        this.metrics.leader.set(1);
        void this.startControllers().catch((err: unknown) => {
          this.log.error('controllers failed to start', { error: apiErrorMessage(err) });
          process.exitCode = 1;
          void this.stop();
        });
      },
      // Like client-go: a replica that lost the lease exits, and its restart stands by.
      onStoppedLeading: () => {
        this.metrics.leader.set(0);
        this.log.error('lost leadership; exiting');
        process.exitCode = 1;
        void this.stop();
      },
      log: (m) => this.log.info(m),
    });
    this.elector.start();
    this.log.info('waiting for leadership', { lease: `${le.namespace}/${le.name}`, identity: le.identity });
  }

  private keyFor(namespace: string | undefined, name: string | undefined): string | undefined {
    return namespace && name ? `${namespace}/${name}` : undefined;
  }

  private onChange(obj: k8s.KubernetesObject, kind: KindInfo): void {
    const ns = obj.metadata?.namespace;
    if (kind.kind === PIPELINE_KIND.kind) {
      const key = this.keyFor(ns, obj.metadata?.name);
      if (key) this.queue?.add(key);
      // A pipeline that lost a topic or group to this one may be free now (this one was
      // deleted, or moved to another cluster): look at every waiting one again.
      for (const p of this.cache?.pipelines() ?? []) {
        if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === 'Conflict')) this.queue?.add(`${p.metadata.namespace}/${p.metadata.name}`);
      }
    } else if (kind.kind === 'Secret' || kind.kind === 'ConfigMap') {
      // Only pipelines that reference this Secret or ConfigMap care about it.
      const refs = kind.kind === 'Secret' ? referencedSecrets : referencedConfigMaps;
      for (const p of this.cache?.pipelines() ?? []) {
        if (p.metadata.namespace === ns && refs(resolve(p)).some((r) => r.name === obj.metadata?.name)) this.queue?.add(`${ns}/${p.metadata.name}`);
      }
    } else {
      const key = this.keyFor(ns, obj.metadata?.labels?.[INSTANCE_LABEL]);
      if (key) this.queue?.add(key);
    }
  }

  private async startControllers(): Promise<void> {
    this.capabilities = await this.discovery.discover();
    this.log.info('capabilities', { ...this.capabilities });
    const client = new ClusterClient(this.kc, this.metrics);
    this.cache = new ClusterCache(this.kc, {
      namespaces: this.config.namespaces,
      onChange: (o, k) => this.onChange(o, k),
      onError: (k, err) => this.log.warn('watch error; restarting', { kind: k.kind, error: apiErrorMessage(err) }),
    });
    const cache = this.cache;
    this.metrics.pipelinesSeen = () => cache.pipelines();
    const reconciler = new Reconciler({
      cache: this.cache,
      client,
      topics: this.topics,
      secrets: SecretReader.forCluster(this.kc, this.cache),
      capabilities: () => this.capabilities,
      log: (m, f) => this.log.warn(m, f),
      ...(this.config.pendingRequeueMs !== undefined ? { pendingRequeueMs: this.config.pendingRequeueMs } : {}),
      ...(this.config.flowIntervalMs !== undefined ? { flowIntervalMs: this.config.flowIntervalMs } : {}),
      ...(this.config.laggingAfterMs !== undefined ? { laggingAfterMs: this.config.laggingAfterMs } : {}),
    });
    this.queue = new WorkQueue({
      concurrency: this.config.concurrency,
      onDepthChange: (d) => this.metrics.queueDepth.set(d),
      onError: (key, err, retry) => this.log.warn('reconcile failed', { pipeline: key, error: apiErrorMessage(err), retryInMs: retry }),
      handler: async (key) => {
        const [ns, name] = key.split('/') as [string, string];
        const end = this.metrics.reconcileDuration.startTimer();
        try {
          const r = await reconciler.reconcile(ns, name);
          this.metrics.reconciles.inc({ result: r.requeueAfterMs !== undefined ? 'requeue' : 'success' });
          return r;
        } catch (err) {
          this.metrics.reconciles.inc({ result: 'error' });
          throw err;
        } finally {
          end();
        }
      },
    });
    await this.cache.watchOwned([...ownedKinds(this.capabilities), ...OBSERVED_KINDS]);
    await this.cache.watchSecrets();
    await this.cache.watchConfigMaps();
    await this.cache.watchPipelines();
    this.synced = true;
    this.log.info('caches synced; reconciling', { pipelines: this.cache.pipelines().length });
    this.enqueueAll();
    this.resyncTimer = setInterval(() => void this.resync(), this.config.resyncMs);
    this.resyncTimer.unref();
  }

  private enqueueAll(): void {
    const counts: Record<string, number> = { True: 0, False: 0, Unknown: 0 };
    for (const p of this.cache?.pipelines() ?? []) {
      this.queue?.add(`${p.metadata.namespace}/${p.metadata.name}`);
      const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
      counts[ready] = (counts[ready] ?? 0) + 1;
    }
    for (const [ready, n] of Object.entries(counts)) this.metrics.pipelines.set({ ready }, n);
  }

  /** Periodic: re-discover capabilities (KEDA or Strimzi installed later), then requeue all. */
  private async resync(): Promise<void> {
    try {
      const caps = await this.discovery.discover();
      if (JSON.stringify(caps) !== JSON.stringify(this.capabilities)) {
        this.log.info('capabilities changed', { ...caps });
        this.capabilities = caps;
        await this.cache?.watchOwned(ownedKinds(caps));
      }
    } catch (err) {
      this.log.warn('discovery failed', { error: apiErrorMessage(err) });
    }
    this.enqueueAll();
  }

  async stop(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await this.queue?.shutdown();
    await this.elector?.stop();
    await this.cache?.stop();
    await this.topics.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections?.();
  }
}
