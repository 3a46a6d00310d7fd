// A validated sync request as Kafka messages: the one encoding the Producer API writes (and the
// validating forwarder in test/bench imports, so the benchmark's yardstick encodes exactly so).
import type { Source } from '../../core/domain.js';
import type { SyncRequestBody } from '../../core/envelope.js';
import { messageKey, MESSAGE_VERSION, RecordTooLargeError, splitIntoMessages } from '../../core/message.js';
import { RequestError } from './payload.js';

export interface EncodedRequest {
  /** `client_id:user_id`: every message of the request goes to one partition, in order. */
  key: string;
  /** The messages' JSON, in record order (one unless the request is larger than a Kafka message may be). */
  values: string[];
}

/** A record larger than a Kafka message may be is the client's error: 413 RECORD_TOO_LARGE. */
export function encodeRequest(clientId: string, source: Source, body: SyncRequestBody, maxMessageBytes: number, receivedAt = new Date()): EncodedRequest {
  try {
    const values = splitIntoMessages(
      {
        v: MESSAGE_VERSION,
        request_id: body.request_id,
        client_id: clientId,
        user_id: body.user_id,
        source,
        sdk_version: body.sdk_version,
        device: body.device,
        received_at: receivedAt.toISOString(),
      },
      body.records,
      maxMessageBytes,
    );
    return { key: messageKey(clientId, body.user_id), values };
  } catch (err) {
    if (err instanceof RecordTooLargeError) throw new RequestError(413, 'RECORD_TOO_LARGE', err.message);
    throw err;
  }
}
