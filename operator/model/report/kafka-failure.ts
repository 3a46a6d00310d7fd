// Why the operator could not use a pipeline's Kafka, in words a platform team can act on. A
// wrong SCRAM password, a CA that does not match the brokers' certificates and a broker that is
// down all surface from the Kafka client as connection failures; told apart here, each names
// the Secret or spec field to fix. Pure: it reads only the error's names, codes and messages.
import type { ResolvedKafka } from '../resolve.js';

type KafkaFailureReason = 'KafkaCredentialsMissing' | 'KafkaAuthenticationFailed' | 'KafkaTLSFailed' | 'KafkaUnreachable';

export interface KafkaFailure {
  reason: KafkaFailureReason;
  message: string;
}

/** Node's codes for a certificate the client does not accept. */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/** The error and what it wraps (kafkajs keeps the first failure as `cause` or `originalError`). */
function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let e: unknown = err;
  while (e && typeof e === 'object' && out.length < 8 && !out.includes(e as ErrorLike)) {
    const x = e as ErrorLike;
    out.push(x);
    e = x.cause ?? x.originalError;
  }
  return out;
}

const text = (e: ErrorLike) => (typeof e.message === 'string' ? e.message : '');

/** What went wrong with the pipeline's Kafka: `err` is what the client (or the credentials' read) threw. */
export function kafkaFailure(err: unknown, k: Pick<ResolvedKafka, 'sasl' | 'tls'>, doing: string): KafkaFailure {
  const errors = chain(err);
  // the innermost message says most (the wrappers say "Connection error")
  const detail = errors.map(text).filter(Boolean).at(-1) ?? String(err);
  if (errors.some((e) => e.name === 'KafkaCredentialsError')) {
    return { reason: 'KafkaCredentialsMissing', message: `${doing}: ${detail}` };
  }
  const sasl = errors.find((e) => e.name === 'KafkaJSSASLAuthenticationError' || /SASL .*authentication failed/i.test(text(e)));
  if (sasl) {
    const secret = k.sasl ? `the user and password in Secret ${k.sasl.username.name}` : 'its SASL credentials';
    return {
      reason: 'KafkaAuthenticationFailed',
      message:
        `${doing}: Kafka refused the ${k.sasl?.mechanism.toUpperCase() ?? 'SASL'} login with ${secret} (${text(sasl) || detail}); ` +
        "fix the Secret (or the user on the Kafka side): the pipeline's pods log in with it too",
    };
  }
  const tls = errors.find((e) => (typeof e.code === 'string' && TLS_CODES.has(e.code)) || /certificate|SSL routines|TLS/i.test(text(e)));
  if (tls) {
    const ca = k.tls.ca;
    const hint = ca
      ? `check that the CA in Secret ${ca.name} (key ${ca.key}) signed the brokers' certificates and that they name the bootstrap addresses`
      : "give the CA that signed the brokers' certificates in spec.kafka.tls.caSecretRef";
    return { reason: 'KafkaTLSFailed', message: `${doing}: TLS to Kafka failed (${text(tls) || detail}); ${hint}` };
  }
  return { reason: 'KafkaUnreachable', message: `${doing}: ${detail}` };
}
