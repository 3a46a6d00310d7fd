// Message checks on the consumer side: the envelope (core/message.ts) and each record
// against its source's schema. A failure makes the message poison: it goes to the DLQ.
import { Ajv, type ValidateFunction } from 'ajv';
import { SOURCES, type Source } from '../../core/domain.js';
import { parseMessage, type SyncMessage } from '../../core/message.js';
import { RECORD_SCHEMAS } from '../../core/record-schemas.js';
import { errorMessage } from '../../core/errors.js';

export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

const ajv = new Ajv({ strict: true, strictTypes: false, strictRequired: false });
const validators = new Map<Source, ValidateFunction>(SOURCES.map((s) => [s, ajv.compile({ type: 'array', items: RECORD_SCHEMAS[s] })]));

export function decodeAndValidate(value: Buffer | null): SyncMessage {
  if (!value) throw new PoisonMessageError('empty message');
  let m: SyncMessage;
  try {
    m = parseMessage(value);
  } catch (err) {
    throw new PoisonMessageError(errorMessage(err));
  }
  const v = validators.get(m.source)!;
  if (!v(m.records)) {
    const e = v.errors?.[0];
    throw new PoisonMessageError(`records${e?.instancePath ?? ''} ${e?.message ?? 'invalid'}`);
  }
  return m;
}
