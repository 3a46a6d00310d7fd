import { describe, expect, test } from '@jest/globals';
import { createCipheriv, createHash, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { bodyDigest, decryptAuthToken, encryptAuthToken, encryptUnboundAuthToken, TokenError, type TokenRequest } from '../../../core/auth-token.js';
import { Authenticator, AuthError, ReplayGuard, type ClientLookup, type RequestLine } from '../../../workloads/producer/auth.js';

const authToken = randomUUID();

describe('the v1 auth token', () => {
  test('round-trips, and every token is different', () => {
    const a = encryptUnboundAuthToken(authToken, 1000);
    const b = encryptUnboundAuthToken(authToken, 1000);
    expect(a).not.toBe(b);
    expect(decryptAuthToken(a, authToken)).toMatchObject({ token: authToken, ts: 1000 });
  });

  test('is bound to the auth_token and tamper-evident', () => {
    const t = encryptUnboundAuthToken(authToken);
    expect(() => decryptAuthToken(t, randomUUID())).toThrow(TokenError);
    const raw = Buffer.from(t, 'base64url');
    raw[raw.length - 20]! ^= 1;
    expect(() => decryptAuthToken(raw.toString('base64url'), authToken)).toThrow(/not made with this client/);
    expect(() => decryptAuthToken('AAAA', authToken)).toThrow(expect.objectContaining({ code: 'AUTH_MALFORMED' }));
  });

  test('is the construction docs/auth.md specifies (HKDF-SHA256, AES-128-GCM): tokens of an independent implementation decrypt, and ours equal its bytes', () => {
    const reference = (token: string, ts: number, salt: Buffer, iv: Buffer, nonce: string): string => {
      const key = Buffer.from(hkdfSync('sha256', Buffer.from(token, 'utf8'), salt, 'mobileforge-sync-auth-v1', 16));
      const cipher = createCipheriv('aes-128-gcm', key, iv);
      cipher.setAAD(Buffer.from([1]));
      const body = Buffer.concat([cipher.update(JSON.stringify({ token, ts, nonce }), 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from([1]), salt, iv, body, cipher.getAuthTag()]).toString('base64url');
    };
    for (let i = 0; i < 50; i++) {
      const secret = i % 2 ? randomUUID() : randomBytes(i + 1).toString('hex');
      const [salt, iv, nonce] = [randomBytes(16), randomBytes(12), randomBytes(12)];
      const theirs = reference(secret, 1000 + i, salt, iv, nonce.toString('hex'));
      expect(decryptAuthToken(theirs, secret)).toEqual({ token: secret, ts: 1000 + i, nonce: nonce.toString('hex') });
      const rand = [salt, iv, nonce];
      expect(encryptUnboundAuthToken(secret, 1000 + i, () => rand.shift()!)).toBe(theirs);
    }
  });

  test('matches the layout docs/auth.md specifies: 0x01 | salt 16 | iv 12 | ciphertext | tag 16', () => {
    const raw = Buffer.from(encryptUnboundAuthToken(authToken, 1), 'base64url');
    expect(raw[0]).toBe(1);
    const plaintextLength = JSON.stringify({ token: authToken, ts: 1, nonce: 'x'.repeat(24) }).length;
    expect(raw.length).toBe(1 + 16 + 12 + plaintextLength + 16);
  });
});

const REQUEST: TokenRequest = { method: 'POST', path: '/v1/sync/sms', body: Buffer.from('gzip bytes, as sent') };

describe('the v2 auth token, bound to its request', () => {
  test('round-trips with the method, the path and the digest of the body bytes', () => {
    const t = encryptAuthToken(authToken, REQUEST, 1000);
    expect(Buffer.from(t, 'base64url')[0]).toBe(2);
    expect(decryptAuthToken(t, authToken)).toEqual({
      token: authToken,
      ts: 1000,
      nonce: expect.stringMatching(/^[0-9a-f]{24}$/),
      method: 'POST',
      path: '/v1/sync/sms',
      body_sha256: createHash('sha256').update(REQUEST.body).digest('hex'),
    });
    expect(bodyDigest(Buffer.alloc(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('is the construction docs/auth.md specifies: an independent implementation of version 2 gives the same bytes', () => {
    const [salt, iv, nonce] = [randomBytes(16), randomBytes(12), randomBytes(12)];
    const key = Buffer.from(hkdfSync('sha256', Buffer.from(authToken, 'utf8'), salt, 'mobileforge-sync-auth-v1', 16));
    const cipher = createCipheriv('aes-128-gcm', key, iv);
    cipher.setAAD(Buffer.from([2]));
    const plaintext = JSON.stringify({
      token: authToken,
      ts: 7,
      nonce: nonce.toString('hex'),
      method: 'POST',
      path: '/v1/sync/sms',
      body_sha256: createHash('sha256').update(REQUEST.body).digest('hex'),
    });
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const theirs = Buffer.concat([Buffer.from([2]), salt, iv, body, cipher.getAuthTag()]).toString('base64url');
    const rand = [salt, iv, nonce];
    expect(encryptAuthToken(authToken, REQUEST, 7, () => rand.shift()!)).toBe(theirs);
  });

  test('a version 1 token is refused as malformed when unbound tokens are not accepted, whatever the secret', () => {
    const t = encryptUnboundAuthToken(authToken);
    expect(decryptAuthToken(t, authToken, true)).toMatchObject({ token: authToken });
    for (const secret of [authToken, randomUUID()])
      expect(() => decryptAuthToken(t, secret, false)).toThrow(
        expect.objectContaining({ code: 'AUTH_MALFORMED', message: expect.stringMatching(/version 1/) }),
      );
    expect(decryptAuthToken(encryptAuthToken(authToken, REQUEST), authToken, false)).toMatchObject({ path: '/v1/sync/sms' });
  });
});

describe('Authenticator', () => {
  const find = async (id: string) => (id === 'acme' ? { clientId: 'acme', authToken, geography: 'other' } : undefined);
  const clients: ClientLookup = { find, refresh: find };
  const auth = (acceptUnbound = true) => new Authenticator(clients, new ReplayGuard(300_000), 300_000, acceptUnbound);
  const LINE: RequestLine = { method: REQUEST.method, path: REQUEST.path };
  /** Both steps, as the app runs them: before the body is read, then with it. */
  const code = async (a: Authenticator, id: string | undefined, token: string, line = LINE, body: Uint8Array = REQUEST.body) => {
    try {
      const ok = await a.authenticate(id, token, line);
      a.admit(ok, body);
      return ok.bound ? 'ok' : 'ok unbound';
    } catch (e) {
      return e instanceof AuthError ? e.code : String(e);
    }
  };
  const codeOf = (f: () => unknown) => {
    try {
      f();
      return 'ok';
    } catch (e) {
      return e instanceof AuthError ? `${e.code}: ${e.message}` : String(e);
    }
  };

  test('accepts a fresh token once', async () => {
    const a = auth();
    const t = encryptAuthToken(authToken, REQUEST);
    expect(await code(a, 'acme', t)).toBe('ok');
    expect(await code(a, 'acme', t)).toBe('AUTH_REPLAYED');
  });

  test.each([
    ['missing client id', undefined, () => encryptAuthToken(authToken, REQUEST), 'AUTH_MISSING'],
    ['unknown client', 'nope', () => encryptAuthToken(authToken, REQUEST), 'AUTH_UNKNOWN_CLIENT'],
    ['stale', 'acme', () => encryptAuthToken(authToken, REQUEST, Date.now() - 301_000), 'AUTH_EXPIRED'],
    ['from the future', 'acme', () => encryptAuthToken(authToken, REQUEST, Date.now() + 301_000), 'AUTH_EXPIRED'],
    ['wrong auth_token', 'acme', () => encryptAuthToken(randomUUID(), REQUEST), 'AUTH_INVALID'],
  ] as const)('%s -> %s', async (_n, id, token, expected) => {
    expect(await code(auth(), id, token())).toBe(expected);
  });

  test.each([
    ['another body', LINE, Buffer.from('gzip bytes, as sent!'), /another body/],
    ['another path', { ...LINE, path: '/v1/sync/events' }, REQUEST.body, /another path/],
    ['another method', { ...LINE, method: 'PUT' }, REQUEST.body, /another method/],
  ] as const)('a token replayed with %s is refused AUTH_REQUEST_MISMATCH, saying what differs and nothing of the token', async (_n, line, body, what) => {
    const a = auth();
    const t = encryptAuthToken(authToken, REQUEST);
    const refused = await a.authenticate('acme', t, line).then(
      (ok) => codeOf(() => a.admit(ok, body)),
      (e: unknown) => (e instanceof AuthError ? `${e.code}: ${e.message}` : String(e)),
    );
    expect(refused).toMatch(/^AUTH_REQUEST_MISMATCH: /);
    expect(refused).toMatch(what);
    expect(refused).not.toContain(authToken);
    expect(refused).not.toContain('/v1/sync/sms');
    // The refused copy did not spend the token: the request it was made for still goes through.
    expect(await code(a, 'acme', t)).toBe('ok');
  });

  test('the same token and body on another replica is accepted (its request_id deduplicates it downstream); on the same one it is a replay', async () => {
    const t = encryptAuthToken(authToken, REQUEST);
    const [one, two] = [auth(), auth()];
    expect(await code(one, 'acme', t)).toBe('ok');
    expect(await code(two, 'acme', t)).toBe('ok');
    expect(await code(one, 'acme', t)).toBe('AUTH_REPLAYED');
  });

  test('a version 1 token is accepted, marked unbound, while AUTH_ACCEPT_UNBOUND_TOKENS is on, and refused AUTH_MALFORMED once it is off', async () => {
    expect(await code(auth(true), 'acme', encryptUnboundAuthToken(authToken), { method: 'POST', path: '/v1/sync/events' }, Buffer.from('any'))).toBe(
      'ok unbound',
    );
    expect(await code(auth(false), 'acme', encryptUnboundAuthToken(authToken))).toBe('AUTH_MALFORMED');
    expect(await code(auth(false), 'acme', encryptAuthToken(authToken, REQUEST))).toBe('ok');
  });
});
