import { describe, expect, test } from '@jest/globals';
import { createCipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { decryptAuthToken, encryptAuthToken, TokenError } from '../../../core/auth-token.js';
import { Authenticator, AuthError, ReplayGuard, type ClientLookup } from '../../../workloads/producer/auth.js';

const authToken = randomUUID();

describe('the v1 auth token', () => {
  test('round-trips, and every token is different', () => {
    const a = encryptAuthToken(authToken, 1000);
    const b = encryptAuthToken(authToken, 1000);
    expect(a).not.toBe(b);
    expect(decryptAuthToken(a, authToken)).toMatchObject({ token: authToken, ts: 1000 });
  });

  test('is bound to the auth_token and tamper-evident', () => {
    const t = encryptAuthToken(authToken);
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
      expect(encryptAuthToken(secret, 1000 + i, () => rand.shift()!)).toBe(theirs);
    }
  });

  test('matches the layout docs/auth.md specifies: 0x01 | salt 16 | iv 12 | ciphertext | tag 16', () => {
    const raw = Buffer.from(encryptAuthToken(authToken, 1), 'base64url');
    expect(raw[0]).toBe(1);
    const plaintextLength = JSON.stringify({ token: authToken, ts: 1, nonce: 'x'.repeat(24) }).length;
    expect(raw.length).toBe(1 + 16 + 12 + plaintextLength + 16);
  });
});

describe('Authenticator', () => {
  const find = async (id: string) => (id === 'acme' ? { clientId: 'acme', authToken, geography: 'other' } : undefined);
  const clients: ClientLookup = { find, refresh: find };
  const auth = () => new Authenticator(clients, new ReplayGuard(300_000), 300_000);
  const code = async (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => (e instanceof AuthError ? e.code : String(e)),
    );

  test('accepts a fresh token once', async () => {
    const a = auth();
    const t = encryptAuthToken(authToken);
    expect(await code(a.authenticate('acme', t))).toBe('ok');
    expect(await code(a.authenticate('acme', t))).toBe('AUTH_REPLAYED');
  });

  test.each([
    ['missing client id', undefined, () => encryptAuthToken(authToken), 'AUTH_MISSING'],
    ['unknown client', 'nope', () => encryptAuthToken(authToken), 'AUTH_UNKNOWN_CLIENT'],
    ['stale', 'acme', () => encryptAuthToken(authToken, Date.now() - 301_000), 'AUTH_EXPIRED'],
    ['from the future', 'acme', () => encryptAuthToken(authToken, Date.now() + 301_000), 'AUTH_EXPIRED'],
    ['wrong auth_token', 'acme', () => encryptAuthToken(randomUUID()), 'AUTH_INVALID'],
  ] as const)('%s -> %s', async (_n, id, token, expected) => {
    expect(await code(auth().authenticate(id, token()))).toBe(expected);
  });
});
