// The Producer API's OpenAPI 3.1 document, served at /openapi.json. The request schemas are
// the objects the server's validator compiled (core/envelope.ts, through payload.ts); a test
// compares the served document with them.
import { SOURCES, type Source } from '../../core/domain.js';
import { MAX_FUTURE_MS } from '../../core/record-schemas.js';
import { MAX_JSON_DEPTH } from '../../core/storable.js';
import type { Limits } from './payload.js';

const ERROR_CODES = {
  400: [
    'INVALID_JSON',
    'INVALID_GZIP',
    'SCHEMA_VIOLATION',
    'UNSTORABLE_VALUE',
    'TIMESTAMP_OUT_OF_RANGE',
    'JSON_TOO_DEEP',
    'INVALID_PATH',
    'INCOMPLETE_BODY',
    'BAD_REQUEST',
  ],
  401: ['AUTH_MISSING', 'AUTH_UNKNOWN_CLIENT', 'AUTH_MALFORMED', 'AUTH_INVALID', 'AUTH_EXPIRED', 'AUTH_REQUEST_MISMATCH', 'AUTH_REPLAYED'],
  403: ['SOURCE_NOT_ALLOWED'],
  404: ['UNKNOWN_SOURCE', 'NOT_FOUND'],
  408: ['REQUEST_TIMEOUT'],
  413: ['PAYLOAD_TOO_LARGE', 'DECOMPRESSED_TOO_LARGE', 'TOO_MANY_RECORDS', 'RECORD_TOO_LARGE'],
  415: ['UNSUPPORTED_CONTENT_TYPE', 'UNSUPPORTED_ENCODING'],
  429: ['RATE_LIMITED'],
  431: ['HEADERS_TOO_LARGE'],
  500: ['INTERNAL'],
  503: ['KAFKA_UNAVAILABLE', 'AUTH_UNAVAILABLE'],
} as const;

/** `Request_sms`, ...: the component holding a source's request schema. */
export const requestComponent = (source: Source) => `Request_${source}`;

export function openApiDocument(limits: Limits, requestSchema: (source: Source) => Record<string, unknown>): Record<string, unknown> {
  const error = (status: keyof typeof ERROR_CODES, description: string) => ({
    description,
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/Error' },
        example: { error: { code: ERROR_CODES[status][0], message: '...' }, request_id: 'r-1' },
      },
    },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'MobileForge Sync Producer API',
      version: '1.0.0',
      description: 'Ingests gzip-compressed JSON batches from the MobileForge SDK into Kafka. Authentication: docs/auth.md.',
    },
    components: {
      securitySchemes: {
        clientId: { type: 'apiKey', in: 'header', name: 'X-Client-Id' },
        authToken: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Auth-Token',
          description:
            'Per-request token, version 2: AES-128-GCM over the auth_token, a timestamp, a nonce and the request it is made for (method, path, SHA-256 of the body bytes as sent) (docs/auth.md).',
        },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'request_id'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: Object.values(ERROR_CODES).flat() },
                message: { type: 'string' },
                details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
              },
            },
            request_id: { type: 'string' },
          },
        },
        Accepted: {
          type: 'object',
          required: ['request_id', 'accepted', 'messages'],
          properties: {
            request_id: { type: 'string' },
            accepted: { type: 'integer', description: 'Records written to Kafka and acknowledged by all in-sync replicas.' },
            messages: { type: 'integer' },
          },
        },
        ...Object.fromEntries(SOURCES.map((s) => [requestComponent(s), requestSchema(s)])),
      },
    },
    security: [{ clientId: [], authToken: [] }],
    paths: {
      '/v1/sync/{source}': {
        post: {
          operationId: 'sync',
          summary: 'Sync one batch of records',
          parameters: [
            {
              name: 'source',
              in: 'path',
              required: true,
              schema: { type: 'string', enum: [...SOURCES] },
              description: 'contacts and call_logs are refused in an india pipeline, and for clients in india in any pipeline.',
            },
            { name: 'Content-Encoding', in: 'header', required: false, schema: { type: 'string', enum: ['gzip', 'identity'] } },
          ],
          requestBody: {
            required: true,
            description:
              `JSON, optionally gzip-compressed, matching the component Request_{source} for the source in the path. ` +
              `At most ${limits.maxBodyBytes} bytes on the wire, ${limits.maxDecompressedBytes} bytes decompressed, ${limits.maxRecords} records, ` +
              `objects and arrays nested at most ${MAX_JSON_DEPTH} deep (JSON_TOO_DEEP). No string anywhere may contain the NUL character (U+0000) ` +
              'and no field name may start with "$" or contain "." or NUL; no string or field name may hold an unpaired UTF-16 surrogate, and no number may lie ' +
              "beyond a 64-bit float's range; the databases cannot store these as sent (UNSTORABLE_VALUE, naming the field). " +
              `No record time (timestamp, updated_at) may be more than ${MAX_FUTURE_MS / 3600_000} hours ahead of the server's clock (TIMESTAMP_OUT_OF_RANGE, naming the field).`,
            content: {
              'application/json': {
                // The body's schema depends on the source in the path, which OpenAPI cannot
                // express on one path: the request of source X is the component Request_X.
                schema: { anyOf: SOURCES.map((s) => ({ $ref: `#/components/schemas/${requestComponent(s)}` })) },
              },
            },
          },
          responses: {
            202: {
              description: 'Every record was acknowledged by Kafka (acks=all).',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } },
            },
            400: error(
              400,
              'Invalid JSON or gzip, the body does not match the schema, nests too deep or holds a value no database can store, or the path is not valid percent-encoding.',
            ),
            401: error(401, 'Authentication failed; recorded in unauthorized_requests.'),
            403: error(403, "This source is not collected in the pipeline's region or the client's geography."),
            404: error(404, 'Unknown source.'),
            408: error(408, 'The request (headers and body) did not arrive within the request timeout; the connection is closed.'),
            413: error(413, 'Over a size or record limit. A body refused for its size is not read further: the connection is closed after the answer.'),
            415: error(415, 'Unsupported Content-Type or Content-Encoding.'),
            429: {
              ...error(
                429,
                "The client is over the pipeline's per-client rate limit (RATE_LIMITED, the message names it); nothing was written and no usage row recorded. Retry after Retry-After seconds with the same request_id.",
              ),
              headers: { 'Retry-After': { schema: { type: 'integer', minimum: 1 } } },
            },
            431: error(431, 'The request headers are too large; the connection is closed.'),
            500: error(500, 'Unexpected error.'),
            503: {
              ...error(
                503,
                'Kafka could not take the data (KAFKA_UNAVAILABLE), or the client could not be looked up (AUTH_UNAVAILABLE); nothing was acknowledged. Retry after Retry-After seconds with the same request_id.',
              ),
              headers: { 'Retry-After': { schema: { type: 'integer' } } },
            },
          },
        },
      },
      '/health': { get: { operationId: 'health', security: [], summary: 'Liveness', responses: { 200: { description: 'The process is alive.' } } } },
      '/ready': {
        get: {
          operationId: 'ready',
          security: [],
          summary: 'Readiness: {"status", "checks": {"kafka", "postgres"}}, each "ok" or "unavailable" (never error text)',
          responses: { 200: { description: 'Ready.' }, 503: { description: 'Not ready: the checks name the dependency that is down.' } },
        },
      },
      '/openapi.json': {
        get: { operationId: 'openapi', security: [], summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1 document.' } } },
      },
    },
  };
}
