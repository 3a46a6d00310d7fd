// Configuration of the database jobs: the PostgreSQL variables (read by postgresConfig where
// each database is opened), the MongoDB connection for `migrate`, and the partition horizon.
import { mongoSettings, type EnvReader, type MongoSettings } from '../../core/config.js';
import { JOB_DEFAULTS, JOB_ENV } from '../../core/env-contract.js';

export interface MigrateSettings extends MongoSettings {
  /** Daily partitions to create ahead of today. */
  daysAhead: number;
}

export interface PartitionsSettings {
  daysAhead: number;
  retentionDays: number;
}

export function migrateSettings(r: EnvReader): MigrateSettings {
  return { daysAhead: r.int(JOB_ENV.migrateDaysAhead, JOB_DEFAULTS.daysAhead, 0, 365), ...mongoSettings(r) };
}

export function partitionsSettings(r: EnvReader): PartitionsSettings {
  return {
    daysAhead: r.int(JOB_ENV.partitionDaysAhead, JOB_DEFAULTS.daysAhead, 0, 365),
    retentionDays: r.int(JOB_ENV.partitionRetentionDays, JOB_DEFAULTS.retentionDays, 1, 3650),
  };
}
