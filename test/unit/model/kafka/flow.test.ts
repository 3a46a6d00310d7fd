import { describe, expect, test } from '@jest/globals';
import {
  cannotConnect,
  decideFlow,
  flowDue,
  lagUnreadable,
  steadyLagging,
  withinTolerance,
  type FlowMemory,
  type FlowReadFailure,
  type FlowSample,
  type LaggingCondition,
} from '../../../../operator/model/kafka/flow.js';
import { kafkaAccess } from '../../../../operator/model/kafka/kafka-access.js';
import { resolve } from '../../../../operator/model/resolve.js';
import { pipeline } from '../../../support/fixtures.js';

const GROUPS = { sms: 'sms-consumer-group' };
const sample = (at: number, behind: number, produced = 0): FlowSample => ({ at, lag: { sms: { sms_batched: behind } }, produced });

describe('consumer lag and flow', () => {
  test('a change within 100 records or 10 % is not worth reporting; to or from zero always is', () => {
    expect(withinTolerance(1000, 1090)).toBe(true);
    expect(withinTolerance(5000, 5600)).toBe(false);
    expect(withinTolerance(50, 140)).toBe(true);
    expect(withinTolerance(0, 1)).toBe(false);
    expect(withinTolerance(3, 0)).toBe(false);
  });

  test('rate from the end offsets of two readings; the reported figures stay put while steady', () => {
    let memory: FlowMemory = {};
    const first = decideFlow(sample(0, 10, 1000), GROUPS, undefined, memory, 60_000);
    expect(first.flow).toEqual({
      lag: 10,
      groups: [{ consumer: 'sms', group: 'sms-consumer-group', lag: 10, topics: [{ name: 'sms_batched', lag: 10 }] }],
      observedAt: '1970-01-01T00:00:00Z',
    });
    memory = first.memory;
    const second = decideFlow(sample(30_000, 10, 31_000), GROUPS, first.flow, memory, 60_000);
    expect(second.flow.recordsPerMinute).toBe(60_000);
    const third = decideFlow(sample(60_000, 12, 61_500), GROUPS, second.flow, second.memory, 60_000);
    expect(third.flow).toBe(second.flow); // 12 vs 10 records, 60,000 vs 61,000 per minute: same report
    expect(third.lagging).toEqual({ status: 'False', reason: 'KeepingUp', message: 'the consumers keep up (lag not growing)' });
  });

  test('Lagging only after lag has grown reading after reading for the whole threshold; a dip resets it', () => {
    let m: FlowMemory = {};
    const step = (at: number, behind: number) => {
      const d = decideFlow(sample(at, behind), GROUPS, undefined, m, 60_000);
      m = d.memory;
      return d.lagging;
    };
    step(0, 100);
    expect(step(30_000, 200).status).toBe('False');
    expect(step(60_000, 300)).toEqual({ status: 'True', reason: 'LagGrowing', message: 'consumer lag has grown since 1970-01-01T00:00:00Z' });
    expect(step(90_000, 250).status).toBe('False');
    expect(step(120_000, 400).status).toBe('False');
  });
});

describe('which topic modes read lag, and which manage topics', () => {
  const mode = (m: 'admin' | 'strimzi' | 'unmanaged') =>
    kafkaAccess(
      resolve(
        pipeline({ kafka: { bootstrapServers: ['kafka:9092'], topicManagement: { mode: m, ...(m === 'strimzi' ? { strimziClusterName: 'main' } : {}) } } }),
      ),
    );

  test('every mode reads the offsets; only admin mode (the default) creates, alters or deletes topics', () => {
    expect(mode('admin')).toEqual({ manageTopics: true, readOffsets: true });
    expect(mode('strimzi')).toEqual({ manageTopics: false, readOffsets: true });
    expect(mode('unmanaged')).toEqual({ manageTopics: false, readOffsets: true });
    expect(kafkaAccess(resolve(pipeline()))).toEqual({ manageTopics: true, readOffsets: true });
  });
});

