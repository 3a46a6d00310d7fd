import { describe, expect, test } from '@jest/globals';
import { MessageFormatError, parseMessage, RecordTooLargeError, splitIntoMessages, type SyncMessage } from '../../../core/message.js';

const base: Omit<SyncMessage, 'chunk' | 'records'> = {
  v: 1,
  request_id: 'r',
  client_id: 'c',
  user_id: 'u',
  source: 'sms',
  sdk_version: '1',
  device: {},
  received_at: '2026-01-01T00:00:00Z',
};

describe('Kafka message format', () => {
  test('one message when it fits', () => {
    const [m, ...rest] = splitIntoMessages(base, [{ a: 1 }, { a: 2 }], 10_000);
    expect(rest).toEqual([]);
    expect(parseMessage(m!)).toMatchObject({ chunk: { index: 0, count: 1 }, records: [{ a: 1 }, { a: 2 }] });
  });

  test('splits into ordered chunks each under the limit, keeping every record', () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ i, pad: 'x'.repeat(100) }));
    const out = splitIntoMessages(base, records, 2_000);
    expect(out.length).toBeGreaterThan(5);
    for (const m of out) expect(Buffer.byteLength(m)).toBeLessThanOrEqual(2_000);
    const parsed = out.map((m) => parseMessage(m));
    expect(parsed.map((p) => p.chunk)).toEqual(parsed.map((_, index) => ({ index, count: out.length })));
    expect(parsed.flatMap((p) => p.records)).toEqual(records);
  });

  test('a single record over the limit is an error', () => {
    expect(() => splitIntoMessages(base, [{ big: 'x'.repeat(5000) }], 2_000)).toThrow(RecordTooLargeError);
  });

  test('consumers reject what is not a v1 message', () => {
    expect(() => parseMessage('{')).toThrow(MessageFormatError);
    expect(() => parseMessage(JSON.stringify({ ...base, v: 2, chunk: { index: 0, count: 1 }, records: [] }))).toThrow(/version/);
    expect(() => parseMessage(JSON.stringify({ ...base, source: 'photos', chunk: { index: 0, count: 1 }, records: [] }))).toThrow(/source/);
  });
});
