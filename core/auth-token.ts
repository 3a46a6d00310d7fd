// The per-request token of the MobileForge SDK (docs/auth.md): the client's stored auth_token
// never travels; each request carries it encrypted with AES-128-GCM under a key derived from
// the auth_token itself and a fresh random salt, together with a timestamp and a nonce. Every
// request's token is different; the server decrypts with the stored auth_token, compares,
// and refuses stale or replayed tokens. A version 2 token also carries its request's method,
// path and body digest, so that it is worth nothing for any other request.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Version 1: not bound to its request; accepted during the SDKs' move to version 2. */
const UNBOUND_VERSION = 1;
/** Version 2: bound to its request's method, path and body bytes. */
const BOUND_VERSION = 2;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_INFO = 'mobileforge-sync-auth-v1';
/** HKDF-Expand's only block for a 16-byte key: info followed by the counter 0x01. */
const EXPAND_BLOCK = Buffer.concat([Buffer.from(KEY_INFO, 'utf8'), Buffer.from([1])]);

export interface TokenPayload {
  /** The client's auth_token, as stored in the clients table. */
  token: string;
  /** Milliseconds since the epoch when the SDK made the request. */
  ts: number;
  /** Random, unique per request. */
  nonce: string;
  /** Version 2 only: the request the token was made for. */
  method?: string;
  /** Version 2 only: the path as on the request line, without a query string. */
  path?: string;
  /** Version 2 only: lowercase hex SHA-256 of the body bytes as sent (gzip'd when gzip'd). */
  body_sha256?: string;
}

/** The request a version 2 token is made for. */
export interface TokenRequest {
  method: string;
  path: string;
  /** The body bytes as they travel: after gzip when the request is gzip'd. */
  body: Uint8Array;
}

/** The digest a version 2 token carries of its request's body. */
export const bodyDigest = (body: Uint8Array): string => createHash('sha256').update(body).digest('hex');

/**
 * HKDF-SHA256 (RFC 5869) of the auth_token under `salt`, 16 bytes. Written out as its two HMACs
 * (extract, then the one expand block a 16-byte key needs) because every request derives a
 * key, and hkdfSync's argument checks and key objects cost over twice as much as the HMACs
 * themselves. The unit tests pin it to hkdfSync's output.
 */
function deriveKey(authToken: string, salt: Buffer): Buffer {
  const prk = createHmac('sha256', salt).update(authToken, 'utf8').digest();
  return createHmac('sha256', prk).update(EXPAND_BLOCK).digest().subarray(0, 16);
}

/** Builds the X-Auth-Token header value (version 2) for one request, bound to that request. */
export function encryptAuthToken(authToken: string, request: TokenRequest, now = Date.now(), rand: (n: number) => Buffer = randomBytes): string {
  return seal(BOUND_VERSION, authToken, now, rand, { method: request.method.toUpperCase(), path: request.path, body_sha256: bodyDigest(request.body) });
}

/**
 * A version 1 token: good for any request to any pod within the freshness window. Only for
 * tests of the transition (AUTH_ACCEPT_UNBOUND_TOKENS); an SDK makes version 2 tokens.
 */
export function encryptUnboundAuthToken(authToken: string, now = Date.now(), rand: (n: number) => Buffer = randomBytes): string {
  return seal(UNBOUND_VERSION, authToken, now, rand, {});
}

function seal(version: number, authToken: string, now: number, rand: (n: number) => Buffer, binding: Partial<TokenPayload>): string {
  const salt = rand(SALT_BYTES);
  const iv = rand(IV_BYTES);
  const payload: TokenPayload = { token: authToken, ts: now, nonce: rand(12).toString('hex'), ...binding };
  const cipher = createCipheriv('aes-128-gcm', deriveKey(authToken, salt), iv);
  const header = Buffer.from([version]);
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return Buffer.concat([header, salt, iv, body, cipher.getAuthTag()]).toString('base64url');
}

export type TokenFailure = 'AUTH_MALFORMED' | 'AUTH_INVALID';

export class TokenError extends Error {
  constructor(
    readonly code: TokenFailure,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

/**
 * Decrypts a token with the stored auth_token; throws TokenError when it is not that client's.
 * A version 1 token is refused as malformed unless `acceptUnbound`; the version byte is read
 * before any decryption, so that refusal is the same whatever the secret.
 */
export function decryptAuthToken(value: string, authToken: string, acceptUnbound = true): TokenPayload {
  const raw = Buffer.from(value, 'base64url');
  const version = raw[0];
  if (raw.length < 1 + SALT_BYTES + IV_BYTES + TAG_BYTES + 2 || (version !== UNBOUND_VERSION && version !== BOUND_VERSION)) {
    throw new TokenError('AUTH_MALFORMED', 'the token is not a MobileForge v1 or v2 token');
  }
  if (version === UNBOUND_VERSION && !acceptUnbound) {
    throw new TokenError('AUTH_MALFORMED', 'version 1 tokens (not bound to their request) are no longer accepted: make version 2 tokens');
  }
  const salt = raw.subarray(1, 1 + SALT_BYTES);
  const iv = raw.subarray(1 + SALT_BYTES, 1 + SALT_BYTES + IV_BYTES);
  const body = raw.subarray(1 + SALT_BYTES + IV_BYTES, raw.length - TAG_BYTES);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  let payload: TokenPayload;
  try {
    const decipher = createDecipheriv('aes-128-gcm', deriveKey(authToken, salt), iv);
    decipher.setAAD(raw.subarray(0, 1));
    decipher.setAuthTag(tag);
    payload = JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')) as TokenPayload;
  } catch {
    throw new TokenError('AUTH_INVALID', "the token was not made with this client's auth_token");
  }
  const a = Buffer.from(String(payload.token));
  const b = Buffer.from(authToken);
  if (a.length !== b.length || !timingSafeEqual(a, b) || typeof payload.ts !== 'number' || typeof payload.nonce !== 'string') {
    throw new TokenError('AUTH_INVALID', "the token does not carry this client's auth_token");
  }
  if (version === BOUND_VERSION) {
    if (typeof payload.method !== 'string' || typeof payload.path !== 'string' || typeof payload.body_sha256 !== 'string')
      throw new TokenError('AUTH_MALFORMED', 'the version 2 token does not name its request');
  } else {
    // A version 1 token carries no binding; fields smuggled into one must not pass for one.
    delete payload.method;
    delete payload.path;
    delete payload.body_sha256;
  }
  return payload;
}

/** Whether a decrypted token is version 2, bound to its request. */
export const isBound = (payload: TokenPayload): payload is TokenPayload & Required<Pick<TokenPayload, 'method' | 'path' | 'body_sha256'>> =>
  payload.body_sha256 !== undefined;
