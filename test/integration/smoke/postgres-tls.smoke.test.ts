// PostgreSQL over TLS with sslmode verify-full, as on RDS: the server certificate comes from
// test/infra's test CA and names the addresses clients use (localhost and 127.0.0.1 here, the
// node bridge's address for pods).
import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import pg from 'pg';

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; start the test services with \`npm run infra:up\``);
  return v;
}

/** Whether the server sees the session as encrypted. */
async function sslInUse(client: pg.Client): Promise<boolean> {
  await client.connect();
  try {
    return (await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]!.ssl;
  } finally {
    await client.end();
  }
}

test.each(['localhost', '127.0.0.1'])('sslmode verify-full with the test CA connects to %s, a name in the certificate', async (host) => {
  const url = new URL(`postgres://${host}:${need('PGPORT')}/postgres`);
  url.username = need('PGUSER');
  url.password = need('PGPASSWORD');
  url.searchParams.set('sslmode', 'verify-full');
  url.searchParams.set('sslrootcert', need('PG_CA_FILE'));
  expect(await sslInUse(new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 }))).toBe(true);
});

test("the server's certificate also names the node bridge's address, where pods reach it", async () => {
  let cert: PeerCertificate | undefined;
  const client = new pg.Client({
    host: 'localhost',
    port: Number(need('PGPORT')),
    user: need('PGUSER'),
    password: need('PGPASSWORD'),
    database: 'postgres',
    connectionTimeoutMillis: 5000,
    ssl: {
      ca: readFileSync(need('PG_CA_FILE'), 'utf8'),
      checkServerIdentity: (host, peer) => {
        cert = peer;
        return checkServerIdentity(host, peer);
      },
    },
  });
  expect(await sslInUse(client)).toBe(true);
  expect(checkServerIdentity(need('NODE_IP'), cert!)).toBeUndefined();
  expect(checkServerIdentity('db.example.com', cert!)?.message).toMatch(/is not in the cert's altnames/);
});
