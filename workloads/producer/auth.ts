// Authentication of sync requests (docs/auth.md): X-Client-Id plus the per-request
// X-Auth-Token, decrypted with the client's stored auth_token. Clients are cached from the
// clients table for a short TTL; stale tokens and replays within the freshness window are
// refused. Every failure has a stable code.
import type pg from 'pg';
import { decryptAuthToken, TokenError } from '../../core/auth-token.js';
import { errorMessage } from '../../core/errors.js';

export interface ClientRecord {
  clientId: string;
  authToken: string;
  geography: string;
}

export type AuthFailure = 'AUTH_MISSING' | 'AUTH_UNKNOWN_CLIENT' | 'AUTH_MALFORMED' | 'AUTH_INVALID' | 'AUTH_EXPIRED' | 'AUTH_REPLAYED';

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
  find(clientId: string): Promise<ClientRecord | undefined>;
}

/** The clients table cannot be read and nothing usable is cached for this client. */
export class ClientsUnavailableError extends Error {
  override name = 'ClientsUnavailableError';
}

/** After a failed read, how long lookups answer from the cache without asking PostgreSQL again. */
const RETRY_AFTER_FAILURE_MS = 2000;

/**
 * Clients from PostgreSQL, cached (hits and misses) for `ttlMs`. While PostgreSQL cannot be
 * read (a failover, an outage), an expired entry is still served for up to `maxStaleMs` after
 * it was last read: known clients keep syncing, and a change to a client row (a new auth_token,
 * a removed client) takes effect at most that late.
 */
export class ClientDirectory implements ClientLookup {
  private readonly cache = new Map<string, { value: ClientRecord | undefined; expires: number; loaded: number }>();
  private readonly inflight = new Map<string, Promise<ClientRecord | undefined>>();
  private failedUntil = 0;

  constructor(
    private readonly pool: Pick<pg.Pool, 'query'>,
    private readonly ttlMs: number,
    private readonly maxStaleMs: number,
    private readonly onStale: () => void = () => undefined,
    private readonly maxEntries = 100_000,
  ) {}

  async find(clientId: string): Promise<ClientRecord | undefined> {
    const hit = this.cache.get(clientId);
    const now = Date.now();
    if (hit && hit.expires > now) return hit.value;
    const usable = hit !== undefined && now - hit.loaded <= this.maxStaleMs;
    // PostgreSQL failed a moment ago: do not make every request wait on it again.
    if (usable && now < this.failedUntil) {
      this.onStale();
      return hit.value;
    }
    let pending = this.inflight.get(clientId);
    if (!pending) {
      pending = this.load(clientId).finally(() => this.inflight.delete(clientId));
      this.inflight.set(clientId, pending);
    }
    try {
      return await pending;
    } catch (err) {
      this.failedUntil = Date.now() + RETRY_AFTER_FAILURE_MS;
      if (usable) {
        this.onStale();
        return hit.value;
      }
      throw new ClientsUnavailableError(`the clients table cannot be read: ${errorMessage(err)}`);
    }
  }

  private async load(clientId: string): Promise<ClientRecord | undefined> {
    const r = await this.pool.query<{ client_id: string; auth_token: string; geography: string }>(
      'SELECT client_id, auth_token, geography FROM clients WHERE client_id = $1',
      [clientId],
    );
    const row = r.rows[0];
    const value = row ? { clientId: row.client_id, authToken: row.auth_token, geography: row.geography } : undefined;
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(clientId, { value, expires: Date.now() + this.ttlMs, loaded: Date.now() });
    return value;
  }
}

/** Remembers tokens seen within the freshness window, to refuse a second use. */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  private lastSweep = Date.now();
  constructor(private readonly windowMs: number) {}

  /** True the first time a token is seen within the window. */
  firstUse(key: string, now = Date.now()): boolean {
    if (now - this.lastSweep > this.windowMs) {
      for (const [k, exp] of this.seen) if (exp < now) this.seen.delete(k);
      this.lastSweep = now;
    }
    const exp = this.seen.get(key);
    if (exp !== undefined && exp >= now) return false;
    this.seen.set(key, now + 2 * this.windowMs);
    return true;
  }
}

export class Authenticator {
  constructor(
    private readonly clients: ClientLookup,
    private readonly replay: ReplayGuard,
    private readonly maxSkewMs: number,
  ) {}

  async authenticate(clientId: string | undefined, token: string | undefined, now = Date.now()): Promise<ClientRecord> {
    if (!clientId || !token) throw new AuthError('AUTH_MISSING', 'X-Client-Id and X-Auth-Token are required');
    const client = await this.clients.find(clientId);
    if (!client) throw new AuthError('AUTH_UNKNOWN_CLIENT', 'unknown client');
    let payload;
    try {
      payload = decryptAuthToken(token, client.authToken);
    } catch (err) {
      if (err instanceof TokenError) throw new AuthError(err.code, err.message);
      throw err;
    }
    if (Math.abs(now - payload.ts) > this.maxSkewMs)
      throw new AuthError('AUTH_EXPIRED', `the token is older than ${this.maxSkewMs / 1000} s (or from the future)`);
    if (!this.replay.firstUse(`${clientId}:${payload.nonce}`, now)) throw new AuthError('AUTH_REPLAYED', 'this token was already used');
    return client;
  }
}