describe('when the offsets cannot be read', () => {
  const BROKERS = ['kafka-0:9093', 'kafka-1:9093'];
  const failure = (f: Partial<FlowReadFailure>): FlowReadFailure => ({
    step: 'committed',
    kafkaErrors: [],
    clientErrors: [],
    message: 'boom',
    connection: { reason: 'KafkaUnreachable', message: 'cannot read consumer lag: boom' },
    ...f,
  });
  /** model/report/kafka-failure.ts's verdict on the connection, as the controller hands it over. */
  const connection = (reason: FlowReadFailure['connection']['reason'], message: string) => ({
    connection: { reason, message: `cannot read consumer lag: ${message}` },
  });

  test('a reading is due every interval after the last one, failed or not; never with interval 0', () => {
    expect(flowDue({}, 1000, 30_000)).toBe(true);
    expect(flowDue({}, 1000, 0)).toBe(false);
    const read: FlowMemory = { previous: { at: 10_000, lag: {}, produced: 0 } };
    expect(flowDue(read, 39_999, 30_000)).toBe(false);
    expect(flowDue(read, 40_000, 30_000)).toBe(true);
    // A failed reading 20 s after the last good one: the next waits a whole interval from the failure.
    expect(flowDue({ ...read, failedAt: 30_000 }, 40_000, 30_000)).toBe(false);
    expect(flowDue({ ...read, failedAt: 30_000 }, 60_000, 30_000)).toBe(true);
    expect(flowDue({ failedAt: 5_000 }, 20_000, 30_000)).toBe(false);
    // A status with no Lagging condition (just unpaused) is read at once, but never with reads off.
    expect(flowDue(read, 39_999, 30_000, false)).toBe(true);
    expect(flowDue({ failedAt: 5_000 }, 20_000, 30_000, false)).toBe(true);
    expect(flowDue(read, 39_999, 0, false)).toBe(false);
  });

  test('a consumer group the user may not describe: Unknown, naming the group and the permission', () => {
    const c = lagUnreadable(
      failure({ group: 'acme.sms-consumer-group', kafkaErrors: ['GROUP_AUTHORIZATION_FAILED'], clientErrors: ['KafkaJSProtocolError'] }),
      BROKERS,
    );
    expect(c).toEqual({
      status: 'Unknown',
      reason: 'LagUnreadable',
      message:
        "cannot read consumer lag: the operator's Kafka user may not read consumer group acme.sms-consumer-group (GROUP_AUTHORIZATION_FAILED): it needs Describe on the pipeline's consumer groups; see the Kafka ACLs in docs/install.md",
    });
  });

  test('Kafka naming no coordinator for the group (its answer to a user without Describe on it) says the same, hedged', () => {
    const c = lagUnreadable(failure({ group: 'sms-consumer-group', clientErrors: ['KafkaJSGroupCoordinatorNotFound'] }), BROKERS);
    expect(c.status).toBe('Unknown');
    expect(c.message).toBe(
      "cannot read consumer lag: Kafka named no coordinator for consumer group sms-consumer-group: it names none to a user without Describe on the group, so the operator's Kafka user most likely lacks it (else the group coordinator is unavailable); see the Kafka ACLs in docs/install.md",
    );
  });

  test('topics the user may not describe, at the metadata or the end offsets', () => {
    const meta = lagUnreadable(
      failure({ step: 'topics', topics: ['acme.sms_batched', 'acme.events_log'], kafkaErrors: ['TOPIC_AUTHORIZATION_FAILED'] }),
      BROKERS,
    );
    expect(meta.message).toBe(
      "cannot read consumer lag: the operator's Kafka user may not describe acme.sms_batched, acme.events_log (TOPIC_AUTHORIZATION_FAILED): it needs Describe on the pipeline's topics; see the Kafka ACLs in docs/install.md",
    );
    const ends = lagUnreadable(failure({ step: 'end-offsets', topics: ['sms_batched'], kafkaErrors: ['TOPIC_AUTHORIZATION_FAILED'] }), BROKERS);
    expect(ends.message).toContain('may not describe sms_batched (TOPIC_AUTHORIZATION_FAILED)');
  });

  test('Kafka out of reach; a refused login, a certificate, a Secret without credentials (worded as Ready words them); anything else', () => {
    const down = failure({ step: 'connect', clientErrors: ['KafkaJSConnectionError'], message: 'Connection error: connect ECONNREFUSED 10.0.0.9:9093' });
    expect(lagUnreadable(down, BROKERS).message).toBe(
      'cannot read consumer lag: cannot reach Kafka at kafka-0:9093,kafka-1:9093: Connection error: connect ECONNREFUSED 10.0.0.9:9093',
    );
    // A connection lost in the middle of a reading is still Kafka out of reach.
    expect(
      lagUnreadable({ ...down, step: 'end-offsets', clientErrors: ['KafkaJSNumberOfRetriesExceeded', 'KafkaJSConnectionError'] }, BROKERS).message,
    ).toMatch(/^cannot read consumer lag: cannot reach Kafka at /);
    const sasl = failure({
      step: 'connect',
      clientErrors: ['KafkaJSSASLAuthenticationError'],
      ...connection('KafkaAuthenticationFailed', 'Kafka refused the SCRAM-SHA-512 login with the user and password in Secret acme-kafka-user (...)'),
    });
    expect(lagUnreadable(sasl, BROKERS).message).toBe(
      'cannot read consumer lag: Kafka refused the SCRAM-SHA-512 login with the user and password in Secret acme-kafka-user (...)',
    );
    // A certificate refused surfaces as a connection error too: the CA is what to fix.
    const tls = failure({ step: 'connect', clientErrors: ['KafkaJSConnectionError'], ...connection('KafkaTLSFailed', 'TLS to Kafka failed (...)') });
    expect(lagUnreadable(tls, BROKERS).message).toBe('cannot read consumer lag: TLS to Kafka failed (...)');
    const secret = failure({
      step: 'credentials',
      ...connection('KafkaCredentialsMissing', 'Secret acme-kafka-user lacks the Kafka SASL username or password'),
    });
    expect(lagUnreadable(secret, BROKERS).message).toBe('cannot read consumer lag: Secret acme-kafka-user lacks the Kafka SASL username or password');
    const other = failure({ group: 'g', kafkaErrors: ['UNSTABLE_OFFSET_COMMIT'], message: 'There are unstable offsets' });
    expect(lagUnreadable(other, BROKERS).message).toBe('cannot read consumer lag: reading the offsets committed by g failed: There are unstable offsets');
  });

  test('only a connection that could not be made is true of every pipeline on the same brokers', () => {
    expect(cannotConnect(failure({ step: 'connect', clientErrors: ['KafkaJSNumberOfRetriesExceeded', 'KafkaJSConnectionError'] }))).toBe(true);
    expect(cannotConnect(failure({ step: 'end-offsets', clientErrors: ['KafkaJSRequestTimeoutError'] }))).toBe(true);
    // Refusals and failed logins depend on the pipeline's user and names; an unknown failure is not assumed to be the network.
    expect(cannotConnect(failure({ kafkaErrors: ['GROUP_AUTHORIZATION_FAILED'], clientErrors: ['KafkaJSProtocolError'] }))).toBe(false);
    expect(
      cannotConnect(failure({ step: 'connect', clientErrors: ['KafkaJSSASLAuthenticationError'], ...connection('KafkaAuthenticationFailed', 'refused') })),
    ).toBe(false);
    // A certificate this pipeline's CA does not verify says nothing of another pipeline's CA.
    expect(cannotConnect(failure({ step: 'connect', clientErrors: ['KafkaJSConnectionError'], ...connection('KafkaTLSFailed', 'TLS') }))).toBe(false);
    expect(cannotConnect(failure({ clientErrors: ['KafkaJSGroupCoordinatorNotFound'] }))).toBe(false);
    expect(cannotConnect(failure({ step: 'connect' }))).toBe(false);
  });

  test('says which reading status.flow still shows', () => {
    const c = lagUnreadable(failure({ kafkaErrors: ['GROUP_AUTHORIZATION_FAILED'], group: 'g' }), BROKERS, '2026-01-01T00:00:30Z');
    expect(c.message).toMatch(/; status\.flow is the reading of 2026-01-01T00:00:30Z$/);
  });
});

describe('steadyLagging', () => {
  const unreadable = (message: string): LaggingCondition => ({ status: 'Unknown', reason: 'LagUnreadable', message });
  test('a failed reading that fails the same way keeps the written condition, whatever the error text', () => {
    const written = unreadable('cannot read consumer lag: cannot reach Kafka at k:9092: getaddrinfo ENOTFOUND k');
    expect(steadyLagging(written, unreadable('cannot read consumer lag: cannot reach Kafka at k:9092: Connection timeout'))).toBe(written);
  });
  test('a new status or reason is written', () => {
    const next = unreadable('cannot read consumer lag: the operator may not describe t');
    expect(steadyLagging({ status: 'False', reason: 'KeepingUp', message: 'ok' }, next)).toBe(next);
    expect(steadyLagging(undefined, next)).toBe(next);
  });
});
