// Record times the Producer API refuses: a time further ahead of its clock than
// MAX_FUTURE_MS. An event dated beyond the days PostgreSQL has partitions for waits in the
// DEFAULT partition; a device clock set years ahead would keep rows there for years.
import { describe, expect, test } from '@jest/globals';
import { MAX_FUTURE_MS } from '../../../core/record-schemas.js';
import { PayloadValidator, RequestError } from '../../../workloads/producer/payload.js';

const NOW = Date.UTC(2026, 10, 26, 12);
const validator = new PayloadValidator({ maxBodyBytes: 1 << 20, maxDecompressedBytes: 8 << 20, maxRecords: 100 });
const body = (records: Record<string, unknown>[]) => ({ request_id: 'r-1', user_id: 'u-1', sdk_version: '2.4.0', device: {}, records });
const event = (timestamp: number) => ({ event_type: 'tap', timestamp });

function refusal(fn: () => unknown): RequestError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof RequestError) return err;
    throw err;
  }
  return undefined;
}

describe('record times ahead of the clock', () => {
  test('a far-future event is refused, naming the record and field', () => {
    const err = refusal(() => validator.validate('events', body([event(NOW), event(Date.UTC(2999, 0, 1))]), NOW));
    expect(err).toMatchObject({ status: 400, code: 'TIMESTAMP_OUT_OF_RANGE', details: [{ path: 'body.records[1].timestamp' }] });
  });

  test.each([
    ['sms', 'timestamp', { sender: 'S', body: 'b', type: 'inbox', timestamp: NOW + MAX_FUTURE_MS + 1 }],
    ['call_logs', 'timestamp', { number: 'x', type: 'incoming', duration: 1, timestamp: NOW + MAX_FUTURE_MS + 1 }],
    ['contacts', 'updated_at', { contact_id: 'c', phones: [], updated_at: NOW + MAX_FUTURE_MS + 1 }],
  ] as const)('%s: %s just past the window is refused', (source, field, record) => {
    expect(refusal(() => validator.validate(source, body([record]), NOW))).toMatchObject({
      code: 'TIMESTAMP_OUT_OF_RANGE',
      details: [{ path: `body.records[0].${field}` }],
    });
  });

  test('up to the window ahead (a device clock a few hours fast) and any time past are accepted', () => {
    expect(refusal(() => validator.validate('events', body([event(NOW + MAX_FUTURE_MS), event(0), event(NOW - 400 * 86_400_000)]), NOW))).toBeUndefined();
  });
});
