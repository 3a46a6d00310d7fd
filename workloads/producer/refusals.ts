// Refused requests (401s) are aggregated before they reach unauthorized_requests: one row per
// (claimed client id, source address, reason, minute) with a count, so a flood of refusals
// costs a handful of rows rather than one each. The distinct keys held are bounded; a refusal
// whose key does not fit is counted in its minute's overflow row instead of a row of its own.
// "Minute" is the window, 60 s unless configured otherwise (tests shorten it). Each row drained
// gets an id of its own, its unique key in the table: produced twice, it is still stored once.
import { randomUUID } from 'node:crypto';
import type { RefusalRow } from '../../core/audit-message.js';

/** One refused request, its text already cleaned (auditText). */
export interface Refusal {
  /** The X-Client-Id header as received (cleaned), undefined when absent. */
  clientId: string | undefined;
  /** The peer's address (the socket's), undefined when the socket had none. */
  address: string | undefined;
  /** The 401's error code. */
  reason: string;
  requestId: string;
  authToken: string | undefined;
  /** JSON summary of the request (source, content type...), never its body. */
  summary: string;
  at: Date;
}

/** The reason of a minute's overflow row: refusals whose key did not fit in the bound. */
export const OVERFLOW_REASON = '(other)';

interface Entry {
  /** The first refusal of the key: its request id, token and summary are the row's sample. */
  first: Refusal;
  minute: number;
  count: number;
}

export class RefusalAggregator {
  private readonly keys = new Map<string, Entry>();
  /** Overflow rows by minute; outside the bound (at most one per minute held). */
  private readonly overflow = new Map<number, Entry>();

  constructor(
    /** Distinct keys held at once; rows are drained as their minute ends, so in effect per minute. */
    private readonly maxKeys: number,
    /** Refusals not given a row of their own (their key beyond the bound). */
    private readonly onDropped: (n: number) => void = () => undefined,
    /** The window a row counts refusals over, aligned to the epoch (60 s: whole UTC minutes). */
    private readonly windowMs = 60_000,
  ) {}

  add(r: Refusal): void {
    const minute = Math.floor(r.at.getTime() / this.windowMs) * this.windowMs;
    // NUL never occurs in cleaned text, so the key is unambiguous.
    const key = [r.clientId ?? '', r.address ?? '', r.reason, minute].join('\u0000');
    const entry = this.keys.get(key);
    if (entry) {
      entry.count++;
      return;
    }
    if (this.keys.size < this.maxKeys) {
      this.keys.set(key, { first: r, minute, count: 1 });
      return;
    }
    this.onDropped(1);
    const other = this.overflow.get(minute);
    if (other) other.count++;
    else
      this.overflow.set(minute, {
        first: { clientId: undefined, address: undefined, reason: OVERFLOW_REASON, requestId: r.requestId, authToken: undefined, summary: '{}', at: r.at },
        minute,
        count: 1,
      });
  }

  /** Distinct keys held (overflow rows not counted). */
  get size(): number {
    return this.keys.size;
  }

  /**
   * The rows of minutes ended before `now` (all of them when `now` is undefined: at shutdown),
   * removed from the aggregator. A minute's key is written once its minute is over, so each
   * key gives one row per minute rather than one per flush.
   */
  drain(now?: Date): RefusalRow[] {
    const before = now === undefined ? Infinity : Math.floor(now.getTime() / this.windowMs) * this.windowMs;
    const rows: RefusalRow[] = [];
    for (const map of [this.keys, this.overflow] as Map<unknown, Entry>[])
      for (const [k, e] of map) {
        if (e.minute >= before) continue;
        map.delete(k);
        rows.push({
          kind: 'refusal',
          id: randomUUID(),
          client_id: e.first.clientId ?? null,
          source_address: e.first.address ?? null,
          reason: e.first.reason,
          request_id: e.first.requestId,
          auth_token: e.first.authToken ?? null,
          req_body: e.first.summary,
          count: e.count,
          created_at: new Date(e.minute).toISOString(),
        });
      }
    return rows;
  }
}
