// `migrate`: creates the PostgreSQL tables (insights and sync databases, daily partitions
// MIGRATE_DAYS_AHEAD ahead) and the MongoDB collections and indexes. Idempotent, and safe to run
// from many pods at once (advisory locks; index creation is idempotent).
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { ConfigError, EnvReader, postgresConfig } from '../../core/config.js';
import { ENV } from '../../core/env-contract.js';
import { migrateInsights } from '../../core/insights-schema.js';
import { createLogger, parseLogLevel } from '../../core/log.js';
import { migrateMongo, migrateSync } from '../../core/sync-schema.js';
import { migrateSettings } from './settings.js';
import { errorMessage } from '../../core/errors.js';

async function main(): Promise<void> {
  const log = createLogger('migrate', parseLogLevel(process.env[ENV.logLevel]));
  if (process.argv.includes('--help')) {
    process.stdout.write('migrate: creates the PostgreSQL tables and partitions and the MongoDB collections and indexes; idempotent.\n');
    return;
  }
  const r = new EnvReader();
  try {
    const s = migrateSettings(r);
    for (const [name, dbVar, migrate] of [
      ['insights', ENV.postgresDatabase, migrateInsights],
      ['sync', ENV.postgresSyncDatabase, migrateSync],
    ] as const) {
      const client = new pg.Client(postgresConfig(r, dbVar));
      await client.connect();
      // closed on failure too: an open connection would keep the process (and the Job's pod)
      // running until the Job's deadline, and the Job would never retry
      try {
        await migrate(client, new Date(), s.daysAhead);
      } finally {
        await client.end();
      }
      log.info('postgres migrated', { database: name });
    }
    const mongo = new MongoClient(s.mongoUri, s.mongoOptions);
    try {
      await mongo.connect();
      await migrateMongo(mongo.db(s.mongoDatabase));
    } finally {
      await mongo.close();
    }
    log.info('mongodb migrated', { database: s.mongoDatabase });
  } catch (err) {
    log.error('migration failed', { error: errorMessage(err) });
    process.exitCode = err instanceof ConfigError ? 2 : 1;
  }
}

void main();
