import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { MongoServerError, type MongoClient, type Db } from 'mongodb';
import { connectMongo, uniqueName } from '../../support/services.js';

let client: MongoClient;
let db: Db;

beforeAll(async () => {
  client = await connectMongo();
  db = client.db(uniqueName('smoke').replace(/-/g, '_'));
});
afterAll(async () => {
  await db?.dropDatabase().catch(() => undefined);
  await client?.close();
});

test('the MongoDB-wire server does insertMany, unique-index E11000 and bulkWrite upserts', async () => {
  const coll = db.collection<{ _id: string; user_id: string; n: number }>('sms');
  await coll.createIndex({ user_id: 1, n: 1 }, { unique: true, name: 'user_n_unique' });
  const inserted = await coll.insertMany([
    { _id: 'a', user_id: 'u1', n: 1 },
    { _id: 'b', user_id: 'u1', n: 2 },
  ]);
  expect(inserted.insertedCount).toBe(2);

  const dup = await coll.insertOne({ _id: 'c', user_id: 'u1', n: 1 }).catch((e: unknown) => e);
  expect(dup).toBeInstanceOf(MongoServerError);
  expect((dup as MongoServerError).code).toBe(11000);

  const bulk = await coll.bulkWrite(
    [
      { updateOne: { filter: { _id: 'b' }, update: { $set: { n: 20 } }, upsert: true } },
      { updateOne: { filter: { _id: 'd' }, update: { $set: { user_id: 'u2', n: 3 } }, upsert: true } },
    ],
    { ordered: false },
  );
  expect(bulk.upsertedCount).toBe(1);
  expect(bulk.modifiedCount).toBe(1);
  const docs = await coll.find({}, { sort: { _id: 1 } }).toArray();
  expect(docs).toEqual([
    { _id: 'a', user_id: 'u1', n: 1 },
    { _id: 'b', user_id: 'u1', n: 20 },
    { _id: 'd', user_id: 'u2', n: 3 },
  ]);
});
