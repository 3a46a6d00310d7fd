// The messages of the audit topic and of the clients topic: what the producer writes, the
// consumer (or another replica) reads back exactly; anything else is refused, never guessed at.
import { describe, expect, test } from '@jest/globals';
import type { Message } from 'kafkajs';
import { auditValues, InvalidAuditRowError, parseAuditRow, type RefusalRow, type UsageRow } from '../../../core/audit-message.js';
import { auditMessage } from '../../../workloads/producer/audit-publisher.js';
import { ClientLog, clientMessage, parseClientMessage } from '../../../workloads/producer/client-log.js';
import { createLogger } from '../../../core/log.js';

const usage: UsageRow = {
  kind: 'usage',
  id: '5b0c8d3e-6f7a-4e59-9a38-0d6a3b1c2e4f',
  request_id: 'r-1',
  client_id: 'acme',
  api_name: 'sync/sms',
  response_code: 202,
  created_at: '2026-12-06T21:00:00.123Z',
};
const refusal: RefusalRow = {
  kind: 'refusal',
  id: 'f3e2d1c0-0000-4000-8000-000000000001',
  client_id: null,
  source_address: '10.0.0.1',
  reason: 'AUTH_INVALID',
  request_id: 'r-2',
  auth_token: null,
  req_body: '{"reason":"AUTH_INVALID"}',
  count: 41,
  created_at: '2026-12-06T21:00:00.000Z',
};

describe('audit rows', () => {
  test('a row survives the topic as it was, keyed by its id; its values follow the table columns', () => {
    for (const row of [usage, refusal]) {
      const m = auditMessage(row);
      expect(m.key).toBe(row.id);
      expect(parseAuditRow(Buffer.from(String(m.value)))).toEqual(row);
    }
    expect(auditValues(usage)).toEqual([usage.id, 'r-1', 'acme', 'sync/sms', 202, new Date(usage.created_at)]);
    expect(auditValues(refusal).at(-2)).toBe(41);
  });

  test.each([
    ['no value', null],
    ['not JSON', '{'],
    ['an unknown kind', JSON.stringify({ ...usage, kind: 'other' })],
    ['no id', JSON.stringify({ ...usage, id: '' })],
    ['an id too long for its column', JSON.stringify({ ...usage, id: 'x'.repeat(65) })],
    ['a time that is not one', JSON.stringify({ ...usage, created_at: 'yesterday' })],
    ['a usage row without its code', JSON.stringify({ ...usage, response_code: '202' })],
    ['a refusal row with a negative count', JSON.stringify({ ...refusal, count: -1 })],
  ])('%s is refused with a typed error (the message goes to the DLQ)', (_what, value) => {
    expect(() => parseAuditRow(value === null ? null : Buffer.from(value))).toThrow(InvalidAuditRowError);
  });
});

describe('client records', () => {
  test('a client and a client gone from the table read back as they were written', () => {
    const acme = { clientId: 'acme', authToken: 'secret', geography: 'other' };
    expect(parseClientMessage(Buffer.from(String(clientMessage('acme', acme, 1000).value)))).toEqual({ clientId: 'acme', value: acme, loaded: 1000 });
    expect(parseClientMessage(Buffer.from(String(clientMessage('gone', undefined, 2000).value)))).toEqual({ clientId: 'gone', value: undefined, loaded: 2000 });
    // A record this version cannot read is skipped, not fatal.
    expect(parseClientMessage(Buffer.from('{"client_id":"x"}'))).toBeUndefined();
    expect(parseClientMessage(Buffer.from('not json'))).toBeUndefined();
  });

  test('a replica publishes a read when it tells others something: a new or changed client, one gone, or an old record refreshed', async () => {
    const sent: Message[] = [];
    const log = new ClientLog(
      { send: async (_t, m) => void sent.push(...m) },
      'sync_clients',
      30_000,
      createLogger('test', 'error', {}, () => undefined),
    );
    const acme = { clientId: 'acme', authToken: 'secret', geography: 'other' };
    log.record('acme', acme, 1000);
    log.record('acme', acme, 2000); // the same, soon after: nothing new
    log.record('acme', { ...acme, authToken: 'rotated' }, 3000);
    log.record('nobody', undefined, 3000); // an id no one knew, not in the table: nothing to share
    log.record('acme', { ...acme, authToken: 'rotated' }, 40_000); // the same, but older than half the TTL
    log.record('acme', undefined, 41_000); // removed from the table
    await new Promise((r) => setImmediate(r));
    expect(sent.map((m) => parseClientMessage(Buffer.from(String(m.value))))).toEqual([
      { clientId: 'acme', value: acme, loaded: 1000 },
      { clientId: 'acme', value: { ...acme, authToken: 'rotated' }, loaded: 3000 },
      { clientId: 'acme', value: { ...acme, authToken: 'rotated' }, loaded: 40_000 },
      { clientId: 'acme', value: undefined, loaded: 41_000 },
    ]);
    expect(log.get('acme')).toEqual({ value: undefined, loaded: 41_000 });
    expect(log.get('nobody')).toBeUndefined();
  });
});
