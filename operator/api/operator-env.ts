// The variables the operator owns, derived from the environment contract (core/env-contract.ts,
// ENV_SOURCES), and what admission says when a pipeline's per-component `env` names one: the
// spec field that sets it. Shared by the CRD's rule (v1alpha1.ts), the offline validator (which
// evaluates that rule), the model (which never lets such an entry through) and the reference.
import { ENV, ENV_SOURCES, type EnvSource } from '../../core/env-contract.js';

type OwnedSource = Exclude<EnvSource, 'env'>;

/** `a`, `a and b`, `a, b and c`. */
function listed(items: readonly string[]): string {
  return items.length === 1 ? items[0]! : `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
}

/** Where the operator takes the value from: `from spec.a and spec.b`, or the reason it fixes it itself. */
export function describeSource(source: OwnedSource): string {
  return 'fixed' in source ? `itself (${source.fixed})` : `from ${listed(source.spec.map((f) => `spec.${f}`))}`;
}

function refusal(name: string, source: OwnedSource): string {
  if ('fixed' in source) return `${name} is set by the operator (${source.fixed}) and cannot be changed`;
  const fields = listed(source.spec.map((f) => `spec.${f}`));
  return `${name} is set by the operator from ${fields}: set ${source.spec.length === 1 ? 'that field' : 'those fields'} instead of an env entry`;
}

/** Every variable the operator sets, in the contract's order, with where it comes from. */
export const OPERATOR_ENV: readonly { name: string; source: OwnedSource; message: string }[] = (Object.keys(ENV) as (keyof typeof ENV)[]).flatMap((k) => {
  const source = ENV_SOURCES[k];
  return source === 'env' ? [] : [{ name: ENV[k], source, message: refusal(ENV[k], source) }];
});

const BY_NAME = new Map(OPERATOR_ENV.map((v) => [v.name, v]));

/** Why a pipeline's env may not set `name`, or undefined when it may. */
export function operatorEnvRefusal(name: string): string | undefined {
  return BY_NAME.get(name)?.message;
}

/** Where the operator takes `name` from, or undefined when it does not set it. */
export function operatorEnvSource(name: string): OwnedSource | undefined {
  return BY_NAME.get(name)?.source;
}
