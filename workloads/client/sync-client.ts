// A small TypeScript client of the Producer API that implements the SDK's authentication
// (docs/auth.md): gzip'd JSON, a fresh encrypted token per request. Tests and benchmarks use it;
// SDK teams can read it as the reference implementation.
import { gzipSync } from 'node:zlib';
import { request as httpRequest, Agent } from 'node:http';
import { encryptAuthToken } from '../../core/auth-token.js';
import type { Source } from '../../core/domain.js';
import type { DeviceIds } from '../../core/envelope.js';

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
  baseUrl: string;
  clientId: string;
  authToken: string;
  gzip?: boolean;
  agent?: Agent;
}

export class SyncClient {
  private readonly agent: Agent;
  constructor(private readonly opts: SyncClientOptions) {
    this.agent = opts.agent ?? new Agent({ keepAlive: true, maxSockets: 64 });
  }

  /** Sends one batch; `raw` overrides the body bytes (tests of bad input). */
  send(
    source: Source | string,
    batch: SyncBatch | undefined,
    extra: { headers?: Record<string, string>; raw?: Buffer; token?: string } = {},
  ): Promise<SyncResponse> {
    const gzip = this.opts.gzip ?? true;
    const json = extra.raw ? undefined : Buffer.from(JSON.stringify(batch ?? {}));
    const body = extra.raw ?? (gzip ? gzipSync(json!) : json!);
    const url = new URL(`/v1/sync/${source}`, this.opts.baseUrl);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...(gzip && !extra.raw ? { 'content-encoding': 'gzip' } : {}),
      'x-client-id': this.opts.clientId,
      'x-auth-token': extra.token ?? encryptAuthToken(this.opts.authToken),
      'content-length': String(body.length),
      ...extra.headers,
    };
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', headers, agent: this.agent }, (res) => {
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
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
