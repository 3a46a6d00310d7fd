// Reading and validating a sync request body: size limits before and after decompression
// (a gzip bomb stops at the limit, memory stays bounded), JSON parsing, and a JSON Schema per
// source (Ajv). Each failure is a typed error with a stable code and an HTTP status.
import { gunzip, gunzipSync } from 'node:zlib';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { SOURCES, type Source } from '../../core/domain.js';
import { syncRequestSchema, type SyncRequestBody } from '../../core/envelope.js';
import { findFutureTime } from '../../core/record-schemas.js';
import { findUnstorable, MAX_JSON_DEPTH } from '../../core/storable.js';

const gunzipAsync = promisify(gunzip);

export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface Limits {
  /** Bytes on the wire (compressed or not). */
  maxBodyBytes: number;
  /** Bytes after decompression. */
  maxDecompressedBytes: number;
  maxRecords: number;
}

/** Output up to which a body is inflated on the calling thread (well under a millisecond). */
const SYNC_INFLATE_LIMIT = 256 * 1024;

/**
 * gunzip with an output limit. Typical SDK batches (a few KB in, tens of KB out) inflate on
 * the calling thread: the thread pool's round trip costs more than the work. Anything that
 * inflates past SYNC_INFLATE_LIMIT goes to the pool with the real limit, so a gzip bomb
 * never blocks the event loop for more than that much output.
 */
async function gunzipBounded(raw: Buffer, limit: number): Promise<Buffer> {
  try {
    return gunzipSync(raw, { maxOutputLength: Math.min(limit, SYNC_INFLATE_LIMIT) });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE' || limit <= SYNC_INFLATE_LIMIT) throw err;
    return gunzipAsync(raw, { maxOutputLength: limit });
  }
}

/** The body is over the wire limit: refused before (declared) or while (chunked) it is read. */
export class BodyTooLargeError extends RequestError {
  constructor(message: string) {
    super(413, 'PAYLOAD_TOO_LARGE', message);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Reads the raw body, refusing it as soon as it passes the limit. The stream is left alone
 * then (not destroyed: that would reset the connection before the 413 is written); the caller
 * answers and closes.
 */
export function readBody(req: Readable & { headers: Record<string, string | string[] | undefined> }, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLargeError(`the body is ${declared} bytes; the limit is ${limit}`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (b: Buffer) => {
      size += b.length;
      if (size > limit) {
        done();
        reject(new BodyTooLargeError(`the body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(b);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    // The connection went away (or was cut by a timeout) before the body was complete.
    const onClose = () => {
      done();
      reject(new RequestError(400, 'INCOMPLETE_BODY', 'the connection closed before the body was complete'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

export async function decodeBody(raw: Buffer, contentType: string | undefined, contentEncoding: string | undefined, limits: Limits): Promise<unknown> {
  return parseJson(await decodeText(raw, contentType, contentEncoding, limits));
}

/** The body as text: its type checked, gunzip'd within the limit when gzip'd. */
export async function decodeText(raw: Buffer, contentType: string | undefined, contentEncoding: string | undefined, limits: Limits): Promise<string> {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new RequestError(415, 'UNSUPPORTED_CONTENT_TYPE', `Content-Type must be application/json (got "${type || 'none'}")`);
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase();
  let json: Buffer;
  if (encoding === 'gzip') {
    try {
      json = await gunzipBounded(raw, limits.maxDecompressedBytes);
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        throw new RequestError(413, 'DECOMPRESSED_TOO_LARGE', `the body decompresses to more than ${limits.maxDecompressedBytes} bytes`);
      throw new RequestError(400, 'INVALID_GZIP', 'the body is not valid gzip');
    }
  } else if (encoding === 'identity') {
    json = raw;
  } else {
    throw new RequestError(415, 'UNSUPPORTED_ENCODING', `Content-Encoding must be gzip or identity (got "${encoding}")`);
  }
  return json.toString('utf8');
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RequestError(400, 'INVALID_JSON', `the body is not valid JSON: ${err instanceof Error ? err.message : 'parse error'}`);
  }
}

/** Longest field path an error response repeats (paths can carry request-chosen keys). */
const MAX_PATH = 200;

export class PayloadValidator {
  private readonly validators = new Map<Source, ValidateFunction>();
  private readonly schemas = new Map<Source, Record<string, unknown>>();

  constructor(private readonly limits: Limits) {
    // strictRequired off: the app records schema requires package_name in an if/then branch.
    const ajv = new Ajv({ allErrors: false, strict: true, strictTypes: false, strictRequired: false });
    for (const source of SOURCES) {
      const schema = syncRequestSchema(source, limits.maxRecords);
      this.schemas.set(source, schema);
      this.validators.set(source, ajv.compile(schema));
    }
  }

  /** The JSON Schema a source's requests are validated with (the OpenAPI document serves it). */
  schema(source: Source): Record<string, unknown> {
    return this.schemas.get(source)!;
  }

  /** `now`: the server's clock, which record times may not be far ahead of (core/record-schemas.ts). */
  validate(source: Source, body: unknown, now = Date.now()): SyncRequestBody {
    const records = (body as { records?: unknown } | null)?.records;
    if (Array.isArray(records) && records.length > this.limits.maxRecords) {
      throw new RequestError(413, 'TOO_MANY_RECORDS', `a request may carry at most ${this.limits.maxRecords} records (got ${records.length})`);
    }
    // Before the schema: nothing below may recurse into a value nested without bound.
    const bad = findUnstorable(body);
    if (bad?.problem === 'too-deep')
      throw new RequestError(400, 'JSON_TOO_DEEP', `the body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`, [
        { path: bad.path.slice(0, MAX_PATH), message: bad.message },
      ]);
    if (bad)
      throw new RequestError(400, 'UNSTORABLE_VALUE', `${bad.path.slice(0, MAX_PATH)} ${bad.message}`, [
        { path: bad.path.slice(0, MAX_PATH), message: bad.message },
      ]);
    const v = this.validators.get(source)!;
    if (!v(body))
      throw new RequestError(400, 'SCHEMA_VIOLATION', 'the body does not match the schema for this source', (v.errors ?? []).slice(0, 10).map(issue));
    const valid = body as SyncRequestBody;
    const future = findFutureTime(source, valid.records, now);
    if (future) throw new RequestError(400, 'TIMESTAMP_OUT_OF_RANGE', `${future.path} ${future.message}`, [future]);
    return valid;
  }
}

function issue(e: ErrorObject): { path: string; message: string } {
  const path = `body${e.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')}`;
  if (e.keyword === 'required') return { path: `${path}.${String(e.params.missingProperty)}`, message: 'is required' };
  if (e.keyword === 'additionalProperties') return { path: `${path}.${String(e.params.additionalProperty)}`, message: 'is not allowed' };
  return { path, message: e.message ?? e.keyword };
}
