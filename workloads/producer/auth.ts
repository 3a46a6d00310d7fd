// Authentication of sync requests (docs/auth.md): X-Client-Id plus the per-request
// X-Auth-Token, decrypted with the client's stored auth_token. Clients are cached from the
// clients table for a short TTL; stale tokens and replays within the freshness window are
// refused, and a version 2 token only for the request (method, path, body) it was made for.
// Every failure has a stable code.
import type pg from 'pg';
import { DigestSet, digestOf } from './digest-set.js';
import { bodyDigest, decryptAuthToken, isBound, TokenError, type TokenPayload } from '../../core/auth-token.js';
import { errorMessage } from '../../core/errors.js';
import type { SharedClients } from './client-log.js';

export interface ClientRecord {
  clientId: string;
  authToken: string;
  geography: string;
}

export type AuthFailure =
  'AUTH_MISSING' | 'AUTH_UNKNOWN_CLIENT' | 'AUTH_MALFORMED' | 'AUTH_INVALID' | 'AUTH_EXPIRED' | 'AUTH_REQUEST_MISMATCH' | 'AUTH_REPLAYED';

export class AuthError extends Error {
  constructor(
    readonly code: AuthFailure,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export interface ClientLookup {
  /** The client, from the cache while it is fresh; undefined when there is no such client. */
  find(clientId: string): Promise<ClientRecord | undefined>;
  /**
   * The client as PostgreSQL has it now, for a token the cached row refused: the row may have
   * changed since it was cached (a rotated auth_token, a client added). The lookup bounds how
   * often it reads; when it may not or cannot read, it answers what `find` would.
   */
  refresh(clientId: string): Promise<ClientRecord | undefined>;
}

/** The clients table cannot be read and nothing usable is cached for this client. */
export class ClientsUnavailableError extends Error {
  override name = 'ClientsUnavailableError';
}

/** After a failed read, how long lookups answer from the cache without asking PostgreSQL again. */
const RETRY_AFTER_FAILURE_MS = 2000;
/**
 * A refused token forces a read of its client's row only if the cached row is older than this:
 * a rotated auth_token takes effect within a second, and one client's bad tokens cost PostgreSQL
 * at most one read a second.
 */
const MIN_FORCED_READ_INTERVAL_MS = 1000;
/**
 * Reads forced by refused tokens, all clients together, per second: a flood of bad tokens or
 * unknown client ids from many ids at once reads no more than this (a small share of the pool's
 * ten connections); beyond it the cached answer stands and the request is refused.
 */
const MAX_FORCED_READS_PER_SECOND = 10;

/**
 * Clients from PostgreSQL, cached (hits and misses) for `ttlMs`. While PostgreSQL cannot be
 * read (a failover, an outage), an expired entry is still served for up to `maxStaleMs` after
 * it was last read: known clients keep syncing, and a change to a client row (a new auth_token,
 * a removed client) takes effect at most that late. Otherwise `refresh` reads a cached row again
 * before its TTL, bounded per client and in all. With `shared` (the replicas' clients topic,
 * client-log.ts) every read is shared, and a read another replica made counts as this one's, by
 * the same rules: a replica started during an outage serves the clients known before it.
 */
export class ClientDirectory implements ClientLookup {
  private readonly cache = new Map<string, { value: ClientRecord | undefined; expires: number; loaded: number }>();
  private readonly inflight = new Map<string, Promise<ClientRecord | undefined>>();
  private failedUntil = 0;
  /** The current second's count of forced reads (MAX_FORCED_READS_PER_SECOND). */
  private forcedWindowStart = 0;
  private forcedInWindow = 0;

  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly ttlMs: number,
    private readonly maxStaleMs: number,
    private readonly onStale: () => void = () => undefined,
    private readonly maxEntries = 100_000,
    private readonly shared?: SharedClients,
  ) {}

  /** This replica's entry, or the replicas' shared one when it is newer. */
  private entry(clientId: string): { value: ClientRecord | undefined; expires: number; loaded: number } | undefined {
    const own = this.cache.get(clientId);
    const other = this.shared?.get(clientId);
    if (!other || (own && own.loaded >= other.loaded)) return own;
    return { value: other.value, expires: other.loaded + this.ttlMs, loaded: other.loaded };
  }

  find(clientId: string): Promise<ClientRecord | undefined> {
    return this.lookup(clientId, false);
  }

  refresh(clientId: string): Promise<ClientRecord | undefined> {
    return this.lookup(clientId, true);
  }

  private async lookup(clientId: string, forced: boolean): Promise<ClientRecord | undefined> {
    const hit = this.entry(clientId);
    const now = Date.now();
    const fresh = hit !== undefined && hit.expires > now;
    if (fresh) {
      if (!forced) return hit.value;
      // A read already under way for this client is joined: it is as new as one started now.
      if (!this.inflight.has(clientId) && !this.mayForceRead(hit.loaded, now)) return hit.value;
    }
    const usable = hit !== undefined && now - hit.loaded <= this.maxStaleMs;
    // A forced lookup follows a find() for the same request, which counted the stale answer.
    const served = () => {
      if (!fresh && !forced) this.onStale();
      return hit?.value;
    };
    // PostgreSQL failed a moment ago: do not make every request wait on it again.
    if (usable && now < this.failedUntil) return served();
    let pending = this.inflight.get(clientId);
    if (!pending) {
      pending = this.load(clientId).finally(() => this.inflight.delete(clientId));
      this.inflight.set(clientId, pending);
    }
    try {
      return await pending;
    } catch (err) {
      this.failedUntil = Date.now() + RETRY_AFTER_FAILURE_MS;
      if (usable) return served();
      throw new ClientsUnavailableError(`the clients table cannot be read: ${errorMessage(err)}`);
    }
  }

  /** Whether a row read at `loaded` may be read again now, before its TTL; counts the read if so. */
  private mayForceRead(loaded: number, now: number): boolean {
    if (now - loaded < MIN_FORCED_READ_INTERVAL_MS || now < this.failedUntil) return false;
    if (now - this.forcedWindowStart >= 1000) {
      this.forcedWindowStart = now;
      this.forcedInWindow = 0;
    }
    if (this.forcedInWindow >= MAX_FORCED_READS_PER_SECOND) return false;
    this.forcedInWindow++;
    return true;
  }

  private async load(clientId: string): Promise<ClientRecord | undefined> {
    const r = await this.pool.query<{ client_id: string; auth_token: string; geography: string }>(
      'SELECT client_id, auth_token, geography FROM clients WHERE client_id = $1',
      [clientId],
    );
    const row = r.rows[0];
    const value = row ? { clientId: row.client_id, authToken: row.auth_token, geography: row.geography } : undefined;
    const loaded = Date.now();
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(clientId, { value, expires: loaded + this.ttlMs, loaded });
    this.shared?.record(clientId, value, loaded);
    return value;
  }
}

/** Generations a window is cut into: each is dropped whole once its nonces are past keeping. */
const GENERATIONS_PER_WINDOW = 8;

/**
 * Remembers tokens seen within the freshness window, to refuse a second use. A token is fresh
 * for `windowMs` either side of its time, so a copy can come back at most 2 × windowMs after
 * the first use: each nonce is remembered at least that long. The nonces live in generations,
 * each an eighth of a window; when a generation starts the oldest is dropped whole. (One map
 * swept entry by entry held some 280,000 nonces at 462 requests/s and stalled the event loop
 * for 40 ms at each sweep, and for 15-20 ms each time it doubled its table: docs/benchmarks.md.)
 * Each generation keeps its nonces as digests in a typed array (digest-set.ts), off the heap.
 */
export class ReplayGuard {
  private readonly generations: DigestSet[] = [new DigestSet()];
  private readonly spanMs: number;
  /** Generations kept: the current one and enough before it to cover 2 × windowMs. */
  private readonly keep: number;
  private started: number;

