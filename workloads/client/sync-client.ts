// A small TypeScript client of the Producer API that implements the SDK's authentication
// (docs/auth.md): gzip'd JSON, a fresh encrypted token per request, bound to that request's
// method, path and body bytes. Tests and benchmarks use it;
// SDK teams can read it as the reference implementation: `sync()` is what an SDK should do
// (timeouts, retries with backoff and jitter on 429/503/network errors, the same request_id on
// every attempt so the pipeline stores a redelivered batch once), `send()` one bare attempt.
import { gzipSync } from 'node:zlib';
import { request as httpRequest, Agent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { encryptAuthToken, type TokenRequest } from '../../core/auth-token.js';
import type { Source } from '../../core/domain.js';
import type { DeviceIds } from '../../core/envelope.js';
import { errorMessage } from '../../core/errors.js';

export interface SyncBatch {
  request_id: string;
  user_id: string;
  sdk_version: string;
  device: DeviceIds;
  records: Record<string, unknown>[];
}

export interface SyncResponse {
  status: number;
  body: { request_id?: string; accepted?: number; error?: { code: string; message: string } };
  retryAfter?: string;
}

export interface SyncClientOptions {
  /** `http://` or `https://`. */
  baseUrl: string;
  clientId: string;
  authToken: string;
  gzip?: boolean;
  agent?: Agent;
  /** Extra CA certificates (PEM) to trust for HTTPS, e.g. a private load balancer's. */
  ca?: string;
  /** Abort an attempt that has no complete answer after this long. Default 10 s. */
  timeoutMs?: number;
  /** Retries of `sync()` after the first attempt. Default 5. */
  retries?: number;
  /** Backoff before retry n: up to min(maxBackoffMs, initialBackoffMs × 2^n), full jitter. Defaults 200 ms, 10 s. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Test seam for the jitter. */
  random?: () => number;
}

/** A failure `sync()` gave up on: the last answer (or network error) and how many attempts it made. */
export class SyncError extends Error {
  override name = 'SyncError';
  constructor(
    message: string,
    readonly attempts: number,
    readonly response?: SyncResponse,
  ) {
    super(message);
  }
}

/** Answers worth retrying: overload and unavailability. Everything else 4xx is final. */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/** Retry-After in seconds (or an HTTP date), in ms; undefined when absent or unreadable. */
function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class SyncClient {
  private readonly agent: Agent;
  private readonly https: boolean;
  constructor(private readonly opts: SyncClientOptions) {
    this.https = new URL(opts.baseUrl).protocol === 'https:';
    this.agent =
      opts.agent ??
      (this.https ? new HttpsAgent({ keepAlive: true, maxSockets: 64, ...(opts.ca ? { ca: opts.ca } : {}) }) : new Agent({ keepAlive: true, maxSockets: 64 }));
  }

  /**
   * Sends one batch until it is accepted or refused for good: a 2xx or a final 4xx is returned;
   * 429, 502-504, timeouts and network errors are retried (after Retry-After when the server
   * gives one, else exponential backoff with full jitter) up to `retries` times, then SyncError.
   */
  async sync(source: Source, batch: SyncBatch): Promise<SyncResponse> {
    const retries = this.opts.retries ?? 5;
    const initial = this.opts.initialBackoffMs ?? 200;
    const max = this.opts.maxBackoffMs ?? 10_000;
    const random = this.opts.random ?? Math.random;
    for (let attempt = 0; ; attempt++) {
      let res: SyncResponse | undefined;
      let failure: string;
      try {
        res = await this.send(source, batch);
        if (!RETRYABLE_STATUS.has(res.status)) return res;
        failure = `HTTP ${res.status}${res.body.error ? ` ${res.body.error.code}: ${res.body.error.message}` : ''}`;
      } catch (err) {
        failure = errorMessage(err);
      }
      if (attempt >= retries) throw new SyncError(`gave up after ${attempt + 1} attempts: ${failure}`, attempt + 1, res);
      const backoff = random() * Math.min(max, initial * 2 ** attempt);
      await new Promise((r) => setTimeout(r, retryAfterMs(res?.retryAfter) ?? backoff));
    }
  }

  /**
   * Sends one batch; `raw` overrides the body bytes (tests of bad input); `token` overrides the
   * X-Auth-Token, as a value or made from the request actually sent (tests of bad tokens).
   */
  send(
    source: Source | string,
    batch: SyncBatch | undefined,
    extra: { headers?: Record<string, string>; raw?: Buffer; token?: string | ((request: TokenRequest) => string) } = {},
  ): Promise<SyncResponse> {
    const gzip = this.opts.gzip ?? true;
    const json = extra.raw ? undefined : Buffer.from(JSON.stringify(batch ?? {}));
    const body = extra.raw ?? (gzip ? gzipSync(json!) : json!);
    const url = new URL(`/v1/sync/${source}`, this.opts.baseUrl);
    // The token covers exactly what travels: the method, the path of the request line and the
    // body bytes as sent (gzip'd), which the server digests before it gunzips anything.
    const bound: TokenRequest = { method: 'POST', path: url.pathname, body };
    const token = typeof extra.token === 'function' ? extra.token(bound) : (extra.token ?? encryptAuthToken(this.opts.authToken, bound));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...(gzip && !extra.raw ? { 'content-encoding': 'gzip' } : {}),
      'x-client-id': this.opts.clientId,
      'x-auth-token': token,
      'content-length': String(body.length),
      ...extra.headers,
    };
    const request = this.https ? httpsRequest : httpRequest;
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: SyncResponse['body'];
          try {
            parsed = JSON.parse(text) as SyncResponse['body'];
          } catch {
            parsed = { error: { code: 'NOT_JSON', message: text.slice(0, 200) } };
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) });
        });
      });
      req.on('error', reject);
      // A whole-exchange deadline: a server that accepts the connection and never answers (or
      // drips its answer) must not hold the SDK's batch forever.
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
