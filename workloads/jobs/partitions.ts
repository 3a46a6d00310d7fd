// `partitions`: the daily maintenance the operator runs as a CronJob (instead of pg_cron):
// creates the partitions of usage, unauthorized_requests and sync_events_log for today and
// PARTITION_DAYS_AHEAD days ahead, and drops daily partitions older than
// PARTITION_RETENTION_DAYS. Idempotent.
import pg from 'pg';
import { ConfigError, EnvReader, postgresConfig } from '../../core/config.js';
import { ENV } from '../../core/env-contract.js';
import { maintainPartitions } from '../../core/partitions.js';
import { createLogger, parseLogLevel } from '../../core/log.js';
import { errorMessage } from '../../core/errors.js';
import { partitionsSettings } from './settings.js';

async function main(): Promise<void> {
  const log = createLogger('partitions', parseLogLevel(process.env[ENV.logLevel]));
  if (process.argv.includes('--help')) {
    process.stdout.write('partitions: creates upcoming daily partitions and drops those past retention (PARTITION_DAYS_AHEAD, PARTITION_RETENTION_DAYS).\n');
    return;
  }
  const r = new EnvReader();
  try {
    const { daysAhead, retentionDays } = partitionsSettings(r);
    for (const [dbVar, tables] of [
      [ENV.postgresDatabase, ['usage', 'unauthorized_requests']],
      [ENV.postgresSyncDatabase, ['sync_events_log']],
    ] as const) {
      const client = new pg.Client(postgresConfig(r, dbVar));
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
  } catch (err) {
    log.error('partition maintenance failed', { error: errorMessage(err) });
    process.exitCode = err instanceof ConfigError ? 2 : 1;
  }
}

void main();
