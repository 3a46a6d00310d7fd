import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type pg from 'pg';
import { connectPg, createTestDatabase, dropTestDatabase } from '../../support/services.js';

let db: string;
let client: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase('smoke');
  client = await connectPg(db);
});
afterAll(async () => {
  await client?.end();
  if (db) await dropTestDatabase(db);
});

test('PostgreSQL runs DDL, inserts and selects', async () => {
  await client.query(`CREATE TABLE clients (id serial PRIMARY KEY, client_id varchar(72) UNIQUE NOT NULL, geography text NOT NULL DEFAULT 'india')`);
  await client.query(`INSERT INTO clients (client_id) VALUES ($1), ($2)`, ['acme', 'globex']);
  const rows = await client.query<{ client_id: string; geography: string }>(`SELECT client_id, geography FROM clients ORDER BY client_id`);
  expect(rows.rows).toEqual([
    { client_id: 'acme', geography: 'india' },
    { client_id: 'globex', geography: 'india' },
  ]);
  const version = await client.query<{ server_version_num: string }>('SHOW server_version_num');
  expect(Number(version.rows[0]?.server_version_num)).toBeGreaterThanOrEqual(150000);
  await expect(client.query(`INSERT INTO clients (client_id) VALUES ('acme')`)).rejects.toMatchObject({ code: '23505' });
});
