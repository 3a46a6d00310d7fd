import { describe, expect, test } from '@jest/globals';
import { ConfigError, EnvReader, kafkaConfig, postgresConfig } from '../../../core/config.js';
import { producerSettings } from '../../../workloads/producer/settings.js';

const seed = {
  DI_POSTGRES_USERNAME: 'mobileforge_user',
  DI_POSTGRES_PASSWORD: 'secret',
  DI_POSTGRES_HOST: 'pg',
  DI_POSTGRES_PORT: '5432',
  DI_POSTGRES_DATABASE: 'api_insights_db',
  DI_POSTGRES_SYNC_DATABASE: 'sync_db',
  DI_KAFKA_BROKER_ENDPOINT: 'b1:9092,b2:9092',
};

describe("workload configuration from the seed's variables", () => {
  test("reads the seed's .env", () => {
    const r = new EnvReader(seed);
    expect(postgresConfig(r)).toMatchObject({ host: 'pg', port: 5432, user: 'mobileforge_user', database: 'api_insights_db' });
    expect(kafkaConfig(r, 'x').brokers).toEqual(['b1:9092', 'b2:9092']);
    expect(producerSettings(r)).toMatchObject({ port: 8000, limits: { maxRecords: 5000 }, acceptUnboundTokens: true });
  });

  test('REFUSAL_MAX_KEYS bounds the refusal keys aggregated, 10,000 by default', () => {
    expect(producerSettings(new EnvReader(seed))).toMatchObject({ refusalMaxKeys: 10_000, refusalWindowMs: 60_000 });
    expect(producerSettings(new EnvReader({ ...seed, REFUSAL_MAX_KEYS: '50' })).refusalMaxKeys).toBe(50);
  });

  test('AUTH_ACCEPT_UNBOUND_TOKENS turns version 1 tokens off', () => {
    expect(producerSettings(new EnvReader({ ...seed, AUTH_ACCEPT_UNBOUND_TOKENS: 'false' })).acceptUnboundTokens).toBe(false);
  });

  test.each([
    [{ DI_POSTGRES_HOST: '' }, 'DI_POSTGRES_HOST is required'],
    [{ DI_POSTGRES_PORT: 'five' }, 'DI_POSTGRES_PORT must be an integer'],
    [{ DI_KAFKA_BROKER_ENDPOINT: 'b1' }, 'DI_KAFKA_BROKER_ENDPOINT must be host:port'],
    [{ DI_KAFKA_SASL_MECHANISM: 'kerberos' }, 'DI_KAFKA_SASL_MECHANISM must be plain'],
    [{ MAX_RECORDS_PER_REQUEST: '0' }, 'MAX_RECORDS_PER_REQUEST must be an integer between 1'],
    [{ AUTH_ACCEPT_UNBOUND_TOKENS: 'maybe' }, 'AUTH_ACCEPT_UNBOUND_TOKENS'],
    [{ REFUSAL_MAX_KEYS: '0' }, 'REFUSAL_MAX_KEYS must be an integer between 1'],
  ])('errors name the variable: %j', (bad, message) => {
    const r = new EnvReader({ ...seed, ...bad });
    expect(() => {
      postgresConfig(r);
      kafkaConfig(r, 'x');
      producerSettings(r);
    }).toThrow(ConfigError);
    expect(() => {
      postgresConfig(r);
      kafkaConfig(r, 'x');
      producerSettings(r);
    }).toThrow(message);
  });
});
