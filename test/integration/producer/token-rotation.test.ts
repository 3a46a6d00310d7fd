// A client's auth_token rotated in the real PostgreSQL while a real Producer API, with the
// default 60 s clients cache, has the old row cached: the new token is accepted at once, the old
// one refused; a client added after its miss was cached is known at once too. The bound on those
// reads and the outage behaviour are unit-tested (test/unit/workloads/token-rotation.test.ts).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { SyncClient, type SyncResponse } from '../../../workloads/client/sync-client.js';
import { ProducerFixture, oneSms, type ProducerProcess } from '../../support/producer-process.js';
import { uniqueName } from '../../support/services.js';
import { sleep } from '../../support/wait.js';

let fx: ProducerFixture;
let producer: ProducerProcess;
/** A refused token reads its client's row again only if that row is older than this (auth.ts). */
const READ_INTERVAL_MS = 1000;

async function send(clientId: string, authToken: string): Promise<SyncResponse> {
  const c = new SyncClient({ baseUrl: producer.url, clientId, authToken });
  try {
    return await c.send('sms', oneSms());
  } finally {
    c.close();
  }
}

beforeAll(async () => {
  // its own database and topics: the shared pipeline topics are left alone
  fx = await ProducerFixture.create('rotation');
  // CLIENT_CACHE_TTL_SECONDS left at its default, 60 s: far longer than this suite.
  producer = await fx.start();
}, 60000);

afterAll(async () => {
  await producer?.stop();
  await fx?.close();
});

describe('clients changed in PostgreSQL while cached', () => {
  test('a rotated auth_token is accepted at once (202) and the old one refused (401), well within the cache TTL', async () => {
    const id = uniqueName('rotated');
    const [oldToken, newToken] = [randomUUID(), randomUUID()];
    await fx.addClient(id, oldToken);
    const start = Date.now();
    expect((await send(id, oldToken)).status).toBe(202);
    expect((await send(id, oldToken)).status).toBe(202);

    await sleep(READ_INTERVAL_MS + 100);
    await fx.pg.query('UPDATE clients SET auth_token = $2 WHERE client_id = $1', [id, newToken]);
    const accepted = await send(id, newToken);
    expect(accepted).toMatchObject({ status: 202, body: { accepted: 1 } });
    expect(await send(id, oldToken)).toMatchObject({ status: 401, body: { error: { code: 'AUTH_INVALID' } } });
    expect((await send(id, newToken)).status).toBe(202);
    // Not the cache expiring: its TTL is 60 s.
    expect(Date.now() - start).toBeLessThan(10_000);
  });

  test('a client added after its miss was cached is accepted at once', async () => {
    const id = uniqueName('added');
    const token = randomUUID();
    expect(await send(id, token)).toMatchObject({ status: 401, body: { error: { code: 'AUTH_UNKNOWN_CLIENT' } } });
    await sleep(READ_INTERVAL_MS + 100);
    await fx.addClient(id, token);
    expect(await send(id, token)).toMatchObject({ status: 202, body: { accepted: 1 } });
  });
});
