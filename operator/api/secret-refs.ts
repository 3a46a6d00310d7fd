// The Secret keys a pipeline's references name, with the defaults the API documents: a
// reference that leaves out its key means the conventional one. Every reader of a reference
// (pod env, volumes, KEDA's TriggerAuthentication, the operator's own Kafka client, the
// rolling-restart hash) resolves it here, so a default cannot differ between them.

const DEFAULT_SECRET_KEYS = { username: 'username', password: 'password', uri: 'uri', ca: 'ca.crt' } as const;

/** A Secret and one key in it. */
export interface SecretKey {
  name: string;
  key: string;
}

interface CredentialsRef {
  name: string;
  usernameKey?: string;
  passwordKey?: string;
}

interface KeyRef {
  name: string;
  key?: string;
}

export const usernameKey = (ref: CredentialsRef): SecretKey => ({ name: ref.name, key: ref.usernameKey ?? DEFAULT_SECRET_KEYS.username });
export const passwordKey = (ref: CredentialsRef): SecretKey => ({ name: ref.name, key: ref.passwordKey ?? DEFAULT_SECRET_KEYS.password });
export const uriKey = (ref: KeyRef): SecretKey => ({ name: ref.name, key: ref.key ?? DEFAULT_SECRET_KEYS.uri });
export const caKey = (ref: KeyRef): SecretKey => ({ name: ref.name, key: ref.key ?? DEFAULT_SECRET_KEYS.ca });

/** A CA bundle from a Secret or a ConfigMap (the API's CaBundleRef), with the key's default. */
export interface CaBundleSource {
  kind: 'secret' | 'configMap';
  name: string;
  key: string;
}

export function caBundle(ref: { secretRef?: KeyRef; configMapRef?: KeyRef }): CaBundleSource | undefined {
  if (ref.secretRef) return { kind: 'secret', ...caKey(ref.secretRef) };
  if (ref.configMapRef) return { kind: 'configMap', ...caKey(ref.configMapRef) };
  return undefined;
}
