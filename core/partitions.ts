// Daily partition maintenance (create ahead, drop past retention) of the range-partitioned
// tables; the `partitions` job runs it.
import type pg from 'pg';
import { defaultPartition, ensureDailyPartitions, PARTITION_KEY, utcDay } from './insights-schema.js';

type Queryable = Pick<pg.Client, 'query'>;

/** Drops `table`'s daily partitions (table_pYYYYMMDD) for days before `before`. */
async function dropPartitionsBefore(db: Queryable, table: string, before: Date): Promise<string[]> {
  const r = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`,
    [table],
  );
  const cutoff = before.toISOString().slice(0, 10).replace(/-/g, '');
  const old = r.rows
    .map((x) => x.name)
    .filter((n) => new RegExp(`^${table}_p\\d{8}$`).test(n) && n.slice(-8) < cutoff)
    .sort();
  for (const name of old) await db.query(`DROP TABLE IF EXISTS ${name}`);
  return old;
}

/**
 * Deletes `table`'s rows dated before `before` from its DEFAULT partition: rows for days that
 * never had a partition (dated before the first one was made) are kept as long as a dropped
 * partition's would have been, and no longer.
 */
async function pruneDefaultBefore(db: Queryable, table: string, before: Date): Promise<number> {
  const def = await defaultPartition(db, table);
  if (!def) return 0;
  return (await db.query(`DELETE FROM ${def} WHERE ${PARTITION_KEY} < $1`, [before])).rowCount ?? 0;
}

export async function maintainPartitions(
  db: Queryable,
  tables: readonly string[],
  now: Date,
  daysAhead: number,
  retentionDays: number,
): Promise<{ created: string[]; dropped: string[]; prunedFromDefault: Record<string, number> }> {
  const created: string[] = [];
  const dropped: string[] = [];
  const prunedFromDefault: Record<string, number> = {};
  for (const t of tables) {
    created.push(...(await ensureDailyPartitions(db, t, now, daysAhead)));
    const cutoff = utcDay(now, -retentionDays);
    dropped.push(...(await dropPartitionsBefore(db, t, cutoff)));
    prunedFromDefault[t] = await pruneDefaultBefore(db, t, cutoff);
  }
  return { created, dropped, prunedFromDefault };
}
