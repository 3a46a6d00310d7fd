// The annotations a user sets on a pipeline, with what they do: part of the API as much as the
// spec's fields (the field reference lists them).
const PREFIX = 'mobileforge.credeau.com';

export const PAUSED_ANNOTATION = `${PREFIX}/paused`;
/** Rewinds one consumer's group to a time (operator/model/kafka/rewind.ts). */
export const REWIND_ANNOTATION = `${PREFIX}/rewind`;

export const USER_ANNOTATIONS: readonly { name: string; value: string; description: string }[] = [
  { name: PAUSED_ANNOTATION, value: '"true"', description: 'Stop reconciling, as spec.paused does.' },
  {
    name: REWIND_ANNOTATION,
    value: '{"consumer":"sms","toTime":"2026-12-01T10:00:00Z"} (optional "id")',
    description:
      "Rewind one consumer: it is stopped, its group's committed offsets go back to the first record at or after toTime (never forward), and it starts again; status.rewind reports it and a ConsumerRewound Event lists the partitions. The same value applied again does nothing; change id to repeat a rewind.",
  },
];
