// Where each message's records land, written idempotently: every MongoDB document has a
// deterministic _id (client, user, request, source, chunk, position), inserted unordered with
// duplicate-key errors (11000) treated as "already written"; every PostgreSQL row has a unique
// key that starts with the client and user (core/sync-schema.ts) and is inserted
// ON CONFLICT DO NOTHING. Redelivery therefore never duplicates, on FerretDB and MongoDB 7 alike
// (no upserts or transactions, which FerretDB does not do atomically).
import type { Db, Document } from 'mongodb';
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import type pg from 'pg';
import type { Source } from '../../core/domain.js';
import type { SyncMessage } from '../../core/message.js';
import { COLLECTIONS, documentId } from '../../core/sync-schema.js';

export interface SinkResult {
  written: number;
  duplicates: number;
}

export class PoisonRecordError extends Error {
  override name = 'PoisonRecordError';
}

/**
 * A record's place within its client's and user's requests. In PostgreSQL the client and user
 * are columns of the same unique key (sync_events_log_identity), so this is the rest of it;
 * MongoDB's _id hashes all of it (recordDocumentId).
 */
const recordKey = (m: SyncMessage, i: number) => `${m.request_id}:${m.source}:${m.chunk.index}:${i}`;
const recordDocumentId = (m: SyncMessage, i: number) => documentId([m.client_id, m.user_id, m.request_id, m.source, m.chunk.index, i]);

function baseFields(m: SyncMessage): Record<string, unknown> {
  return {
    client_id: m.client_id,
    user_id: m.user_id,
    request_id: m.request_id,
    sdk_version: m.sdk_version,
    device: m.device,
    synced_at: new Date(m.received_at),
  };
}

/**
 * Inserts documents, counting duplicates (already written) instead of failing on them. Only a
 * bulk error whose every failed document is a duplicate key (11000), accounting for every
 * document not inserted, is "already written". Anything else is transient and thrown, so the
 * batch is retried: a connection lost mid-insert also surfaces as a MongoBulkWriteError, with
 * no write errors at all, and must never be mistaken for duplicates (that would commit
 * offsets of records that were never written).
 */
async function insertIdempotent(db: Db, collection: string, docs: Document[]): Promise<SinkResult> {
  if (docs.length === 0) return { written: 0, duplicates: 0 };
  try {
    const r = await db.collection(collection).insertMany(docs, { ordered: false });
    return { written: r.insertedCount, duplicates: 0 };
  } catch (err) {
    if (err instanceof MongoBulkWriteError && !err.writeConcernError) {
      const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      const inserted = err.result.insertedCount;
      if (writeErrors.length > 0 && writeErrors.every((e) => e.code === 11000) && inserted + writeErrors.length === docs.length) {
        return { written: inserted, duplicates: writeErrors.length };
      }
    } else if (err instanceof MongoServerError && err.code === 11000 && docs.length === 1) {
      return { written: 0, duplicates: 1 };
    }
    throw err;
  }
}

function deviceMapperDoc(m: SyncMessage): Document | undefined {
  const d = m.device;
  if (!d.device_id && !d.android_id && !d.app_device_id && !d.google_adv_id) return undefined;
  const assembled = [d.device_id, d.android_id, d.app_device_id, d.google_adv_id].map((x) => x ?? '').join('|');
  const _id = documentId([m.client_id, m.user_id, d.device_id ?? null, d.android_id ?? null, d.app_device_id ?? null, d.google_adv_id ?? null]);
  return {
    _id,
    client_id: m.client_id,
    user_id: m.user_id,
    device_id: d.device_id,
    android_id: d.android_id,
    app_device_id: d.app_device_id,
    google_adv_id: d.google_adv_id,
    assembled_id: assembled,
    first_seen: new Date(m.received_at),
  };
}

export class MongoSink {
  constructor(private readonly db: Db) {}

