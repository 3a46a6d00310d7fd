// Which PostgreSQL errors a retry can never fix, told apart by SQLSTATE (never by message
// text, which is localised and changes between versions). Used by the consumers' sink writes
// and the Producer API's audit writers: a permanent error is about the data and goes aside;
// anything else (connection, timeout, failover, lock, shutdown) is retried.
import pg from 'pg';

/**
 * SQLSTATE classes and codes caused by the rows themselves: 22 data exception (a NUL byte
 * 22021, an invalid encoding 22P05, a value out of range), 23 integrity constraint violation
 * (NOT NULL, CHECK, foreign key; unique keys are absorbed by ON CONFLICT DO NOTHING), 54000 a
 * value over a program limit (an index row too large).
 */
const PERMANENT_CLASSES = ['22', '23'];
const PERMANENT_CODES = ['54000'];

/** The SQLSTATE of a server-side error, or undefined for anything else (network, pool). */
export function sqlState(err: unknown): string | undefined {
  return err instanceof pg.DatabaseError && typeof err.code === 'string' ? err.code : undefined;
}

export function isPermanentPgError(err: unknown): boolean {
  const code = sqlState(err);
  return code !== undefined && (PERMANENT_CLASSES.includes(code.slice(0, 2)) || PERMANENT_CODES.includes(code));
}
