// The MongoDB-wire server over TLS, as DocumentDB requires: a server certificate from a private CA
// (test/infra's test CA), on the listener beside the plaintext one the other suites use.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { checkServerIdentity, connect, type PeerCertificate } from 'node:tls';
import { MongoClient, type Db } from 'mongodb';
import { uniqueName } from '../../support/services.js';

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; start the test services with \`npm run infra:up\``);
  return v;
}

let client: MongoClient;
let db: Db;

beforeAll(async () => {
  client = new MongoClient(need('MONGODB_TLS_URI'), { tlsCAFile: need('MONGODB_CA_FILE'), serverSelectionTimeoutMS: 4000 });
  await client.connect();
  db = client.db(uniqueName('smoke_tls').replace(/-/g, '_'));
});
afterAll(async () => {
  await db?.dropDatabase().catch(() => undefined);
  await client?.close();
});

test('the mongodb driver over TLS, trusting the test CA, inserts and finds', async () => {
  const coll = db.collection<{ _id: string; user_id: string; n: number }>('sms');
  await coll.insertMany([
    { _id: 'a', user_id: 'u1', n: 1 },
    { _id: 'b', user_id: 'u2', n: 2 },
  ]);
  expect(await coll.find({ user_id: 'u2' }).toArray()).toEqual([{ _id: 'b', user_id: 'u2', n: 2 }]);
});

test('a client that does not trust the test CA is refused with a certificate error', async () => {
  const untrusting = new MongoClient(need('MONGODB_TLS_URI'), { serverSelectionTimeoutMS: 2000 });
  try {
    await expect(untrusting.connect()).rejects.toThrow(/unable to verify the first certificate|self-signed certificate/);
  } finally {
    await untrusting.close();
  }
});

test("the server's certificate also names the node bridge's address, where pods reach it", async () => {
  const { hostname, port } = new URL(need('MONGODB_TLS_URI'));
  const cert = await new Promise<PeerCertificate>((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca: readFileSync(need('MONGODB_CA_FILE')) }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    }).on('error', reject);
  });
  expect(checkServerIdentity(need('NODE_IP'), cert)).toBeUndefined();
  expect(checkServerIdentity('localhost', cert)).toBeUndefined();
  expect(checkServerIdentity('docdb.example.com', cert)?.message).toMatch(/is not in the cert's altnames/);
});
