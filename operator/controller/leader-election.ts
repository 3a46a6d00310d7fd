// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: the holder renews
// the lease every retry period; another replica takes it over only once it has not been
// renewed for a whole lease duration. Writes use the lease's resourceVersion, so two
// candidates can never both win the same round.
import * as k8s from '@kubernetes/client-node';
import { httpStatus } from './cluster.js';
import { errorMessage } from '../../core/errors.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  retryPeriodMs: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log?: (msg: string) => void;
}

export class LeaderElector {
  private readonly api: k8s.CoordinationV1Api;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;

  constructor(
    kc: k8s.KubeConfig,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.api = kc.makeApiClient(k8s.CoordinationV1Api);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      try {
        const ok = await this.tryAcquireOrRenew();
        if (ok) this.lastRenew = Date.now();
        if (ok && !this.leading) {
          this.leading = true;
          this.opts.log?.(`became leader (${this.opts.identity})`);
          this.opts.onStartedLeading();
        }
      } catch (err) {
        this.opts.log?.(`lease ${this.opts.namespace}/${this.opts.name}: ${errorMessage(err)}`);
      }
      // A leader that could not renew within the lease duration must stop acting: another
      // replica may take over from then on.
      if (this.leading && Date.now() - this.lastRenew > this.opts.leaseDurationSeconds * 1000 * 0.8) {
        this.leading = false;
        this.opts.log?.('lost the lease');
        this.opts.onStoppedLeading();
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.opts.retryPeriodMs);
    };
    void tick();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.opts;
    const now = new k8s.V1MicroTime();
    let lease: k8s.V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (httpStatus(err) !== 404) throw err;
      await this.api.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        },
      });
      return true;
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity;
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = !holder || Date.now() > renewed + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder !== identity && !expired) return false;
    const takeover = holder !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: now,
      ...(takeover ? { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      return true;
    } catch (err) {
      if (httpStatus(err) === 409) return false; // someone else wrote first
      throw err;
    }
  }

  /** Stops renewing and, if leading, gives the lease up so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.api.readNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace });
      if (lease.spec?.holderIdentity === this.opts.identity) {
        lease.spec.holderIdentity = undefined;
        lease.spec.renewTime = undefined;
        await this.api.replaceNamespacedLease({ name: this.opts.name, namespace: this.opts.namespace, body: lease });
      }
    } catch {
      // best effort: the lease expires on its own
    }
  }
}
