// The Kafka client every component uses: kafkajs, with its request queue's idle loop stopped.
//
// kafkajs 2.2.4 (its latest release) re-arms a timer after every check of a connection's
// pending requests, even when nothing is pending and nothing is throttled; the delay it computes
// is then negative, so each broker connection runs a 1 ms timer for as long as it is open. An
// idle producer or consumer pod burns 30-60 millicores doing nothing, which sits near the HPA's
// CPU target for a small request and keeps scaled-out replicas from ever scaling back in (and
// is paid for on every idle pod). The upstream fix is unreleased, so the check is replaced here
// by one that schedules a later check only while requests wait: a new request is checked when it
// is pushed, and every answered request checks the queue again, so nothing waits on the timer.
import { createRequire } from 'node:module';
import { Kafka } from 'kafkajs';

/** The kafkajs release whose request queue this module corrects; another one must be re-checked. */
const PATCHED_KAFKAJS_VERSION = '2.2.4';
/** kafkajs's own re-check interval while requests wait on a throttle. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const require = createRequire(import.meta.url);
const version = (require('kafkajs/package.json') as { version: string }).version;
if (version !== PATCHED_KAFKAJS_VERSION) {
  throw new Error(
    `core/kafka.ts corrects kafkajs ${PATCHED_KAFKAJS_VERSION}'s request queue, but kafkajs ${version} is installed: check whether it still needs to`,
  );
}
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };

RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const untilUnthrottled = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS,
  );
};

export { Kafka };
