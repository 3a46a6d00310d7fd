// What a failed reading of the offsets was doing and what Kafka said, taken from the errors
// kafkajs really throws (made here by its own code-to-error table), for model/kafka/flow.ts to word.
import { describe, expect, test } from '@jest/globals';
import { createRequire } from 'node:module';
import {
  KafkaJSConnectionError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { FlowReadError, TopicAdminPool, flowReadFailure, type TopicAdmin } from '../../../operator/controller/topic-admin.js';
import { KafkaCredentialsError } from '../../../operator/model/kafka/kafka-access.js';
import { pipeline } from '../../support/fixtures.js';
import { resolve } from '../../../operator/model/resolve.js';

const { createErrorFromCode } = createRequire(import.meta.url)('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): Error };
const SPEC = resolve(
  pipeline({
    kafka: { bootstrapServers: ['k:9093'], sasl: { mechanism: 'scram-sha-512', credentialsSecretRef: { name: 'kafka-user' } } },
  }),
).kafka;
const TOPIC_AUTHORIZATION_FAILED = 29;
const GROUP_AUTHORIZATION_FAILED = 30;
// Constructors as kafkajs calls them (its type declarations leave out the options and messages).
/** How kafkajs's retrier passes on an error it does not retry. */
const nonRetriable = (e: Error) => new (KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error)(e, { cause: e });
const coordinatorNotFound = () => new (KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error)('Failed to find group coordinator');

describe('flowReadFailure', () => {
  test("Kafka's refusal at OffsetFetch: the step, the group and GROUP_AUTHORIZATION_FAILED", () => {
    const err = new FlowReadError(
      'committed',
      { group: 'acme.sms-consumer-group', topics: ['acme.sms_batched'] },
      createErrorFromCode(GROUP_AUTHORIZATION_FAILED),
    );
    expect(flowReadFailure(err, SPEC)).toEqual({
      step: 'committed',
      group: 'acme.sms-consumer-group',
      topics: ['acme.sms_batched'],
      kafkaErrors: ['GROUP_AUTHORIZATION_FAILED'],
      clientErrors: ['KafkaJSProtocolError'],
      message: 'Not authorized to access group: Group authorization failed',
      connection: { reason: 'KafkaUnreachable', message: 'cannot read consumer lag: Not authorized to access group: Group authorization failed' },
    });
  });

  test('a refusal wrapped by the client (metadata: a non-retriable error around the protocol error)', () => {
    const wrapped = nonRetriable(createErrorFromCode(TOPIC_AUTHORIZATION_FAILED));
    const f = flowReadFailure(new FlowReadError('topics', { topics: ['acme.sms_batched'] }, wrapped), SPEC);
    expect(f).toMatchObject({ step: 'topics', topics: ['acme.sms_batched'], kafkaErrors: ['TOPIC_AUTHORIZATION_FAILED'] });
    expect(f.clientErrors).toEqual(['KafkaJSNonRetriableError', 'KafkaJSProtocolError']);
  });

  test('no coordinator for the group; retries given up on a lost connection; a Secret without credentials; anything else', () => {
    const coordinator = flowReadFailure(new FlowReadError('committed', { group: 'g' }, coordinatorNotFound()), SPEC);
    expect(coordinator).toMatchObject({ step: 'committed', group: 'g', kafkaErrors: [], clientErrors: ['KafkaJSGroupCoordinatorNotFound'] });
    const lost = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1'), {
      retryCount: 1,
      retryTime: 200,
    });
    expect(flowReadFailure(new FlowReadError('connect', {}, lost), SPEC)).toMatchObject({
      step: 'connect',
      clientErrors: ['KafkaJSNumberOfRetriesExceeded', 'KafkaJSConnectionError'],
      message: 'Connection error: connect ECONNREFUSED 127.0.0.1:1',
      connection: { reason: 'KafkaUnreachable' },
    });
    expect(flowReadFailure(new KafkaCredentialsError('Secret s has no key ca.crt'), SPEC)).toEqual({
      step: 'credentials',
      kafkaErrors: [],
      clientErrors: [],
      message: 'Secret s has no key ca.crt',
      connection: { reason: 'KafkaCredentialsMissing', message: 'cannot read consumer lag: Secret s has no key ca.crt' },
    });
    expect(flowReadFailure('boom', SPEC)).toMatchObject({ step: 'connect', kafkaErrors: [], clientErrors: [], message: 'boom' });
  });

  test('a refused login and a certificate the CA does not verify: what the connection verdict says, as for Ready', () => {
    const sasl = new (KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)(
      'SASL SCRAM SHA512 authentication failed: invalid credentials',
    );
    expect(flowReadFailure(new FlowReadError('connect', {}, sasl), SPEC).connection).toMatchObject({
      reason: 'KafkaAuthenticationFailed',
      message: expect.stringMatching(/^cannot read consumer lag: Kafka refused the SCRAM-SHA-512 login with the user and password in Secret kafka-user/),
    });
    const tls = Object.assign(new KafkaJSConnectionError('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
    expect(flowReadFailure(new FlowReadError('connect', {}, tls), SPEC).connection.reason).toBe('KafkaTLSFailed');
  });
});

describe('TopicAdminPool.reader', () => {
  test("the pipeline's own client, typed to read offsets only", () => {
    const admin = { flow: async () => ({ lag: {}, produced: 0 }) } as unknown as TopicAdmin;
    const pool = new TopicAdminPool(() => admin);
    expect(pool.reader({ brokers: ['kafka:9092'] }, 'sync/a')).toBe(pool.for({ brokers: ['kafka:9092'] }, 'sync/a'));
  });
});
