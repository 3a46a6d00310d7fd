import { describe, expect, test } from '@jest/globals';
import { resolve } from '../../../operator/model/resolve.js';
import { pipeline } from '../../support/fixtures.js';

describe('resolve: every default applied once', () => {
  test('a minimal spec resolves to the documented defaults', () => {
    const r = resolve(pipeline({ dau: 10_000, environment: 'dev' }));
    expect(r).toMatchObject({
      metadata: { name: 'test', namespace: 'sync' },
      paused: false,
      consumerLayout: 'split',
      components: ['producer', 'sms', 'events', 'common'],
      image: { reference: 'registry.example.com/mobileforge/sync-workload:0.1.0', pullPolicy: 'IfNotPresent', pullSecrets: [] },
      postgres: { port: 5432, database: 'api_insights_db', syncDatabase: 'sync_db', sslMode: 'prefer', username: { name: 'pg-creds', key: 'username' } },
      mongodb: { host: 'mongo', port: 27017, database: 'sync_db', enabledSources: ['*'], tls: false, retryWrites: true },
      producer: { service: { type: 'ClusterIP', port: 8000 } },
      autoscaling: { engine: 'keda', cpuTargetUtilization: 70, pollingIntervalSeconds: 30, cooldownPeriodSeconds: 300, scaleDownStabilizationSeconds: 300 },
      maintenance: { schedule: '15 0 * * *', suspend: false, partitionDaysAhead: 10, partitionRetentionDays: 90 },
    });
    expect(r.kafka).toMatchObject({ replicationFactor: 1, minInSyncReplicas: 1, naming: { topicPrefix: '', groupPrefix: '' }, tls: { enabled: false } });
    expect(r.autoscaling.lagThresholds).toMatchObject({ sms_batched: 100, events_log: 500, usage_audit: 1000 });
    expect(r.kafka.dataTopics.sms_batched).toEqual({ partitions: 16, config: {} });
    expect(r.podMonitor).toBeUndefined();
    expect(r.producer.ingress).toBeUndefined();
  });

  test('production: verify-full to PostgreSQL, replication factor 3, at least two Producer API replicas', () => {
    const r = resolve(pipeline({ dau: 100_000, environment: 'production', producer: { minReplicas: 1, maxReplicas: 1 } }));
    expect(r.postgres.sslMode).toBe('verify-full');
    expect(r.kafka).toMatchObject({ replicationFactor: 3, minInSyncReplicas: 2 });
    expect(r.settings.producer!.replicas).toEqual({ min: 2, max: 2 });
  });

  test('the group prefix follows the topic prefix unless set; a CA turns MongoDB TLS on; the Kafka CA counts only with TLS', () => {
    const r = resolve(
      pipeline({
        kafka: { bootstrapServers: ['k:9093'], topicPrefix: 'uat.', tls: { enabled: false, caSecretRef: { name: 'kafka-ca' } } },
        mongodb: { host: 'mongo', tls: { ca: { configMapRef: { name: 'docdb-ca' } } } },
      }),
    );
    expect(r.kafka.naming).toEqual({ topicPrefix: 'uat.', groupPrefix: 'uat.' });
    expect(r.kafka.tls).toEqual({ enabled: false });
    expect(r.mongodb).toMatchObject({ tls: true, ca: { kind: 'configMap', name: 'docdb-ca', key: 'ca.crt' } });
    const own = resolve(pipeline({ kafka: { bootstrapServers: ['k:9092'], topicPrefix: 'uat.', consumerGroupPrefix: 'g.' } }));
    expect(own.kafka.naming).toEqual({ topicPrefix: 'uat.', groupPrefix: 'g.' });
  });

  test('the topic mode resolves to what it implies, so nothing else branches on it', () => {
    const topics = (mode: 'admin' | 'strimzi' | 'unmanaged') =>
      resolve(pipeline({ kafka: { bootstrapServers: ['k:9092'], topicManagement: { mode, ...(mode === 'strimzi' ? { strimziClusterName: 'main' } : {}) } } }))
        .kafka.topics;
    expect(topics('admin')).toMatchObject({ managedBy: 'operator', manageTopics: true, kafkaTopics: false, readOffsets: true, reportsReadiness: true });
    expect(topics('strimzi')).toMatchObject({ managedBy: 'strimzi', manageTopics: false, kafkaTopics: true, readOffsets: true, strimziClusterName: 'main' });
    expect(topics('unmanaged')).toMatchObject({ managedBy: 'outside', manageTopics: false, kafkaTopics: false, readOffsets: true, reportsReadiness: false });
    expect(resolve(pipeline()).kafka.topics).toMatchObject({ mode: 'admin', managedBy: 'operator', deleteTopicsOnDeletion: false });
  });

  test('paused by the spec or by the annotation', () => {
    expect(resolve(pipeline({ paused: true })).paused).toBe(true);
    const p = pipeline();
    expect(resolve({ ...p, metadata: { ...p.metadata, annotations: { 'mobileforge.credeau.com/paused': 'true' } } }).paused).toBe(true);
  });
});
