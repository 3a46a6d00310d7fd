// The per-request token of the MobileForge SDK (docs/auth.md): the client's stored auth_token
// never travels; each request carries it encrypted with AES-128-GCM under a key derived from
// the auth_token itself and a fresh random salt, together with a timestamp and a nonce. Every
// request's token is different; the server decrypts with the stored auth_token, compares,
// and refuses stale or replayed tokens.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN_VERSION = 1;
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
}

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

/** Builds the X-Auth-Token header value for one request. */
export function encryptAuthToken(authToken: string, now = Date.now(), rand: (n: number) => Buffer = randomBytes): string {
  const salt = rand(SALT_BYTES);
  const iv = rand(IV_BYTES);
  const payload: TokenPayload = { token: authToken, ts: now, nonce: rand(12).toString('hex') };
  const cipher = createCipheriv('aes-128-gcm', deriveKey(authToken, salt), iv);
  const header = Buffer.from([TOKEN_VERSION]);
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

/** Decrypts a token with the stored auth_token; throws TokenError when it is not that client's. */
export function decryptAuthToken(value: string, authToken: string): TokenPayload {
  const raw = Buffer.from(value, 'base64url');
  if (raw.length < 1 + SALT_BYTES + IV_BYTES + TAG_BYTES + 2 || raw[0] !== TOKEN_VERSION) {
    throw new TokenError('AUTH_MALFORMED', 'the token is not a MobileForge v1 token');
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
  return payload;
}
