// Capped exponential backoff, shared by the operator's work queue (per-key reconcile retries)
// and the consumers (sink write retries): base × 2^attempt, never above max.
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** The delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(b: Backoff, attempt: number): number {
  return Math.min(b.maxMs, b.initialMs * 2 ** attempt);
}