  constructor(windowMs: number, now = Date.now()) {
    this.spanMs = Math.max(1, windowMs / GENERATIONS_PER_WINDOW);
    this.keep = Math.ceil((2 * windowMs) / this.spanMs) + 1;
    this.started = now;
  }

  /** True the first time a token is seen within the window. */
  firstUse(key: string, now = Date.now()): boolean {
    if (now - this.started >= this.spanMs) {
      const spans = Math.floor((now - this.started) / this.spanMs);
      // sized for as many nonces as the last generation took: no table growth at a steady rate
      for (let i = 0; i < Math.min(spans, this.keep); i++) this.generations.unshift(new DigestSet(this.generations[0]!.size));
      this.generations.length = Math.min(this.generations.length, this.keep);
      this.started += spans * this.spanMs;
    }
    const d = digestOf(key);
    for (const g of this.generations) if (g.has(d)) return false;
    this.generations[0]!.add(d);
    return true;
  }
}

/** The request line's part a version 2 token is bound to, known before the body is read. */
export interface RequestLine {
  method: string;
  /** Without the query string, as received (not percent-decoded). */
  path: string;
}

/** A token that passed `authenticate`; `admit` checks it against the body and spends it. */
export interface Authenticated {
  client: ClientRecord;
  /** False for a version 1 token (AUTH_ACCEPT_UNBOUND_TOKENS): it was not bound to this request. */
  bound: boolean;
  readonly payload: TokenPayload;
}

export class Authenticator {
  constructor(
    private readonly clients: ClientLookup,
    private readonly replay: ReplayGuard,
    private readonly maxSkewMs: number,
    /** Whether version 1 tokens, bound to no request, are still accepted (the SDKs' transition). */
    private readonly acceptUnbound = true,
  ) {}

