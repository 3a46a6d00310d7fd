// The Kafka message format shared by the Producer API (writes) and the consumers (reads).
// One message carries the records of one SDK request, or a chunk of them when the request
// is larger than a Kafka message may be. Key: `client_id:user_id` (per-user order).
import { SOURCES, type Source } from './domain.js';
import { errorMessage } from './errors.js';

export const MESSAGE_VERSION = 1;

export interface DeviceIds {
  device_id?: string;
  android_id?: string;
  app_device_id?: string;
  google_adv_id?: string;
  idfv?: string;
}

export interface SyncMessage {
  v: typeof MESSAGE_VERSION;
  request_id: string;
  client_id: string;
  user_id: string;
  source: Source;
  sdk_version: string;
  device: DeviceIds;
  /** ISO time the Producer API accepted the request. */
  received_at: string;
  /** This message's place among the messages of one request. */
  chunk: { index: number; count: number };
  records: Record<string, unknown>[];
}

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

/** Parses and checks a message's envelope (consumers validate records per source). */
export function parseMessage(value: Buffer | string): SyncMessage {
  let m: unknown;
  try {
    m = JSON.parse(value.toString());
  } catch (err) {
    throw new MessageFormatError(`not JSON: ${errorMessage(err)}`);
  }
  const o = m as Partial<SyncMessage>;
  if (!o || typeof o !== 'object') throw new MessageFormatError('not an object');
  if (o.v !== MESSAGE_VERSION) throw new MessageFormatError(`unsupported version ${String(o.v)}`);
  for (const f of ['request_id', 'client_id', 'user_id', 'sdk_version', 'received_at'] as const) {
    if (typeof o[f] !== 'string' || o[f] === '') throw new MessageFormatError(`missing ${f}`);
  }
  if (!SOURCES.includes(o.source as Source)) throw new MessageFormatError(`unknown source ${String(o.source)}`);
  if (!Array.isArray(o.records)) throw new MessageFormatError('records is not a list');
  if (!o.chunk || typeof o.chunk.index !== 'number' || typeof o.chunk.count !== 'number') throw new MessageFormatError('missing chunk');
  return o as SyncMessage;
}
