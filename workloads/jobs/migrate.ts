// `migrate`: creates the PostgreSQL tables (insights and sync databases, daily partitions
// MIGRATE_DAYS_AHEAD ahead) and the MongoDB collections and indexes. Idempotent, and safe to run
// from many pods at once (advisory locks; index creation is idempotent).
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { postgresConfig } from '../../core/config.js';
import { ENV } from '../../core/env-contract.js';
import { migrateInsights } from '../../core/insights-schema.js';
import { migrateMongo, migrateSync } from '../../core/sync-schema.js';
import { runJob } from '../run-process.js';
import { migrateSettings } from './settings.js';

await runJob({
  component: 'migrate',
  help: 'migrate: creates the PostgreSQL tables and partitions and the MongoDB collections and indexes; idempotent.',
  failed: 'migration failed',
  settings: (r) => ({
    ...migrateSettings(r),
    databases: [
      { name: 'insights', config: postgresConfig(r, ENV.postgresDatabase), migrate: migrateInsights },
      { name: 'sync', config: postgresConfig(r, ENV.postgresSyncDatabase), migrate: migrateSync },
    ],
  }),
  run: async (s, log) => {
    for (const { name, config, migrate } of s.databases) {
      const client = new pg.Client(config);
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
  },
});
