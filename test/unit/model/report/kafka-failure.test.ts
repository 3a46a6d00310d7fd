import { describe, expect, test } from '@jest/globals';
import { kafkaFailure } from '../../../../operator/model/report/kafka-failure.js';
import { pipeline } from '../../../support/fixtures.js';
import { resolve } from '../../../../operator/model/resolve.js';

const secure = resolve(
  pipeline({
    kafka: {
      bootstrapServers: ['k:9093'],
      tls: { enabled: true, caSecretRef: { name: 'cluster-ca' } },
      sasl: { mechanism: 'scram-sha-512', credentialsSecretRef: { name: 'kafka-user' } },
    },
  }),
).kafka;

/** How kafkajs hands errors up: the first failure kept as `cause` / `originalError`. */
function wrapped(inner: Error): Error {
  const retries = Object.assign(new Error(inner.message), { name: 'KafkaJSNumberOfRetriesExceeded', cause: inner });
  return Object.assign(new Error('Connection error'), { name: 'KafkaJSNonRetriableError', originalError: retries });
}

describe('kafkaFailure', () => {
  test('a refused SCRAM login names the Secret to fix, wrapped however deep', () => {
    const sasl = Object.assign(
      new Error(
        'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
      ),
      {
        name: 'KafkaJSSASLAuthenticationError',
      },
    );
    const f = kafkaFailure(wrapped(sasl), secure, 'cannot read topics');
    expect(f.reason).toBe('KafkaAuthenticationFailed');
    expect(f.message).toMatch(
      /^cannot read topics: Kafka refused the SCRAM-SHA-512 login with the user and password in Secret kafka-user \(SASL SCRAM SHA512 authentication failed/,
    );
  });

  test('a certificate the client does not accept names the CA Secret', () => {
    const tls = Object.assign(new Error('self-signed certificate in certificate chain'), { name: 'KafkaJSConnectionError', code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(kafkaFailure(tls, secure, 'cannot read topics')).toEqual({
      reason: 'KafkaTLSFailed',
      message:
        "cannot read topics: TLS to Kafka failed (self-signed certificate in certificate chain); check that the CA in Secret cluster-ca (key ca.crt) signed the brokers' certificates and that they name the bootstrap addresses",
    });
    const noCa = resolve(pipeline({ kafka: { bootstrapServers: ['k:9093'], tls: { enabled: true } } })).kafka;
    expect(
      kafkaFailure(Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), noCa, 'x').message,
    ).toContain('spec.kafka.tls.caSecretRef');
  });

  test('missing credentials and a broker that is down keep their reasons', () => {
    const missing = Object.assign(new Error('Secret kafka-user lacks the Kafka SASL username or password'), { name: 'KafkaCredentialsError' });
    expect(kafkaFailure(missing, secure, 'cannot read topics').reason).toBe('KafkaCredentialsMissing');
    const refused = Object.assign(new Error('Connection error: connect ECONNREFUSED 10.0.0.9:9093'), { name: 'KafkaJSConnectionError', code: 'ECONNREFUSED' });
    expect(kafkaFailure(wrapped(refused), secure, 'cannot read topics')).toEqual({
      reason: 'KafkaUnreachable',
      message: 'cannot read topics: Connection error: connect ECONNREFUSED 10.0.0.9:9093',
    });
  });
});
