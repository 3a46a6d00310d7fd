// The Kafka message format shared by the Producer API (writes) and the consumers (reads).
// One message carries the records of one SDK request, or a chunk of them when the request
// is larger than a Kafka message may be. Key: `client_id:user_id` (per-user order).
import { Ajv } from 'ajv';
import { MESSAGE_VERSION, plainJson, SyncMessageSchema, type SyncMessage } from './envelope.js';
import { errorMessage } from './errors.js';

export { MESSAGE_VERSION, type SyncMessage };

export function messageKey(clientId: string, userId: string): string {
  return `${clientId}:${userId}`;
}

/**
 * Splits a request into messages each at most `maxBytes` long (JSON), keeping record order.
 * A single record larger than the limit is an error the caller reports as 413.
 */
export function splitIntoMessages(base: Omit<SyncMessage, 'chunk' | 'records'>, records: Record<string, unknown>[], maxBytes: number): string[] {
  // The common case, one message, costs one serialisation.
  const whole = JSON.stringify({ ...base, chunk: { index: 0, count: 1 }, records } satisfies SyncMessage);
  if (whole.length <= maxBytes / 4 || Buffer.byteLength(whole) <= maxBytes) return [whole];
  const envelope = Buffer.byteLength(JSON.stringify({ ...base, chunk: { index: 99999, count: 99999 }, records: [] }));
  const chunks: Record<string, unknown>[][] = [];
  let current: Record<string, unknown>[] = [];
  let size = envelope;
  for (const r of records) {
    const n = Buffer.byteLength(JSON.stringify(r)) + 1;
    if (envelope + n > maxBytes) throw new RecordTooLargeError(`a record of ${n} bytes does not fit in a Kafka message of ${maxBytes} bytes`);
    if (size + n > maxBytes && current.length > 0) {
      chunks.push(current);
      current = [];
      size = envelope;
    }
    current.push(r);
    size += n;
  }
  if (current.length > 0 || chunks.length === 0) chunks.push(current);
  return chunks.map((recs, index) => JSON.stringify({ ...base, chunk: { index, count: chunks.length }, records: recs } satisfies SyncMessage));
}

export class RecordTooLargeError extends Error {
  override name = 'RecordTooLargeError';
}

export class MessageFormatError extends Error {
  override name = 'MessageFormatError';
}

const checkEnvelope = new Ajv({ strict: true, strictTypes: false }).compile<SyncMessage>(plainJson(SyncMessageSchema));

/** Parses and checks a message's envelope (consumers validate records per source). */
export function parseMessage(value: Buffer | string): SyncMessage {
  let m: unknown;
  try {
    m = JSON.parse(value.toString());
  } catch (err) {
    throw new MessageFormatError(`not JSON: ${errorMessage(err)}`);
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new MessageFormatError('not an object');
  const v = (m as { v?: unknown }).v;
  if (v !== MESSAGE_VERSION) throw new MessageFormatError(`unsupported version ${String(v)}`);
  if (!checkEnvelope(m)) {
    const e = checkEnvelope.errors?.[0];
    const at = e?.keyword === 'required' ? `/${String(e.params.missingProperty)}` : (e?.instancePath ?? '');
    throw new MessageFormatError(`envelope${at.replace(/\//g, '.')} ${e?.message ?? 'invalid'}`);
  }
  return m;
}
