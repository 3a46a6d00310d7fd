// PostgreSQL tables of the insights database (DI_POSTGRES_DATABASE) that the Producer API
// reads, and the consumer of the audit topic writes: clients (who may sync), usage (one row per
// call, for billing) and unauthorized_requests (audit of failed authentications, counted per
// client id, address, reason and minute). usage and unauthorized_requests
// are range-partitioned by day on created_at; a DEFAULT partition catches rows for a day whose
// partition does not exist yet, so nothing is ever rejected for want of one.
import type pg from 'pg';

type Queryable = Pick<pg.Client, 'query'>;

const PARTITIONED_TABLES = ['usage', 'unauthorized_requests'] as const;

const INSIGHTS_DDL = [
  `CREATE TABLE IF NOT EXISTS clients (
     id bigserial PRIMARY KEY,
     client_id varchar(72) NOT NULL UNIQUE,
     email text,
     auth_token varchar(36) NOT NULL,
     geography text NOT NULL DEFAULT 'india',
     created_at timestamptz NOT NULL DEFAULT now(),
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS usage (
     request_id varchar(64) NOT NULL,
     client_id varchar(72) NOT NULL,
     api_name text NOT NULL,
     response_code integer NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   ) PARTITION BY RANGE (created_at)`,
  `CREATE TABLE IF NOT EXISTS usage_default PARTITION OF usage DEFAULT`,
  `CREATE INDEX IF NOT EXISTS usage_client_created ON usage (client_id, created_at)`,
  `CREATE TABLE IF NOT EXISTS unauthorized_requests (
     client_id varchar(72),
     request_id varchar(64),
     auth_token text,
     req_body json,
     created_at timestamptz NOT NULL DEFAULT now()
   ) PARTITION BY RANGE (created_at)`,
  `CREATE TABLE IF NOT EXISTS unauthorized_requests_default PARTITION OF unauthorized_requests DEFAULT`,
  // Refusals are aggregated (workloads/producer/refusals.ts): a row stands for `count` refusals
  // of one claimed client id, from one address, for one reason, in the minute starting at
  // created_at. Rows written before these columns existed stand for one refusal each.
  `ALTER TABLE unauthorized_requests
     ADD COLUMN IF NOT EXISTS source_address text,
     ADD COLUMN IF NOT EXISTS reason text,
     ADD COLUMN IF NOT EXISTS count integer NOT NULL DEFAULT 1`,
  // Rows come through Kafka (core/audit-message.ts), each with an id the Producer API assigns:
  // with created_at (a unique key of a partitioned table must hold its partition key) it makes
  // a row delivered twice a conflict, stored once. Rows written before the column existed keep
  // a null id, which conflicts with nothing.
  `ALTER TABLE usage ADD COLUMN IF NOT EXISTS id varchar(64)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS usage_id ON usage (id, created_at)`,
  `ALTER TABLE unauthorized_requests ADD COLUMN IF NOT EXISTS id varchar(64)`,
  `CREATE UNIQUE INDEX IF NOT EXISTS unauthorized_requests_id ON unauthorized_requests (id, created_at)`,
];

/** Name of a table's partition for one UTC day, e.g. usage_p20261126. */
export function partitionName(table: string, day: Date): string {
  return `${table}_p${day.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

export function utcDay(d: Date, offsetDays = 0): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + offsetDays));
}

/** Every daily-partitioned table (usage, unauthorized_requests, sync_events_log) is partitioned on it. */
export const PARTITION_KEY = 'created_at';

/** The DEFAULT partition of a partitioned table, if it has one. */
export async function defaultPartition(db: Queryable, table: string): Promise<string | undefined> {
  const r = await db.query<{ name: string }>(
    `SELECT partdefid::regclass::text AS name FROM pg_partitioned_table WHERE partrelid = $1::regclass AND partdefid <> 0`,
    [table],
  );
  return r.rows[0]?.name;
}

/**
 * Creates the daily partitions of `table` from today through `daysAhead` days ahead. A day whose
 * rows already wait in the DEFAULT partition (dated beyond the partitions made so far) has them
 * moved into its new partition: PostgreSQL refuses to create a partition while DEFAULT holds
 * rows that belong in it, so without the move that day's partition, and every run after it,
 * would fail for good. `db` must be one connection: the move is a transaction.
 */
export async function ensureDailyPartitions(db: Queryable, table: string, now: Date, daysAhead: number): Promise<string[]> {
  const created: string[] = [];
  const def = await defaultPartition(db, table);
  for (let i = 0; i <= daysAhead; i++) {
    const from = utcDay(now, i);
    const to = utcDay(now, i + 1);
    const name = partitionName(table, from);
    if (await relationExists(db, name)) continue;
    const bounds = `FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`;
    const waiting = def ? await db.query(`SELECT 1 FROM ${def} WHERE ${PARTITION_KEY} >= $1 AND ${PARTITION_KEY} < $2 LIMIT 1`, [from, to]) : undefined;
    if (def && waiting?.rowCount) {
      if (await createMovingFromDefault(db, table, def, name, bounds, from, to)) created.push(name);
    } else {
      await db.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${table} ${bounds}`);
      created.push(name);
    }
  }
  return created;
}

async function relationExists(db: Queryable, name: string): Promise<boolean> {
  return Boolean((await db.query(`SELECT 1 FROM pg_class WHERE relname = $1`, [name])).rowCount);
}

/**
 * Moves the day's rows out of DEFAULT, creates the day's partition and puts them back through
 * the parent (so they land in it), in one transaction. The parent is locked for its length (a
 * few milliseconds: only that day's rows move) so no writer adds a row for that day to DEFAULT
 * in between; writers lock the parent before any partition, so they wait rather than deadlock.
 * False when another run made the partition first.
 */
async function createMovingFromDefault(db: Queryable, table: string, def: string, name: string, bounds: string, from: Date, to: Date): Promise<boolean> {
  await db.query('BEGIN');
  try {
    await db.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    if (await relationExists(db, name)) {
      await db.query('COMMIT');
      return false;
    }
    await db.query(`CREATE TEMPORARY TABLE mf_moving (LIKE ${table}) ON COMMIT DROP`);
    await db.query(
      `WITH moved AS (DELETE FROM ${def} WHERE ${PARTITION_KEY} >= $1 AND ${PARTITION_KEY} < $2 RETURNING *) INSERT INTO mf_moving SELECT * FROM moved`,
      [from, to],
    );
    await db.query(`CREATE TABLE ${name} PARTITION OF ${table} ${bounds}`);
    await db.query(`INSERT INTO ${table} SELECT * FROM mf_moving`);
    await db.query('COMMIT');
    return true;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Creates the insights tables and partitions, once, whatever number of pods run it at once. */
export async function migrateInsights(db: Queryable, now = new Date(), daysAhead = 10): Promise<void> {
  await db.query(`SELECT pg_advisory_lock(hashtext('mobileforge-insights-migration'))`);
  try {
    for (const stmt of INSIGHTS_DDL) await db.query(stmt);
    for (const t of PARTITIONED_TABLES) await ensureDailyPartitions(db, t, now, daysAhead);
  } finally {
    await db.query(`SELECT pg_advisory_unlock(hashtext('mobileforge-insights-migration'))`);
  }
}
