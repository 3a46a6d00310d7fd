// The audit topic's message format, shared by the Producer API (writes) and the consumer that
// stores the rows (reads): one message is one `usage` row or one aggregated
// `unauthorized_requests` row. Every row carries a unique id the producer assigns (one per
// request attempt, one per refusal key and window), which with its created_at is the table's
// unique key: a message delivered twice, or produced again after a failed send, is stored once.

/** One sync request's billing row. */
export interface UsageRow {
  kind: 'usage';
  /** Unique per request attempt (a retry with the same request_id is another attempt, another row). */
  id: string;
  request_id: string;
  client_id: string;
  api_name: string;
  response_code: number;
  /** ISO 8601, UTC. */
  created_at: string;
}

/** Refusals of one (claimed client id, source address, reason) key in one window, with a count. */
export interface RefusalRow {
  kind: 'refusal';
  /** Unique per key and window, and per producer process. */
  id: string;
  client_id: string | null;
  source_address: string | null;
  reason: string;
  /** The key's first refusal in the window: its request id, token as received and a JSON summary. */
  request_id: string;
  auth_token: string | null;
  req_body: string;
  count: number;
  /** The window's start, ISO 8601, UTC. */
  created_at: string;
}

export type AuditRow = UsageRow | RefusalRow;

/** A message that is not an audit row: it goes to the dead-letter topic. */
export class InvalidAuditRowError extends Error {
  override name = 'InvalidAuditRowError';
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** The columns of each table, in the order `auditValues` gives them. */
export const AUDIT_COLUMNS = {
  usage: ['id', 'request_id', 'client_id', 'api_name', 'response_code', 'created_at'],
  unauthorized_requests: ['id', 'client_id', 'source_address', 'reason', 'request_id', 'auth_token', 'req_body', 'count', 'created_at'],
} as const;

export type AuditTable = keyof typeof AUDIT_COLUMNS;

export function auditTable(row: AuditRow): AuditTable {
  return row.kind === 'usage' ? 'usage' : 'unauthorized_requests';
}

/** The row's values in the order of its table's AUDIT_COLUMNS. */
export function auditValues(row: AuditRow): unknown[] {
  return row.kind === 'usage'
    ? [row.id, row.request_id, row.client_id, row.api_name, row.response_code, new Date(row.created_at)]
    : [row.id, row.client_id, row.source_address, row.reason, row.request_id, row.auth_token, row.req_body, row.count, new Date(row.created_at)];
}

/** Decodes and checks a message value; throws InvalidAuditRowError for anything else. */
export function parseAuditRow(value: Buffer | string | null): AuditRow {
  if (value === null) throw new InvalidAuditRowError('the message has no value');
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(value.toString()) as Record<string, unknown>;
  } catch {
    throw new InvalidAuditRowError('the message is not JSON');
  }
  if (typeof o !== 'object' || o === null) throw new InvalidAuditRowError('the message is not a JSON object');
  if (!isString(o.id) || o.id.length === 0 || o.id.length > 64) throw new InvalidAuditRowError('id must be a string of 1-64 characters');
  if (!isTime(o.created_at)) throw new InvalidAuditRowError('created_at must be an ISO 8601 time');
  if (o.kind === 'usage') {
    if (!isString(o.request_id) || !isString(o.client_id) || !isString(o.api_name) || !Number.isSafeInteger(o.response_code))
      throw new InvalidAuditRowError('a usage row needs request_id, client_id, api_name (strings) and response_code (an integer)');
    return o as unknown as UsageRow;
  }
  if (o.kind === 'refusal') {
    if (!isNullableString(o.client_id) || !isNullableString(o.source_address) || !isNullableString(o.auth_token))
      throw new InvalidAuditRowError('client_id, source_address and auth_token must be strings or null');
    if (!isString(o.reason) || !isString(o.request_id) || !isString(o.req_body) || !isCount(o.count))
      throw new InvalidAuditRowError('a refusal row needs reason, request_id, req_body (strings) and count (a non-negative integer)');
    return o as unknown as RefusalRow;
  }
  throw new InvalidAuditRowError('kind must be "usage" or "refusal"');
}
