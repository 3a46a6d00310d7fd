// The sync database (DI_POSTGRES_SYNC_DATABASE) and the MongoDB collections the consumers
// write to. sync_events_log is range-partitioned by day like the insights tables; every
// write is idempotent through a unique key that includes the message's position, so a
// redelivered message changes nothing. A request id is only unique within one client's (and
// user's) requests, each SDK integration minting its own, so every key includes the client
// and the user: otherwise a second client reusing a request id would have its data dropped as a
// "duplicate".
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Db } from 'mongodb';
import { ensureDailyPartitions } from './insights-schema.js';

type Queryable = Pick<pg.Client, 'query'>;

const SYNC_DDL = [
  `CREATE TABLE IF NOT EXISTS sync_events_log (
     event_type text NOT NULL,
     event_value text,
     sync_request_id varchar(64) NOT NULL,
     client_id varchar(72) NOT NULL,
     user_id varchar(128) NOT NULL,
     record_key text NOT NULL,
     created_at timestamptz NOT NULL,
     CONSTRAINT sync_events_log_identity UNIQUE (client_id, user_id, record_key, created_at)
   ) PARTITION BY RANGE (created_at)`,
  `CREATE TABLE IF NOT EXISTS sync_events_log_default PARTITION OF sync_events_log DEFAULT`,
  `CREATE INDEX IF NOT EXISTS sync_events_log_client_user ON sync_events_log (client_id, user_id, created_at)`,
  // One row per message written (a request may span several chunks): the source of the
  // per-user sync status.
  `CREATE TABLE IF NOT EXISTS sync_requests (
     client_id varchar(72) NOT NULL,
     user_id varchar(128) NOT NULL,
     source text NOT NULL,
     request_id varchar(64) NOT NULL,
     chunk integer NOT NULL,
     records integer NOT NULL,
     received_at timestamptz NOT NULL,
     written_at timestamptz NOT NULL DEFAULT now(),
     CONSTRAINT sync_requests_identity PRIMARY KEY (client_id, user_id, request_id, source, chunk)
   )`,
  `CREATE INDEX IF NOT EXISTS sync_requests_user ON sync_requests (client_id, user_id, source, received_at)`,
  // Last sync per client, user and source, with record and request counts.
  `CREATE OR REPLACE VIEW sync_status AS
     SELECT client_id, user_id, source, max(received_at) AS last_synced_at,
            sum(records)::bigint AS records, count(DISTINCT request_id)::bigint AS requests
       FROM sync_requests GROUP BY client_id, user_id, source`,
];

/**
 * Keys an earlier version of this migration created without the client and user, and what
 * replaces each. CREATE TABLE IF NOT EXISTS leaves an existing table as it is, so a database
 * that version made gets the new key here (its rows satisfy it: it only adds columns).
 */
const REKEYED = [
  {
    table: 'sync_events_log',
    old: 'sync_events_log_record_key_created_at_key',
    name: 'sync_events_log_identity',
    key: 'UNIQUE (client_id, user_id, record_key, created_at)',
  },
  { table: 'sync_requests', old: 'sync_requests_pkey', name: 'sync_requests_identity', key: 'PRIMARY KEY (client_id, user_id, request_id, source, chunk)' },
] as const;

async function rekey(db: Queryable): Promise<void> {
  for (const k of REKEYED) {
    const has = await db.query(`SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2`, [k.table, k.name]);
    if (has.rowCount) continue;
    // one statement: the table is never without a key in between
    await db.query(`ALTER TABLE ${k.table} DROP CONSTRAINT IF EXISTS ${k.old}, ADD CONSTRAINT ${k.name} ${k.key}`);
  }
}

export async function migrateSync(db: Queryable, now = new Date(), daysAhead = 10): Promise<void> {
  await db.query(`SELECT pg_advisory_lock(hashtext('mobileforge-sync-migration'))`);
  try {
    for (const stmt of SYNC_DDL) await db.query(stmt);
    await rekey(db);
    await ensureDailyPartitions(db, 'sync_events_log', now, daysAhead);
  } finally {
    await db.query(`SELECT pg_advisory_unlock(hashtext('mobileforge-sync-migration'))`);
  }
}

/**
 * A MongoDB `_id` from the parts that identify a document: the same parts always give the same
 * id (so a redelivered record is a duplicate-key error, not a second document) and different
 * parts do not, whatever characters the ids hold (the parts are JSON-encoded, not joined with
 * a separator an id could contain: client "a:b" with user "c" is not client "a" with user
 * "b:c"). Hashed, so its length stays fixed however long the ids are: DocumentDB limits the
 * size of an index key, and _id is one. 128 bits: a collision is not a practical concern.
 */
export function documentId(parts: readonly (string | number | null)[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

/** MongoDB collections (from docs/domain.md) and where each source's records land. */
export const COLLECTIONS = {
  sms: 'sms_sync_request_sms_data',
  apps: 'device_sync_request_apps_data',
  device: 'device_sync_request_device_data',
  iosDevice: 'device_sync_request_ios_device_data',
  contacts: 'contacts_sync_request_contacts_data',
  callLogs: 'call_logs_sync_request_call_logs_data',
  deviceIdMapper: 'device_id_mapper',
  deviceTranspose: 'device_transpose',
} as const;

const INDEXES: [string, Record<string, 1>, { name: string }][] = [
  ...[COLLECTIONS.sms, COLLECTIONS.apps, COLLECTIONS.device, COLLECTIONS.iosDevice, COLLECTIONS.contacts, COLLECTIONS.callLogs].map(
    (c) => [c, { client_id: 1, user_id: 1 }, { name: 'client_user' }] as [string, Record<string, 1>, { name: string }],
  ),
  [COLLECTIONS.device, { request_id: 1 }, { name: 'request' }],
  [COLLECTIONS.iosDevice, { request_id: 1 }, { name: 'request' }],
  ...(['android_id', 'app_device_id', 'device_id', 'assembled_id', 'client_id', 'google_adv_id'] as const).map(
    (f) => [COLLECTIONS.deviceIdMapper, { [f]: 1 }, { name: f }] as [string, Record<string, 1>, { name: string }],
  ),
  ...(['client_id', 'value', 'value_type'] as const).map(
    (f) => [COLLECTIONS.deviceTranspose, { [f]: 1 }, { name: f }] as [string, Record<string, 1>, { name: string }],
  ),
];

/** Creates collections and indexes; idempotent (createIndex with the same spec is a no-op). */
export async function migrateMongo(db: Db): Promise<void> {
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const name of Object.values(COLLECTIONS))
    if (!existing.has(name))
      await db.createCollection(name).catch((e: { code?: number }) => {
        if (e.code !== 48) throw e; // created meanwhile by another pod
      });
  for (const [c, keys, opts] of INDEXES) await db.collection(c).createIndex(keys, opts);
}