  /**
   * The checks that need no body: the client, the token's secret and freshness, and for a
   * version 2 token the method and path it was made for. Nothing is spent yet: the body is
   * checked, and the nonce spent, by `admit` once the body has been read. A request without
   * a valid token is thus refused before its body is read.
   */
  async authenticate(clientId: string | undefined, token: string | undefined, line: RequestLine, now = Date.now()): Promise<Authenticated> {
    if (!clientId || !token) throw new AuthError('AUTH_MISSING', 'X-Client-Id and X-Auth-Token are required');
    // Unknown when cached, perhaps added since: read once more before refusing.
    let client = (await this.clients.find(clientId)) ?? (await this.reread(clientId, undefined));
    if (!client) throw new AuthError('AUTH_UNKNOWN_CLIENT', 'unknown client');
    let payload: TokenPayload;
    try {
      payload = decrypt(token, client.authToken, this.acceptUnbound);
    } catch (err) {
      // Not made with the cached auth_token: it may have been rotated since the row was cached.
      // (A malformed token is malformed whatever the secret: no read.)
      if (!(err instanceof AuthError) || err.code !== 'AUTH_INVALID') throw err;
      const current = await this.reread(clientId, client);
      if (!current) throw new AuthError('AUTH_UNKNOWN_CLIENT', 'unknown client');
      if (current.authToken === client.authToken) throw err;
      client = current;
      payload = decrypt(token, client.authToken, this.acceptUnbound);
    }
    if (Math.abs(now - payload.ts) > this.maxSkewMs)
      throw new AuthError('AUTH_EXPIRED', `the token is older than ${this.maxSkewMs / 1000} s (or from the future)`);
    // The message names what differs, never the value the token holds: a captured token's
    // contents stay as secret as its plaintext.
    if (isBound(payload)) {
      if (payload.method !== line.method) throw new AuthError('AUTH_REQUEST_MISMATCH', 'the token was made for another method');
      if (payload.path !== line.path) throw new AuthError('AUTH_REQUEST_MISMATCH', 'the token was made for another path');
    }
    return { client, bound: isBound(payload), payload };
  }

  /**
   * Checks a version 2 token against the body as received (before any gunzip), then spends
   * its nonce. Only now, with the token decrypted by the client's secret, fresh and made for
   * this request, is the nonce spent: a token refused earlier may still be accepted (once the
   * row is read again, or with its own body), and a copy sent with another body cannot use it up.
   */
  admit(auth: Authenticated, body: Uint8Array, now = Date.now()): void {
    const { payload } = auth;
    if (isBound(payload) && payload.body_sha256 !== bodyDigest(body))
      throw new AuthError('AUTH_REQUEST_MISMATCH', "the token was made for another body (the digest covers the bytes as sent, gzip'd if gzip'd)");
    if (!this.replay.firstUse(`${auth.client.clientId}:${payload.nonce}`, now)) throw new AuthError('AUTH_REPLAYED', 'this token was already used');
  }

  /**
   * The client's row read again, or `cached` when the lookup did not read it: when PostgreSQL
   * cannot be read, the request is refused for its own failure, not as unavailable.
   */
  private async reread(clientId: string, cached: ClientRecord | undefined): Promise<ClientRecord | undefined> {
    try {
      return await this.clients.refresh(clientId);
    } catch (err) {
      if (err instanceof ClientsUnavailableError) return cached;
      throw err;
    }
  }
}

function decrypt(token: string, authToken: string, acceptUnbound: boolean): TokenPayload {
  try {
    return decryptAuthToken(token, authToken, acceptUnbound);
  } catch (err) {
    if (err instanceof TokenError) throw new AuthError(err.code, err.message);
    throw err;
  }
}
