// JSON Schemas of the records of each source: the Producer API validates requests with them,
// the consumers validate messages with them (a message that fails goes to the DLQ), and the
// OpenAPI document publishes them.
import type { Source } from './domain.js';

const str = (max: number) => ({ type: 'string', minLength: 1, maxLength: max });
const timestamp = { type: 'integer', minimum: 0, maximum: 32503680000000 };

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
