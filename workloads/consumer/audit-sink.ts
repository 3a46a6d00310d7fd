// Where the audit topic's rows land: usage and unauthorized_requests in the insights database
// (DI_POSTGRES_DATABASE), inserted ON CONFLICT DO NOTHING on their unique key (id, created_at),
// so a row delivered again (a redelivered batch, a consumer restart, a row the producer sent
// twice) is stored once.
import type pg from 'pg';
import { AUDIT_COLUMNS, auditTable, auditValues, type AuditRow, type AuditTable } from '../../core/audit-message.js';
import type { SinkResult } from './sinks.js';

/** Rows per INSERT: 1000 rows of 9 columns stay far below PostgreSQL's 65,535 parameters. */
const ROWS_PER_INSERT = 1000;

export class AuditSink {
  constructor(private readonly pool: Pick<pg.Pool, 'query'>) {}

  /** Writes every row or throws; rows already stored count as duplicates. */
  async write(rows: AuditRow[]): Promise<SinkResult> {
    const result = { written: 0, duplicates: 0 };
    for (const table of Object.keys(AUDIT_COLUMNS) as AuditTable[]) {
      const mine = rows.filter((r) => auditTable(r) === table);
      for (let i = 0; i < mine.length; i += ROWS_PER_INSERT) {
        const chunk = mine.slice(i, i + ROWS_PER_INSERT);
        const written = await this.insert(table, chunk);
        result.written += written;
        result.duplicates += chunk.length - written;
      }
    }
    return result;
  }

  private async insert(table: AuditTable, rows: AuditRow[]): Promise<number> {
    const cols = AUDIT_COLUMNS[table];
    const values = rows.map((_, i) => `(${cols.map((_c, j) => `$${i * cols.length + j + 1}`).join(', ')})`).join(', ');
    const r = await this.pool.query(
      `INSERT INTO ${table} (${cols.join(', ')}) VALUES ${values} ON CONFLICT (id, created_at) DO NOTHING`,
      rows.flatMap((row) => auditValues(row)),
    );
    return r.rowCount ?? 0;
  }
}
