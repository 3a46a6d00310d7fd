// A captured X-Auth-Token replayed against another replica of the Producer API, each a real
// process with its own in-memory replay guard, on the real PostgreSQL and Kafka: the token is
// bound to its request, so with another body it is refused everywhere; with the very same body
// it is accepted once per replica, and both copies carry the same request_id, which the
// consumers' idempotent key (client, user, request_id) stores once. A version 1 token (bound to
// nothing) is accepted while AUTH_ACCEPT_UNBOUND_TOKENS is on, counted, and refused once it is off.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { encryptAuthToken, encryptUnboundAuthToken, type TokenRequest } from '../../../core/auth-token.js';
import { TOPICS } from '../../../core/domain.js';
import { SyncClient, type SyncBatch } from '../../../workloads/client/sync-client.js';
import { ProducerFixture, TopicRecorder, oneSms, type ProducerProcess } from '../../support/producer-process.js';
import { uniqueName } from '../../support/services.js';
import { waitFor } from '../../support/wait.js';

let fx: ProducerFixture;
let recorder: TopicRecorder;
/** Two replicas of one pipeline: same database, same topics, each its own replay guard. */
let one: ProducerProcess;
/** The second replica has AUTH_ACCEPT_UNBOUND_TOKENS=false; nothing else differs. */
let two: ProducerProcess;
const client = { id: uniqueName('bound'), token: randomUUID() };

const batch = (): SyncBatch => oneSms('3.0.0');

/** Sends `b` to `to` with `token`: a header value, or made from the request actually sent. */
async function send(to: ProducerProcess, b: SyncBatch, token: string | ((r: TokenRequest) => string)) {
  const c = new SyncClient({ baseUrl: to.url, clientId: client.id, authToken: client.token });
  try {
    return await c.send('sms', b, { token });
  } finally {
    c.close();
  }
}

/** Sends `b` to `to` with a fresh version 2 token, and returns that token as a capture would. */
async function sendCapturing(to: ProducerProcess, b: SyncBatch) {
  let captured = '';
  const res = await send(to, b, (r) => (captured = encryptAuthToken(client.token, r)));
  return { res, captured };
}

beforeAll(async () => {
  // its own database and topics: the shared pipeline topics are left alone
  fx = await ProducerFixture.create('binding', TOPICS);
  await fx.addClient(client.id, client.token);
  recorder = await TopicRecorder.start(fx.prefix);
  [one, two] = await Promise.all([fx.start(), fx.start({ AUTH_ACCEPT_UNBOUND_TOKENS: 'false' })]);
}, 60000);

afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
  await recorder?.stop();
  await fx?.close();
});

describe('a token captured from a request to one replica, replayed against another', () => {
  test('with another body: refused 401 AUTH_REQUEST_MISMATCH, nothing produced', async () => {
    const first = batch();
    const { res, captured } = await sendCapturing(one, first);
    expect(res).toMatchObject({ status: 202, body: { request_id: first.request_id } });

    const forged = { ...batch(), user_id: 'someone-else' };
    const replay = await send(two, forged, captured);
    expect(replay).toMatchObject({ status: 401, body: { error: { code: 'AUTH_REQUEST_MISMATCH', message: expect.stringMatching(/another body/) } } });
    // On the replica that saw it too: the body is checked before the replay guard.
    expect(await send(one, forged, captured)).toMatchObject({ status: 401, body: { error: { code: 'AUTH_REQUEST_MISMATCH' } } });

    await waitFor('the accepted batch on Kafka', async () => recorder.forRequest(first.request_id).length === 1 || undefined, 10000, 100);
    expect(recorder.forRequest(forged.request_id)).toHaveLength(0);
  });

  test('with the same body: accepted by the other replica (one per replica), both copies carrying the same request_id, so the consumers store it once', async () => {
    const b = batch();
    const { res, captured } = await sendCapturing(one, b);
    expect(res.status).toBe(202);
    // Each replica's replay guard is its own: the very same request is accepted once more
    // elsewhere. It is harmless: the same records under the same request_id.
    expect(await send(two, b, captured)).toMatchObject({ status: 202, body: { request_id: b.request_id } });
    expect(await send(one, b, captured)).toMatchObject({ status: 401, body: { error: { code: 'AUTH_REPLAYED' } } });
    expect(await send(two, b, captured)).toMatchObject({ status: 401, body: { error: { code: 'AUTH_REPLAYED' } } });

    // Both copies land on Kafka; what makes them one row downstream is the idempotent key the
    // consumers store by: the same client, user and request_id on both.
    const copies = await waitFor(
      'both copies on Kafka',
      async () => (recorder.forRequest(b.request_id).length === 2 ? recorder.forRequest(b.request_id) : undefined),
      10000,
      100,
    );
    expect(new Set(copies.map((m) => `${m.message.client_id}|${m.message.user_id}|${m.message.request_id}|${m.headers['request-id']}`)).size).toBe(1);
    expect(copies[0]!.message.records).toEqual(copies[1]!.message.records);
  });
});

describe('version 1 tokens, bound to no request (AUTH_ACCEPT_UNBOUND_TOKENS)', () => {
  test('accepted and counted while the setting is on (the default); refused 401 AUTH_MALFORMED where it is off', async () => {
    const count = async () => Number(/^producer_auth_unbound_tokens_total (\d+)/m.exec(await one.metrics())?.[1] ?? 0);
    const before = await count();
    expect((await send(one, batch(), encryptUnboundAuthToken(client.token))).status).toBe(202);
    expect(await count()).toBe(before + 1);

    const refused = await send(two, batch(), encryptUnboundAuthToken(client.token));
    expect(refused).toMatchObject({ status: 401, body: { error: { code: 'AUTH_MALFORMED', message: expect.stringMatching(/version 1/) } } });
    // The same replica takes the SDK's own, version 2, tokens.
    expect((await send(two, batch(), (r) => encryptAuthToken(client.token, r))).status).toBe(202);
  });
});
