// PostgreSQL tables of the insights database (DI_POSTGRES_DATABASE) that the Producer API
// reads and writes: clients (who may sync), usage (one row per call, for billing) and
// unauthorized_requests (audit of failed authentications). usage and unauthorized_requests
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
];

/** Name of a table's partition for one UTC day, e.g. usage_p20261126. */
export function partitionName(table: string, day: Date): string {
  return `${table}_p${day.toISOString().slice(0, 10).replace(/-/g, '')}`;
}

export function utcDay(d: Date, offsetDays = 0): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + offsetDays));
}

/** Creates the daily partitions of `table` from today through `daysAhead` days ahead. */
export async function ensureDailyPartitions(db: Queryable, table: string, now: Date, daysAhead: number): Promise<string[]> {
  const created: string[] = [];
  for (let i = 0; i <= daysAhead; i++) {
    const from = utcDay(now, i);
    const to = utcDay(now, i + 1);
    const name = partitionName(table, from);
    const exists = await db.query(`SELECT 1 FROM pg_class WHERE relname = $1`, [name]);
    if (exists.rowCount) continue;
    await db.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${table} FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`);
    created.push(name);
  }
  return created;
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
