// `partitions`: the daily maintenance the operator runs as a CronJob (instead of pg_cron):
// creates the partitions of usage, unauthorized_requests and sync_events_log for today and
// PARTITION_DAYS_AHEAD days ahead, and drops daily partitions older than
// PARTITION_RETENTION_DAYS. Idempotent.
import pg from 'pg';
import { ConfigError, EnvReader, postgresConfig } from '../shared/config.js';
import { ENV } from '../shared/env-contract.js';
import { ensureDailyPartitions, utcDay } from '../shared/insights-schema.js';
import { createLogger, parseLogLevel } from '../shared/log.js';

type Queryable = Pick<pg.Client, 'query'>;

/** Drops `table`'s daily partitions (table_pYYYYMMDD) for days before `before`. */
export async function dropPartitionsBefore(db: Queryable, table: string, before: Date): Promise<string[]> {
  const r = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`,
    [table],
  );
  const cutoff = before.toISOString().slice(0, 10).replace(/-/g, '');
  const old = r.rows.map((x) => x.name).filter((n) => new RegExp(`^${table}_p\\d{8}$`).test(n) && n.slice(-8) < cutoff).sort();
  for (const name of old) await db.query(`DROP TABLE IF EXISTS ${name}`);
  return old;
}

export async function maintainPartitions(db: Queryable, tables: readonly string[], now: Date, daysAhead: number, retentionDays: number): Promise<{ created: string[]; dropped: string[] }> {
  const created: string[] = [];
  const dropped: string[] = [];
  for (const t of tables) {
    created.push(...(await ensureDailyPartitions(db, t, now, daysAhead)));
    dropped.push(...(await dropPartitionsBefore(db, t, utcDay(now, -retentionDays))));
  }
  return { created, dropped };
}

async function main(): Promise<void> {
  const log = createLogger('partitions', parseLogLevel(process.env[ENV.logLevel]));
  const r = new EnvReader();
  try {
    const ahead = r.int('PARTITION_DAYS_AHEAD', 10, 0, 365);
    const retention = r.int('PARTITION_RETENTION_DAYS', 90, 1, 3650);
    for (const [dbVar, tables] of [
      [ENV.postgresDatabase, ['usage', 'unauthorized_requests']],
      [ENV.postgresSyncDatabase, ['sync_events_log']],
    ] as const) {
      const client = new pg.Client(postgresConfig(r, dbVar));
      await client.connect();
      const result = await maintainPartitions(client, tables, new Date(), ahead, retention);
      await client.end();
      log.info('partitions maintained', { database: dbVar, ...result });
    }
  } catch (err) {
    log.error('partition maintenance failed', { error: err instanceof Error ? err.message : String(err) });
    process.exitCode = err instanceof ConfigError ? 2 : 1;
  }
}

if (process.argv[1]?.endsWith('partitions.js')) void main();
