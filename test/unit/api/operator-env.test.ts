// The variables the operator owns come from the environment contract (ENV_SOURCES), and the
// contract has to be right: each names spec fields that exist, and what it marks as the
// operator's is exactly what the model renders into the Producer API and consumer containers.
import { describe, expect, test } from '@jest/globals';
import type { V1Deployment } from '@kubernetes/client-node';
import { ENV, ENV_SOURCES } from '../../../core/env-contract.js';
import { OPERATOR_ENV, operatorEnvRefusal } from '../../../operator/api/operator-env.js';
import { SpecSchema } from '../../../operator/api/v1alpha1.js';
import { toPlainJson } from '../../../operator/api/schema-helpers.js';
import { render } from '../../../operator/model/render.js';
import { pipeline } from '../../support/fixtures.js';

type Schema = { properties?: Record<string, Schema> };

function specFieldExists(path: string): boolean {
  let node: Schema | undefined = toPlainJson(SpecSchema) as Schema;
  for (const key of path.split('.')) node = node?.properties?.[key];
  return node !== undefined;
}

/** Every option that adds a variable: TLS and SASL to Kafka, prefixes, CAs, MongoDB by host and by URI, the rate limit. */
const everything = [
  pipeline({
    kafka: {
      bootstrapServers: ['k:9093'],
      topicPrefix: 'uat.',
      consumerGroupPrefix: 'g.',
      tls: { enabled: true, caSecretRef: { name: 'kafka-ca' } },
      sasl: { mechanism: 'scram-sha-512', credentialsSecretRef: { name: 'kafka-user' } },
    },
    postgres: { host: 'pg', credentialsSecretRef: { name: 'pg' }, ca: { secretRef: { name: 'rds-ca' } } },
    mongodb: { host: 'm', credentialsSecretRef: { name: 'm' }, tls: { ca: { secretRef: { name: 'rds-ca' } } } },
    producer: { rateLimit: { requestsPerSecond: 10, burst: 20, overrides: [{ clientId: 'big', requestsPerSecond: 100, burst: 200 }] } },
  }),
  pipeline({ mongodb: { uriSecretRef: { name: 'docdb' } }, consumers: { layout: 'single' } }),
];

function renderedEnvNames(): Set<string> {
  const names = new Set<string>();
  for (const p of everything)
    for (const o of render(p, { capabilities: { keda: true } }).objects)
      if (o.kind === 'Deployment') for (const e of (o as V1Deployment).spec!.template.spec!.containers[0]!.env ?? []) names.add(e.name);
  return names;
}

describe('the variables the operator owns', () => {
  test('every spec field the contract names exists in the schema', () => {
    const fields = Object.values(ENV_SOURCES).flatMap((s) => (typeof s === 'object' && 'spec' in s ? s.spec : []));
    expect(fields.length).toBeGreaterThan(30);
    expect(fields.filter((f) => !specFieldExists(f))).toEqual([]);
  });

  test("are exactly those the model renders into the workloads' containers", () => {
    expect([...renderedEnvNames()].sort()).toEqual(OPERATOR_ENV.map((v) => v.name).sort());
  });

  test('come from the contract: every variable but those it leaves to the pipeline', () => {
    const left = (Object.keys(ENV) as (keyof typeof ENV)[]).filter((k) => ENV_SOURCES[k] === 'env').map((k) => ENV[k]);
    expect(left.sort()).toEqual(['LOG_LEVEL', 'PORT']);
    expect(OPERATOR_ENV).toHaveLength(Object.keys(ENV).length - left.length);
  });

  test('the refusal names the spec field to set instead', () => {
    expect(operatorEnvRefusal('DI_POSTGRES_SSLMODE')).toBe(
      'DI_POSTGRES_SSLMODE is set by the operator from spec.postgres.sslMode: set that field instead of an env entry',
    );
    expect(operatorEnvRefusal('ENABLED_TOPICS')).toBe(
      'ENABLED_TOPICS is set by the operator from spec.region, spec.consumers.layout and spec.kafka.topicPrefix: set those fields instead of an env entry',
    );
    expect(operatorEnvRefusal('METRICS_PORT')).toMatch(/^METRICS_PORT is set by the operator \(.*\) and cannot be changed$/);
    expect(operatorEnvRefusal('LOG_LEVEL')).toBeUndefined();
    expect(operatorEnvRefusal('di_postgres_sslmode')).toBeUndefined();
  });
});
