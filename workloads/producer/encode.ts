// A validated sync request as Kafka messages: the one encoding the Producer API writes (and the
// validating forwarder in test/bench imports, so the benchmark's yardstick encodes exactly so).
import type { Source } from '../../core/domain.js';
import type { SyncRequestBody } from '../../core/envelope.js';
import { messageKey, MESSAGE_VERSION, RecordTooLargeError, splitIntoMessages, type SyncMessage } from '../../core/message.js';
import { RequestError } from './payload.js';

export interface EncodedRequest {
  /** `client_id:user_id`: every message of the request goes to one partition, in order. */
  key: string;
  /** The messages' JSON, in record order (one unless the request is larger than a Kafka message may be). */
  values: string[];
}

/**
 * `text`, when given, is the JSON `body` was parsed from. A request that fits in one message is
 * then written without serialising its records again: the message is the fields the Producer
 * API adds, followed by the body's own members as received. That is the same message to any
 * JSON reader: the body's schema allows only envelope fields and `records`
 * (additionalProperties: false), none of which the Producer API adds, and a member repeated in
 * the body is repeated in the message, where JSON.parse keeps the last, as it did for `body`.
 * A record larger than a Kafka message may be is the client's error: 413 RECORD_TOO_LARGE.
 */
export function encodeRequest(
  clientId: string,
  source: Source,
  body: SyncRequestBody,
  maxMessageBytes: number,
  receivedAt = new Date(),
  text?: string,
): EncodedRequest {
  const key = messageKey(clientId, body.user_id);
  const added = { v: MESSAGE_VERSION, client_id: clientId, source, received_at: receivedAt.toISOString() } satisfies Partial<SyncMessage>;
  if (text !== undefined) {
    // Only whitespace may precede the body's opening brace: it parsed as an object.
    const members = text.slice(text.indexOf('{') + 1);
    const head = JSON.stringify({ ...added, chunk: { index: 0, count: 1 } });
    const value = `${head.slice(0, -1)},${members}`;
    if (value.length <= maxMessageBytes / 4 || Buffer.byteLength(value) <= maxMessageBytes) return { key, values: [value] };
  }
  try {
    const values = splitIntoMessages(
      {
        v: added.v,
        request_id: body.request_id,
        client_id: clientId,
        user_id: body.user_id,
        source,
        sdk_version: body.sdk_version,
        device: body.device,
        received_at: added.received_at,
      },
      body.records,
      maxMessageBytes,
    );
    return { key, values };
  } catch (err) {
    if (err instanceof RecordTooLargeError) throw new RequestError(413, 'RECORD_TOO_LARGE', err.message);
    throw err;
  }
}
