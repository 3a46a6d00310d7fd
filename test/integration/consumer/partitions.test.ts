// The database jobs against rows dated outside the partitions they made: a row for a day with no
// partition yet lands in the table's DEFAULT partition, and PostgreSQL refuses to create that
// day's partition while DEFAULT holds rows for it. The real `partitions` and `migrate` jobs
// against the test PostgreSQL.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type pg from 'pg';
import type { MongoClient } from 'mongodb';
import { partitionName, utcDay } from '../../../core/insights-schema.js';
import { runJob, runMigrate } from '../../support/consumer-process.js';
import { connectMongo, connectPg, createTestDatabase, dropTestDatabase, uniqueName } from '../../support/services.js';

let insightsDb: string;
let syncDb: string;
const mongoDb = `parts_${uniqueName('m').replace(/-/g, '')}`;
let insights: pg.Client;
let sync: pg.Client;
let mongo: MongoClient;

const env = () => ({ DI_POSTGRES_DATABASE: insightsDb, DI_POSTGRES_SYNC_DATABASE: syncDb, DI_MONGODB_DATABASE: mongoDb });
const HOUR = 3600_000;
/** Noon UTC `days` from today: inside that day's partition whatever the time of the run. */
const noon = (days: number) => new Date(utcDay(new Date(), days).getTime() + 12 * HOUR);
const FAR_FUTURE = new Date('2999-01-01T00:00:00Z');

async function addEvent(at: Date, tag: string): Promise<void> {
  await sync.query(
    `INSERT INTO sync_events_log (event_type, sync_request_id, client_id, user_id, record_key, created_at) VALUES ('tap', $1, 'acme', 'u-1', $2, $3)`,
    [tag, tag, at],
  );
}
async function addUsage(at: Date, tag: string): Promise<void> {
  await insights.query(`INSERT INTO usage (request_id, client_id, api_name, response_code, created_at) VALUES ($1, 'acme', 'sync/events', 202, $2)`, [tag, at]);
}
/** The partition each row of `tag` is stored in, or absent when the row is gone. */
async function whereIs(db: pg.Client, sql: string, tag: string): Promise<string | undefined> {
  const r = await db.query<{ part: string }>(sql, [tag]);
  return r.rows[0]?.part;
}
const eventIn = (tag: string) => whereIs(sync, `SELECT tableoid::regclass::text AS part FROM sync_events_log WHERE sync_request_id = $1`, tag);
const usageIn = (tag: string) => whereIs(insights, `SELECT tableoid::regclass::text AS part FROM usage WHERE request_id = $1`, tag);

beforeAll(async () => {
  insightsDb = await createTestDatabase('insights');
  syncDb = await createTestDatabase('sync');
  // partitions for today and the next two days only
  expect((await runMigrate({ ...env(), MIGRATE_DAYS_AHEAD: '2' })).code).toBe(0);
  insights = await connectPg(insightsDb);
  sync = await connectPg(syncDb);
  mongo = await connectMongo();
}, 60000);

afterAll(async () => {
  await insights?.end();
  await sync?.end();
  await mongo?.db(mongoDb).dropDatabase();
  await mongo?.close();
  for (const d of [insightsDb, syncDb]) if (d) await dropTestDatabase(d);
});

test('rows in DEFAULT for a day about to get its partition, far in the future or past retention: the partitions job proceeds, moves and prunes them', async () => {
  // Dated five days ahead while partitions reach two: DEFAULT holds them until the job creates
  // that day's partition (as when an event dated beyond the lookahead is followed by the day
  // itself coming within it).
  await addEvent(noon(5), 'soon');
  await addUsage(noon(5), 'soon');
  await addEvent(FAR_FUTURE, 'far');
  await addEvent(noon(-200), 'old');
  await addUsage(noon(-200), 'old');
  await addEvent(noon(-20), 'kept');
  expect(await eventIn('soon')).toBe('sync_events_log_default');

  const run = await runJob('partitions', { ...env(), PARTITION_DAYS_AHEAD: '10', PARTITION_RETENTION_DAYS: '90' });
  expect({ code: run.code, log: run.code === 0 ? '' : run.log }).toEqual({ code: 0, log: '' });

  expect(await eventIn('soon')).toBe(partitionName('sync_events_log', utcDay(new Date(), 5)));
  expect(await usageIn('soon')).toBe(partitionName('usage', utcDay(new Date(), 5)));
  expect(await eventIn('far')).toBe('sync_events_log_default'); // no partition that far ahead: it waits in DEFAULT
  expect(await eventIn('old')).toBeUndefined(); // past retention, as a dropped partition's rows are
  expect(await usageIn('old')).toBeUndefined();
  expect(await eventIn('kept')).toBe('sync_events_log_default'); // within retention: kept
  const names = (await sync.query<{ relname: string }>(`SELECT relname FROM pg_class WHERE relname LIKE 'sync_events_log_p%'`)).rows.map((r) => r.relname);
  expect(names).toContain(partitionName('sync_events_log', utcDay(new Date(), 10)));

  // and again: nothing left to move, nothing fails
  expect((await runJob('partitions', { ...env(), PARTITION_DAYS_AHEAD: '10', PARTITION_RETENTION_DAYS: '90' })).code).toBe(0);
});

test('migrate, too, creates a partition whose day already has rows in DEFAULT', async () => {
  await addEvent(noon(12), 'later');
  expect(await eventIn('later')).toBe('sync_events_log_default');
  const run = await runMigrate({ ...env(), MIGRATE_DAYS_AHEAD: '12' });
  expect({ code: run.code, log: run.code === 0 ? '' : run.log }).toEqual({ code: 0, log: '' });
  expect(await eventIn('later')).toBe(partitionName('sync_events_log', utcDay(new Date(), 12)));
});
