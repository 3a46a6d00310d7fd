// The reference client against small loopback servers that answer as an overloaded, hanging or
// TLS-fronted Producer API would: what it retries, what it returns at once, what it gives up on.
import { afterEach, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SyncClient, SyncError, type SyncBatch } from '../../../workloads/client/sync-client.js';

const batch: SyncBatch = {
  request_id: 'req-1',
  user_id: 'u1',
  sdk_version: '3.1.0',
  device: { device_id: 'd1' },
  records: [{ id: 1 }],
};

interface Seen {
  requestId: string;
  token: string;
}

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

/** A server answering each request with the next of `answers`; it records what it was sent. */
async function serve(answers: ((res: ServerResponse) => void)[], make: (h: (req: IncomingMessage, res: ServerResponse) => void) => Server = createServer) {
  const seen: Seen[] = [];
  const server = make((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as SyncBatch;
      seen.push({ requestId: body.request_id, token: String(req.headers['x-auth-token']) });
      (answers[seen.length - 1] ?? answers[answers.length - 1]!)(res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, seen };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
const accepted = json(202, { request_id: 'req-1', accepted: 1 });
const unavailable = json(503, { error: { code: 'KAFKA_UNAVAILABLE', message: 'try again' } });

const client = (port: number, extra: Partial<ConstructorParameters<typeof SyncClient>[0]> = {}) =>
  new SyncClient({ baseUrl: `http://127.0.0.1:${port}`, clientId: 'acme', authToken: 'secret', random: () => 0, initialBackoffMs: 1, ...extra });

describe('SyncClient.sync', () => {
  test('retries 503 until accepted, with the same request_id and a fresh token each attempt', async () => {
    const { port, seen } = await serve([unavailable, unavailable, accepted]);
    const c = client(port);
    const res = await c.sync('sms', batch);
    c.close();
    expect(res.status).toBe(202);
    expect(seen.map((s) => s.requestId)).toEqual(['req-1', 'req-1', 'req-1']);
    expect(new Set(seen.map((s) => s.token)).size).toBe(3);
  });

  test('429 waits for Retry-After, then succeeds', async () => {
    const { port, seen } = await serve([json(429, { error: { code: 'RATE_LIMITED', message: 'slow down' } }, { 'retry-after': '0' }), accepted]);
    const c = client(port, { initialBackoffMs: 60_000 }); // the backoff would time the test out: Retry-After must win
    expect((await c.sync('events', batch)).status).toBe(202);
    c.close();
    expect(seen).toHaveLength(2);
  });

  test('429s spend the same retry budget as 5xx: it gives up after the retries, naming RATE_LIMITED', async () => {
    const { port, seen } = await serve([json(429, { error: { code: 'RATE_LIMITED', message: 'over its rate limit' } }, { 'retry-after': '0' })]);
    const c = client(port, { retries: 2 });
    const err = await c.sync('sms', batch).catch((e: unknown) => e);
    c.close();
    expect((err as SyncError).message).toMatch(/gave up after 3 attempts: HTTP 429 RATE_LIMITED: over its rate limit/);
    expect(seen).toHaveLength(3);
  });

  test('a final refusal (400, 401) is returned at once, not retried', async () => {
    const { port, seen } = await serve([json(400, { error: { code: 'INVALID_RECORD', message: 'records[0]' } })]);
    const c = client(port);
    expect((await c.sync('sms', batch)).status).toBe(400);
    c.close();
    expect(seen).toHaveLength(1);
  });

  test('gives up with SyncError after the configured retries, naming the last failure', async () => {
    const { port, seen } = await serve([unavailable]);
    const c = client(port, { retries: 2 });
    const err = await c.sync('sms', batch).catch((e: unknown) => e);
    c.close();
    expect(err).toBeInstanceOf(SyncError);
    expect((err as SyncError).attempts).toBe(3);
    expect((err as SyncError).message).toMatch(/gave up after 3 attempts: HTTP 503 KAFKA_UNAVAILABLE: try again/);
    expect(seen).toHaveLength(3);
  });

  test('a server that never answers is cut at the timeout and retried; a closed port is retried too', async () => {
    const { port, seen } = await serve([() => undefined]);
    const c = client(port, { retries: 1, timeoutMs: 150 });
    await expect(c.sync('sms', batch)).rejects.toThrow(/gave up after 2 attempts: no answer within 150 ms/);
    c.close();
    expect(seen).toHaveLength(2);

    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const free = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const c2 = client(free, { retries: 1 });
    await expect(c2.sync('sms', batch)).rejects.toThrow(/gave up after 2 attempts: .*ECONNREFUSED/);
    c2.close();
  });

  test('HTTPS with a private CA', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sync-client-tls-'));
    try {
      const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
      run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.crt']);
      run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'tls.key', '-out', 'tls.csr']);
      execFileSync('sh', ['-c', "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"], { cwd: dir });
      run(['x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'san.ext', '-out', 'tls.crt']);
      const tls = { key: readFileSync(join(dir, 'tls.key')), cert: readFileSync(join(dir, 'tls.crt')) };
      const { port } = await serve([accepted], (h) => createHttpsServer(tls, h));
      const trusted = new SyncClient({
        baseUrl: `https://127.0.0.1:${port}`,
        clientId: 'acme',
        authToken: 'secret',
        ca: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      });
      expect((await trusted.sync('sms', batch)).status).toBe(202);
      trusted.close();
      const untrusted = client(port, { baseUrl: `https://127.0.0.1:${port}`, retries: 0 });
      await expect(untrusted.sync('sms', batch)).rejects.toThrow(/self[- ]signed|unable to verify|local issuer/i);
      untrusted.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