  /** Writes the records of many messages with one unordered insert per collection. */
  async writeMany(messages: SyncMessage[]): Promise<SinkResult> {
    const byCollection = new Map<string, Document[]>();
    const add = (c: string, doc: Document) => {
      const list = byCollection.get(c);
      if (list) list.push(doc);
      else byCollection.set(c, [doc]);
    };
    for (const m of messages) this.collect(m, add);
    const results = await Promise.all([...byCollection].map(([c, docs]) => insertIdempotent(this.db, c, docs)));
    return results.reduce((a, b) => ({ written: a.written + b.written, duplicates: a.duplicates + b.duplicates }), { written: 0, duplicates: 0 });
  }

  /** Checks a message's records can be placed (throws PoisonRecordError otherwise). */
  check(m: SyncMessage): void {
    this.collect(m, () => undefined);
  }

  private collect(m: SyncMessage, add: (collection: string, doc: Document) => void): void {
    const base = baseFields(m);
    m.records.forEach((r, i) => {
      const doc = { ...r, ...base, _id: recordDocumentId(m, i) };
      switch (m.source as Exclude<Source, 'events'>) {
        case 'sms':
          add(COLLECTIONS.sms, doc);
          break;
        case 'contacts':
          add(COLLECTIONS.contacts, doc);
          break;
        case 'call_logs':
          add(COLLECTIONS.callLogs, doc);
          break;
        case 'apps_and_device': {
          const kind = (r as { kind?: string }).kind;
          if (kind === 'app') add(COLLECTIONS.apps, doc);
          else if (kind === 'device') add(COLLECTIONS.device, doc);
          else if (kind === 'ios_device') add(COLLECTIONS.iosDevice, doc);
          else throw new PoisonRecordError(`apps_and_device record ${i} has kind ${String(kind)}`);
          break;
        }
        default:
          throw new PoisonRecordError(`no MongoDB collection for source ${m.source}`);
      }
    });
    if (m.source === 'apps_and_device') {
      const mapper = deviceMapperDoc(m);
      if (mapper) add(COLLECTIONS.deviceIdMapper, mapper);
    }
  }
}

export class PostgresSink {
  constructor(private readonly pool: Pick<pg.Pool, 'query'>) {}

  /** Validates events records (throws PoisonRecordError) and returns their rows. */
  eventRows(m: SyncMessage): unknown[][] {
    return m.records.map((r, i) => {
      const e = r as { event_type?: unknown; event_value?: unknown; timestamp?: unknown };
      if (typeof e.event_type !== 'string') throw new PoisonRecordError(`events record ${i} has no event_type`);
      const at = typeof e.timestamp === 'number' ? new Date(e.timestamp) : new Date(m.received_at);
      const value = typeof e.event_value === 'string' ? e.event_value : e.event_value === undefined ? null : JSON.stringify(e.event_value);
      return [e.event_type, value, m.request_id, m.client_id, m.user_id, recordKey(m, i), at];
    });
  }

  /** events -> sync_events_log, one row per record, in multi-row inserts. */
  async writeEvents(messages: SyncMessage[]): Promise<SinkResult> {
    const rows = messages.flatMap((m) => this.eventRows(m));
    return this.insertRows('sync_events_log (event_type, event_value, sync_request_id, client_id, user_id, record_key, created_at)', rows);
  }

  private async insertRows(target: string, rows: unknown[][]): Promise<SinkResult> {
    let written = 0;
    const width = rows[0]?.length ?? 1;
    // PostgreSQL takes at most 65535 parameters per statement.
    const per = Math.floor(60000 / width);
    for (let i = 0; i < rows.length; i += per) {
      const slice = rows.slice(i, i + per);
      const placeholders = slice.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ');
      const res = await this.pool.query(`INSERT INTO ${target} VALUES ${placeholders} ON CONFLICT DO NOTHING`, slice.flat());
      written += res.rowCount ?? 0;
    }
    return { written, duplicates: rows.length - written };
  }

  /** The per-user sync status (sync_requests, summarised by the sync_status view). */
  async recordRequests(messages: SyncMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.insertRows(
      'sync_requests (client_id, user_id, source, request_id, chunk, records, received_at)',
      messages.map((m) => [m.client_id, m.user_id, m.source, m.request_id, m.chunk.index, m.records.length, new Date(m.received_at)]),
    );
  }
}
