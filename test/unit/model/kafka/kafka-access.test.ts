import { describe, expect, test } from '@jest/globals';
import { KafkaCredentialsError, kafkaConfigFor, kafkaSecretNames } from '../../../../operator/model/kafka/kafka-access.js';
import { resolve } from '../../../../operator/model/resolve.js';
import type { SyncPipelineSpec } from '../../../../operator/api/v1alpha1.js';
import { pipeline } from '../../../support/fixtures.js';

const kafka = (k: Partial<SyncPipelineSpec['kafka']>) => resolve(pipeline({ kafka: { bootstrapServers: ['kafka:9093'], ...k } })).kafka;

describe('the Secrets a pipeline names for its Kafka clients', () => {
  test('none for plaintext without SASL', () => {
    expect(kafkaSecretNames(kafka({}))).toEqual([]);
  });

  test('the SASL credentials and the CA, each once', () => {
    const sasl = { mechanism: 'scram-sha-512' as const, credentialsSecretRef: { name: 'kafka-user' } };
    expect(kafkaSecretNames(kafka({ sasl, tls: { enabled: true, caSecretRef: { name: 'kafka-ca' } } }))).toEqual(['kafka-user', 'kafka-ca']);
    expect(kafkaSecretNames(kafka({ sasl, tls: { enabled: true, caSecretRef: { name: 'kafka-user' } } }))).toEqual(['kafka-user']);
  });

  test('no CA Secret while TLS is off', () => {
    expect(kafkaSecretNames(kafka({ tls: { enabled: false, caSecretRef: { name: 'kafka-ca' } } }))).toEqual([]);
  });

  test('every Secret kafkaConfigFor reads is among them', () => {
    const k = kafka({
      sasl: { mechanism: 'scram-sha-256', credentialsSecretRef: { name: 'kafka-user' } },
      tls: { enabled: true, caSecretRef: { name: 'kafka-ca' } },
    });
    const read = new Set<string>();
    const config = kafkaConfigFor(k, (name, key) => {
      read.add(name);
      return `${name}/${key}`;
    });
    expect([...read].sort()).toEqual([...kafkaSecretNames(k)].sort());
    expect(config.ssl).toEqual({ ca: ['kafka-ca/ca.crt'] });
    expect(config.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'kafka-user/username', password: 'kafka-user/password' });
  });

  test('a Secret without the credentials is a typed error', () => {
    const k = kafka({ sasl: { mechanism: 'plain', credentialsSecretRef: { name: 'kafka-user' } } });
    expect(() => kafkaConfigFor(k, () => undefined)).toThrow(KafkaCredentialsError);
  });
});
