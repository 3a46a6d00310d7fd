// `partitions`: the daily maintenance the operator runs as a CronJob (instead of pg_cron):
// creates the partitions of usage, unauthorized_requests and sync_events_log for today and
// PARTITION_DAYS_AHEAD days ahead, and drops daily partitions older than
// PARTITION_RETENTION_DAYS. Idempotent.
import pg from 'pg';
import { postgresConfig } from '../../core/config.js';
import { ENV } from '../../core/env-contract.js';
import { maintainPartitions } from '../../core/partitions.js';
import { runJob } from '../run-process.js';
import { partitionsSettings } from './settings.js';

await runJob({
  component: 'partitions',
  help: 'partitions: creates upcoming daily partitions and drops those past retention (PARTITION_DAYS_AHEAD, PARTITION_RETENTION_DAYS).',
  failed: 'partition maintenance failed',
  settings: (r) => ({
    ...partitionsSettings(r),
    databases: [
      { dbVar: ENV.postgresDatabase, config: postgresConfig(r, ENV.postgresDatabase), tables: ['usage', 'unauthorized_requests'] },
      { dbVar: ENV.postgresSyncDatabase, config: postgresConfig(r, ENV.postgresSyncDatabase), tables: ['sync_events_log'] },
    ] as const,
  }),
  run: async ({ daysAhead, retentionDays, databases }, log) => {
    for (const { dbVar, config, tables } of databases) {
      const client = new pg.Client(config);
      await client.connect();
      // closed on failure too: an open connection would keep the process (and the Job's pod)
      // running until the Job's deadline, and the Job would never retry
      try {
        const result = await maintainPartitions(client, tables, new Date(), daysAhead, retentionDays);
        log.info('partitions maintained', { database: dbVar, ...result });
      } finally {
        await client.end();
      }
    }
  },
});
