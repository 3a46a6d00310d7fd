// The headers a consumer puts on a message it sends to a dead-letter topic, and that
// `mobileforge dlq` reads back: one list for the writer and the reader.
export const DLQ_HEADERS = {
  reason: 'x-error',
  sourceTopic: 'x-source-topic',
  sourcePartition: 'x-source-partition',
  sourceOffset: 'x-source-offset',
  failedAt: 'x-failed-at',
  /** Writes tried before the message was given up on. */
  attempts: 'x-attempts',
  /** How many times the message has been replayed from a DLQ: carried through the consumer, so a replay can stop at a bound. */
  replayCount: 'x-replay-count',
} as const;
