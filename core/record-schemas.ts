// JSON Schemas of the records of each source: the Producer API validates requests with them,
// the consumers validate messages with them (a message that fails goes to the DLQ), and the
// OpenAPI document publishes them.
import type { Source } from './domain.js';

const str = (max: number) => ({ type: 'string', minLength: 1, maxLength: max });
const timestamp = { type: 'integer', minimum: 0, maximum: 32503680000000 };

/**
 * How far ahead of the Producer API's clock a record's time (milliseconds since the epoch) may
 * be. A day covers a device clock set a few hours fast or in the wrong time zone; anything
 * further is a broken clock, and an event dated beyond the days PostgreSQL has partitions for
 * would wait in sync_events_log's DEFAULT partition until its day came.
 */
export const MAX_FUTURE_MS = 24 * 3600_000;

/** Record schemas per source. Extra fields are allowed (newer SDKs); the ones named are typed. */
export const RECORD_SCHEMAS: Record<Source, object> = {
  sms: {
    type: 'object',
    required: ['sender', 'body', 'timestamp', 'type'],
    properties: {
      id: { type: ['string', 'integer'] },
      sender: str(128),
      body: { type: 'string', maxLength: 8192 },
      timestamp,
      type: { enum: ['inbox', 'sent', 'draft', 'outbox', 'failed', 'queued', 'other'] },
    },
  },
  events: {
    type: 'object',
    required: ['event_type', 'timestamp'],
    properties: { event_type: str(128), event_value: { type: 'string', maxLength: 4096 }, timestamp },
  },
  apps_and_device: {
    type: 'object',
    required: ['kind'],
    properties: { kind: { enum: ['app', 'device', 'ios_device'] }, package_name: str(256), app_name: { type: 'string', maxLength: 256 } },
    if: { properties: { kind: { const: 'app' } } },
    then: { required: ['package_name'] },
  },
  contacts: {
    type: 'object',
    required: ['contact_id', 'phones'],
    properties: {
      contact_id: str(128),
      name: { type: 'string', maxLength: 256 },
      phones: { type: 'array', maxItems: 32, items: str(64) },
      updated_at: timestamp,
    },
  },
  call_logs: {
    type: 'object',
    required: ['number', 'type', 'duration', 'timestamp'],
    properties: {
      number: str(64),
      type: { enum: ['incoming', 'outgoing', 'missed', 'rejected', 'blocked', 'other'] },
      duration: { type: 'integer', minimum: 0 },
      timestamp,
    },
  },
};

/** The fields of each source's records that hold a time: those typed `timestamp` above. */
const TIME_FIELDS = Object.fromEntries(
  Object.entries(RECORD_SCHEMAS).map(([source, schema]) => {
    const properties = (schema as { properties?: Record<string, unknown> }).properties ?? {};
    return [source, Object.keys(properties).filter((k) => properties[k] === timestamp)];
  }),
) as Record<Source, string[]>;

/**
 * The first time in `records` more than MAX_FUTURE_MS ahead of `now`, as a path into the
 * request body (for the error's details); undefined when there is none. Run after the schema
 * check, so each time field is an integer when present.
 */
export function findFutureTime(source: Source, records: readonly Record<string, unknown>[], now: number): { path: string; message: string } | undefined {
  const fields = TIME_FIELDS[source];
  for (let i = 0; i < records.length; i++) {
    for (const f of fields) {
      const t = records[i]![f];
      if (typeof t === 'number' && t > now + MAX_FUTURE_MS)
        return {
          path: `body.records[${i}].${f}`,
          message: `is ${new Date(t).toISOString()}, more than ${MAX_FUTURE_MS / 3600_000} hours ahead of the server's clock`,
        };
    }
  }
  return undefined;
}
