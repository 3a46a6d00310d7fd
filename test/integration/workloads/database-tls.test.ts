// TLS from the workloads to PostgreSQL, as on RDS: the workloads' own connection settings
// (postgresConfig, from the variables the operator renders) against the local PostgreSQL, which
// test/infra starts with TLS on and a server certificate from a test CA (PG_CA_FILE).
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ConfigError, EnvReader, postgresConfig } from '../../../core/config.js';

/**
 * The server's certificate (test/infra's test CA) names localhost, 127.0.0.1 and the node bridge's
 * address. 127.1, the same loopback address written short, reaches the server under a name the
 * certificate does not carry: TLS compares the name the client was given, not where it led.
 */
const UNNAMED_HOST = '127.1';
function env(sslmode: string, caFile?: string, host = 'localhost'): EnvReader {
  return new EnvReader({
    DI_POSTGRES_HOST: host,
    DI_POSTGRES_PORT: process.env.PGPORT ?? '5432',
    DI_POSTGRES_USERNAME: process.env.PGUSER ?? '',
    DI_POSTGRES_PASSWORD: process.env.PGPASSWORD ?? '',
    DI_POSTGRES_DATABASE: 'postgres',
    DI_POSTGRES_SSLMODE: sslmode,
    ...(caFile ? { DI_POSTGRES_SSL_CA_FILE: caFile } : {}),
  });
}

/** Whether the session is encrypted, as the server sees it; throws what the connection threw. */
async function connectedWithTls(r: EnvReader): Promise<boolean> {
  const client = new pg.Client({ ...postgresConfig(r), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]!.ssl;
  } finally {
    await client.end();
  }
}

const ca = () => {
  const f = process.env.PG_CA_FILE;
  if (!f) throw new Error('PG_CA_FILE is not set: start the test services with `npm run infra:up`');
  return f;
};

describe('TLS to PostgreSQL', () => {
  test('verify-full with the CA bundle: encrypted, certificate and host name checked', async () => {
    expect(await connectedWithTls(env('verify-full', ca()))).toBe(true);
    expect(await connectedWithTls(env('verify-full', ca(), '127.0.0.1'))).toBe(true);
  });

  test('verify-full refuses a server whose certificate another CA signed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'other-ca-'));
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other', '-keyout', join(dir, 'k'), '-out', join(dir, 'ca.crt')],
        {
          stdio: 'pipe',
        },
      );
      await expect(connectedWithTls(env('verify-full', join(dir, 'ca.crt')))).rejects.toThrow(
        /self[- ]signed certificate in certificate chain|unable to verify/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('verify-full refuses a host name the certificate does not name; verify-ca accepts it', async () => {
    await expect(connectedWithTls(env('verify-full', ca(), UNNAMED_HOST))).rejects.toThrow(/Hostname\/IP does not match|altnames/);
    expect(await connectedWithTls(env('verify-ca', ca(), UNNAMED_HOST))).toBe(true);
  });

  test('require encrypts without checking; prefer and disable do not encrypt', async () => {
    expect(await connectedWithTls(env('require'))).toBe(true);
    expect(await connectedWithTls(env('prefer'))).toBe(false);
    expect(await connectedWithTls(env('disable'))).toBe(false);
  });

  test('a CA file that cannot be read is a configuration error naming the variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ca-'));
    try {
      writeFileSync(join(dir, 'present'), 'x');
      expect(() => postgresConfig(env('verify-full', join(dir, 'missing.crt')))).toThrow(ConfigError);
      expect(() => postgresConfig(env('verify-full', join(dir, 'missing.crt')))).toThrow(/DI_POSTGRES_SSL_CA_FILE: cannot read .*missing\.crt: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
