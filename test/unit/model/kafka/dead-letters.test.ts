import { describe, expect, test } from '@jest/globals';
import {
  deadLetterOf,
  describeValue,
  isDone,
  markDone,
  parseProgress,
  progressMetadata,
  reasonKind,
  replayDecision,
  replayHeaders,
  summarise,
  type DeadLetterMessage,
} from '../../../../operator/model/kafka/dead-letters.js';

const msg = (offset: number, headers: Record<string, string> = {}, partition = 0): DeadLetterMessage => ({
  partition,
  offset,
  timestamp: 1_000_000 + offset,
  key: Buffer.from('acme:u1'),
  value: Buffer.from('{}'),
  headers: { 'x-error': 'sink rejected: PostgreSQL refused the data (SQLSTATE 23514: check "x")', 'x-failed-at': '2026-12-06T10:00:00Z', ...headers },
});

describe('what a replay has dealt with', () => {
  test('offsets beyond the committed one are kept as ranges; the committed offset moves over what it reaches', () => {
    let p = parseProgress(5, null);
    p = markDone(p, 7);
    p = markDone(p, 8);
    p = markDone(p, 10);
    expect(p).toEqual({
      committed: 5,
      ranges: [
        [7, 8],
        [10, 10],
      ],
    });
    expect(progressMetadata(p)).toBe('dlq-replay/1 7-8,10');
    expect([4, 5, 6, 7, 8, 9, 10, 11].map((o) => isDone(p, o))).toEqual([true, false, false, true, true, false, true, false]);
    p = markDone(markDone(p, 5), 6);
    expect(p).toEqual({ committed: 9, ranges: [[10, 10]] });
    p = markDone(p, 9);
    expect(p).toEqual({ committed: 11, ranges: [] });
    expect(progressMetadata(p)).toBeNull();
  });

  test('metadata read back as written; anything else ignored', () => {
    expect(parseProgress(5, 'dlq-replay/1 7-8,10')).toEqual({
      committed: 5,
      ranges: [
        [7, 8],
        [10, 10],
      ],
    });
    expect(parseProgress(5, 'dlq-replay/1 3-6,9')).toEqual({ committed: 7, ranges: [[9, 9]] });
    expect(parseProgress(5, 'something else')).toEqual({ committed: 5, ranges: [] });
  });
});

describe('replayDecision', () => {
  const origins = new Set(['p.events_log']);
  const none = parseProgress(0, null);
  test('replays to the DLQ topic’s own data topic, with the count raised', () => {
    expect(replayDecision(msg(0), none, { maxReplays: 3 }, 'p.events_log.dlq', origins)).toEqual({ action: 'replay', topic: 'p.events_log', replayCount: 1 });
    expect(replayDecision(msg(0, { 'x-replay-count': '2' }), none, { maxReplays: 3 }, 'p.events_log.dlq', origins)).toMatchObject({ replayCount: 3 });
  });
  test('a message replayed to the bound stays', () => {
    expect(replayDecision(msg(0, { 'x-replay-count': '3' }), none, { maxReplays: 3 }, 'p.events_log.dlq', origins)).toEqual({
      action: 'keep',
      why: 'replayed 3 times already (bound 3)',
    });
  });
  test('filters: time and reason; done before', () => {
    const at = Date.parse('2026-12-06T10:00:00Z');
    expect(replayDecision(msg(0), none, { maxReplays: 3, since: at + 1 }, 'p.events_log.dlq', origins)).toEqual({ action: 'skip' });
    expect(replayDecision(msg(0), none, { maxReplays: 3, until: at }, 'p.events_log.dlq', origins)).toEqual({ action: 'skip' });
    expect(replayDecision(msg(0), none, { maxReplays: 3, since: at, until: at + 1 }, 'p.events_log.dlq', origins)).toHaveProperty('action', 'replay');
    expect(replayDecision(msg(0), none, { maxReplays: 3, reason: 'mongodb' }, 'p.events_log.dlq', origins)).toEqual({ action: 'skip' });
    expect(replayDecision(msg(0), none, { maxReplays: 3, reason: 'POSTGRESQL' }, 'p.events_log.dlq', origins)).toHaveProperty('action', 'replay');
    expect(replayDecision(msg(4), parseProgress(5, null), { maxReplays: 3 }, 'p.events_log.dlq', origins)).toEqual({ action: 'done' });
  });
  test('a header naming another topic is not followed', () => {
    expect(replayDecision(msg(0, { 'x-source-topic': 'elsewhere' }), none, { maxReplays: 3 }, 'p.events_log.dlq', origins)).toHaveProperty(
      'topic',
      'p.events_log',
    );
    expect(replayDecision(msg(0), none, { maxReplays: 3 }, 'other.dlq', origins)).toHaveProperty('action', 'keep');
  });
  test('the message sent back keeps its own headers, not the DLQ’s', () => {
    const h = replayHeaders(msg(3, { traceparent: 't-1', 'x-source-offset': '9' }), 1, 'p.events_log.dlq/0/3');
    expect(h).toEqual({ traceparent: 't-1', 'x-replay-count': '1', 'x-replayed-from': 'p.events_log.dlq/0/3' });
  });
});

describe('list and show', () => {
  test('counted by source topic and kind of reason; pending is what no replay dealt with', () => {
    const ms = [
      msg(0, { 'x-source-topic': 't', 'x-error': 'sink rejected: code 22 at "a"' }),
      msg(1, { 'x-source-topic': 't', 'x-error': 'sink rejected: code 23 at "b"' }),
      msg(2, { 'x-source-topic': 't', 'x-error': 'invalid message: bad' }),
    ];
    const rows = summarise('t.dlq', ms, new Map([[0, parseProgress(1, null)]]));
    expect(rows).toEqual([
      expect.objectContaining({ sourceTopic: 't', reason: 'sink rejected: code N at …', messages: 2, pending: 1 }),
      expect.objectContaining({ reason: 'invalid message: bad', messages: 1, pending: 1 }),
    ]);
    expect(reasonKind('a   b 12.5 "x"')).toBe('a b N …');
  });
  test('headers read back; a missing time falls back to the Kafka timestamp', () => {
    expect(deadLetterOf(msg(2, { 'x-source-partition': '4', 'x-attempts': '3' }))).toMatchObject({ sourcePartition: 4, attempts: 3, replayCount: 0 });
    expect(deadLetterOf({ ...msg(2), headers: {} })).toMatchObject({ reason: '(no reason recorded)', failedAt: 1_000_002 });
  });
  test('records, user and device redacted unless revealed', () => {
    const v = Buffer.from(JSON.stringify({ request_id: 'r', client_id: 'acme', user_id: 'u', device: { d: 1 }, records: [{ body: 'secret' }] }));
    expect(describeValue(v, false)).toEqual({
      request_id: 'r',
      client_id: 'acme',
      user_id: '(redacted)',
      device: '(redacted)',
      records: '(1 records redacted; --reveal prints them)',
    });
    expect(JSON.stringify(describeValue(v, true))).toContain('secret');
    expect(describeValue(Buffer.from('\u0000garbage'), false)).toBe('(8 bytes, not JSON; --reveal prints them)');
  });
});
