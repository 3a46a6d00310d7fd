// What a failed reading of the offsets was doing and what Kafka said, taken from the errors
// kafkajs really throws (made here by its own code-to-error table), for model/flow.ts to word.
import { describe, expect, test } from '@jest/globals';
import { createRequire } from 'node:module';
import { KafkaJSConnectionError, KafkaJSGroupCoordinatorNotFound, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { FlowReadError, KafkaCredentialsError, TopicAdminPool, flowReadFailure, type TopicAdmin } from '../../../operator/controller/topic-admin.js';

const { createErrorFromCode } = createRequire(import.meta.url)('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): Error };
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
    expect(flowReadFailure(err)).toEqual({
      step: 'committed',
      group: 'acme.sms-consumer-group',
      topics: ['acme.sms_batched'],
      kafkaErrors: ['GROUP_AUTHORIZATION_FAILED'],
      clientErrors: ['KafkaJSProtocolError'],
      message: 'Not authorized to access group: Group authorization failed',
    });
  });

  test('a refusal wrapped by the client (metadata: a non-retriable error around the protocol error)', () => {
    const wrapped = nonRetriable(createErrorFromCode(TOPIC_AUTHORIZATION_FAILED));
    const f = flowReadFailure(new FlowReadError('topics', { topics: ['acme.sms_batched'] }, wrapped));
    expect(f).toMatchObject({ step: 'topics', topics: ['acme.sms_batched'], kafkaErrors: ['TOPIC_AUTHORIZATION_FAILED'] });
    expect(f.clientErrors).toEqual(['KafkaJSNonRetriableError', 'KafkaJSProtocolError']);
  });

  test('no coordinator for the group; retries given up on a lost connection; a Secret without credentials; anything else', () => {
    const coordinator = flowReadFailure(new FlowReadError('committed', { group: 'g' }, coordinatorNotFound()));
    expect(coordinator).toMatchObject({ step: 'committed', group: 'g', kafkaErrors: [], clientErrors: ['KafkaJSGroupCoordinatorNotFound'] });
    const lost = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1'), {
      retryCount: 1,
      retryTime: 200,
    });
    expect(flowReadFailure(new FlowReadError('connect', {}, lost))).toMatchObject({
      step: 'connect',
      clientErrors: ['KafkaJSNumberOfRetriesExceeded', 'KafkaJSConnectionError'],
      message: 'Connection error: connect ECONNREFUSED 127.0.0.1:1',
    });
    expect(flowReadFailure(new KafkaCredentialsError('Secret s has no key ca.crt'))).toEqual({
      step: 'credentials',
      kafkaErrors: [],
      clientErrors: [],
      message: 'Secret s has no key ca.crt',
    });
    expect(flowReadFailure('boom')).toEqual({ step: 'connect', kafkaErrors: [], clientErrors: [], message: 'boom' });
  });
});

describe('TopicAdminPool.reader', () => {
  test("the pipeline's own client, typed to read offsets only", () => {
    const admin = { flow: async () => ({ lag: {}, produced: 0 }) } as unknown as TopicAdmin;
    const pool = new TopicAdminPool(() => admin);
    expect(pool.reader({ brokers: ['kafka:9092'] }, 'sync/a')).toBe(pool.for({ brokers: ['kafka:9092'] }, 'sync/a'));
  });
});
