import { describe, expect, test } from '@jest/globals';
import { parseMessage } from '../../../../core/message.js';
import type { SyncRequestBody } from '../../../../core/envelope.js';
import { encodeRequest } from '../../../../workloads/producer/encode.js';
import { SOURCES } from '../../../../core/domain.js';
import { syncRequestSchema } from '../../../../core/envelope.js';
import { RequestError } from '../../../../workloads/producer/payload.js';

const at = new Date('2026-12-07T00:00:00Z');
const body: SyncRequestBody = {
  request_id: 'r-1',
  user_id: 'u-1',
  sdk_version: '2.4.0',
  device: { device_id: 'd-1' },
  records: [
    { id: '1', sender: 'AX', body: 'héllo "quoted" \\ back', timestamp: 1764000000000, type: 'inbox' },
    { id: '2', sender: 'AX', body: 'two', timestamp: 1764000001000, type: 'sent' },
  ],
};
const expected = { v: 1, client_id: 'acme', source: 'sms', received_at: at.toISOString(), chunk: { index: 0, count: 1 }, ...body };

describe('encodeRequest', () => {
  test('keys by client and user; one message carries the envelope and the records', () => {
    const { key, values } = encodeRequest('acme', 'sms', body, 900_000, at);
    expect(key).toBe('acme:u-1');
    expect(values).toHaveLength(1);
    expect(parseMessage(values[0]!)).toEqual(expected);
  });

  test("with the body's text, the same message without serialising the records again", () => {
    for (const text of [JSON.stringify(body), `\n  ${JSON.stringify(body, null, 2)}\n`]) {
      const { values } = encodeRequest('acme', 'sms', body, 900_000, at, text);
      expect(values).toHaveLength(1);
      expect(values[0]).toContain(text.trim().slice(1));
      expect(parseMessage(values[0]!)).toEqual(expected);
    }
  });

  test('reusing the text is sound only while a body can carry none of the fields the Producer API adds', () => {
    for (const source of SOURCES) {
      const schema = syncRequestSchema(source, 10) as { additionalProperties?: unknown; properties: Record<string, unknown> };
      expect(schema.additionalProperties).toBe(false);
      for (const added of ['v', 'client_id', 'source', 'received_at', 'chunk']) expect(Object.keys(schema.properties)).not.toContain(added);
    }
  });

  test('a member repeated in the body reads as JSON.parse read the body (the last one)', () => {
    const text = `{"request_id":"ignored",${JSON.stringify(body).slice(1)}`;
    const parsed = JSON.parse(text) as SyncRequestBody;
    const { values } = encodeRequest('acme', 'sms', parsed, 900_000, at, text);
    expect(parseMessage(values[0]!).request_id).toBe('r-1');
  });

  test('a request larger than a message is split in record order, text or not', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({ id: String(i), sender: 'AX', body: 'x'.repeat(200), timestamp: 1764000000000, type: 'inbox' }));
    const big = { ...body, records };
    for (const text of [undefined, JSON.stringify(big)]) {
      const { values } = encodeRequest('acme', 'sms', big, 2_000, at, text);
      expect(values.length).toBeGreaterThan(5);
      for (const v of values) expect(Buffer.byteLength(v)).toBeLessThanOrEqual(2_000);
      expect(values.flatMap((v) => parseMessage(v).records)).toEqual(records);
    }
  });

  test('a record larger than a message is the client’s error: 413 RECORD_TOO_LARGE', () => {
    const big = { ...body, records: [{ id: '1', sender: 'AX', body: 'x'.repeat(5000), timestamp: 1764000000000, type: 'inbox' }] };
    expect(() => encodeRequest('acme', 'sms', big, 2_000, at, JSON.stringify(big))).toThrow(RequestError);
    try {
      encodeRequest('acme', 'sms', big, 2_000, at);
    } catch (err) {
      expect(err).toMatchObject({ status: 413, code: 'RECORD_TOO_LARGE' });
    }
  });
});
