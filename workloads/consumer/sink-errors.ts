// Sink write failures, classified by the drivers' error codes (never by message text):
// permanent ones are caused by the data and no retry can fix them, so the message goes to the
// DLQ; everything else (connections, timeouts, failovers, "not primary", shutdowns) is transient
// and retried until the sink is back.
import { BSON, MongoBulkWriteError, MongoServerError } from 'mongodb';
import { isPermanentPgError, sqlState } from '../../core/pg-errors.js';

/**
 * MongoDB server error codes caused by the document itself (src/mongo/base/error_codes.yml):
 * BadValue, FailedToParse, TypeMismatch, InvalidBSON, DollarPrefixedFieldName, InvalidIdField,
 * InvalidDBRef, EmptyFieldName, DottedFieldName, DocumentValidationFailure, BSONObjectTooLarge,
 * KeyTooLong. FerretDB answers with the same codes.
 */
const MONGO_PERMANENT = new Set([2, 9, 14, 22, 52, 53, 55, 56, 57, 121, 10334, 17280]);
const DUPLICATE_KEY = 11000;

function mongoCodes(err: unknown): number[] | undefined {
  if (err instanceof MongoBulkWriteError) {
    if (err.writeConcernError) return undefined;
    const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
    return writeErrors.map((e) => e.code).filter((c) => c !== DUPLICATE_KEY);
  }
  if (err instanceof MongoServerError && typeof err.code === 'number') return [err.code];
  return undefined;
}

/** Why a write failed, if no retry can fix it; undefined when it is transient. */
export function permanentSinkFailure(err: unknown): string | undefined {
  if (isPermanentPgError(err)) return `PostgreSQL refused the data (SQLSTATE ${sqlState(err)}: ${(err as Error).message})`;
  // The BSON serialiser refuses what it cannot encode (a NUL byte in a field name) before
  // anything is sent.
  if (err instanceof BSON.BSONError) return `MongoDB driver cannot encode the document (${err.message})`;
  const codes = mongoCodes(err);
  if (codes && codes.length > 0 && codes.every((c) => MONGO_PERMANENT.has(c)))
    return `MongoDB refused the document (code ${[...new Set(codes)].join(', ')}: ${(err as Error).message})`;
  return undefined;
}
