// The Producer API's request envelope and the Kafka message built from it, defined once as
// TypeBox schemas (as the CRD is). The TypeScript types are Static<> of these; the Producer
// API compiles its request validator from syncRequestSchema(), serves the same JSON in its
// OpenAPI document, and the consumers check messages against SyncMessageSchema.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { SOURCES, type Source } from './domain.js';
import { RECORD_SCHEMAS } from './record-schemas.js';

export const MESSAGE_VERSION = 1;

const id = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, description });

const DeviceIdsSchema = Type.Object(
  {
    device_id: Type.Optional(id(128, 'Device id the SDK assigns.')),
    android_id: Type.Optional(id(128, 'Android ID.')),
    app_device_id: Type.Optional(id(128, "The host app's own device id.")),
    google_adv_id: Type.Optional(id(128, 'Google advertising id.')),
    idfv: Type.Optional(id(128, 'iOS identifier for vendor.')),
  },
  { additionalProperties: false, description: 'Device identifiers; at least the ones the SDK knows.' },
);
export type DeviceIds = Static<typeof DeviceIdsSchema>;

/** The fields of a request the Producer API copies into every Kafka message of that request. */
const envelopeFields = {
  request_id: Type.String({
    minLength: 1,
    maxLength: 64,
    pattern: '^[A-Za-z0-9._:-]+$',
    description: "Unique among one user's requests of one client; reuse it when retrying.",
  }),
  user_id: id(128, "The host app's user id."),
  sdk_version: id(32, 'SDK version, e.g. "2.4.0".'),
  device: DeviceIdsSchema,
};

/** A record: an object; what a source requires of it is in core/record-schemas.ts. */
const AnyRecord = Type.Unsafe<Record<string, unknown>>({ type: 'object' });

/**
 * The body of `POST /v1/sync/{source}` for one source, as plain JSON Schema: what the Producer
 * API validates with and what its OpenAPI document publishes.
 */
export function syncRequestSchema(source: Source, maxRecords: number): Record<string, unknown> {
  const schema = Type.Object(
    {
      ...envelopeFields,
      records: Type.Array(Type.Unsafe<Record<string, unknown>>(RECORD_SCHEMAS[source]), {
        minItems: 1,
        maxItems: maxRecords,
        description: `The ${source} records of this batch, in the order they were collected.`,
      }),
    },
    { additionalProperties: false, description: `A batch of ${source} records from one user's device.` },
  );
  return plainJson(schema);
}

/** One Kafka message: the envelope of a request plus (a chunk of) its records. */
export const SyncMessageSchema = Type.Object({
  v: Type.Literal(MESSAGE_VERSION),
  ...envelopeFields,
  client_id: Type.String({ minLength: 1 }),
  source: Type.Unsafe<Source>({ type: 'string', enum: [...SOURCES] }),
  /** ISO time the Producer API accepted the request. */
  received_at: Type.String({ minLength: 1 }),
  /** This message's place among the messages of one request. */
  chunk: Type.Object({ index: Type.Integer({ minimum: 0 }), count: Type.Integer({ minimum: 1 }) }),
  records: Type.Array(AnyRecord),
});
export type SyncMessage = Static<typeof SyncMessageSchema>;
/** A validated request body: the envelope fields and the records. */
export type SyncRequestBody = Pick<SyncMessage, keyof typeof envelopeFields | 'records'>;

/** Drops TypeBox's symbol keys, leaving the plain JSON Schema Ajv and OpenAPI see. */
export function plainJson(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
}
