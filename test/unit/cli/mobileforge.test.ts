import { describe, expect, test } from '@jest/globals';
import { parseAllDocuments, stringify } from 'yaml';
import { main } from '../../../operator/cli/mobileforge.js';
import { CALIBRATION } from '../../../operator/model/sizing/capacity.js';
import { pipeline, samplePath } from '../../support/fixtures.js';

function run(args: string[], stdin = '') {
  let out = '';
  let err = '';
  const noCluster = () => {
    throw new Error('plan and render read no cluster');
  };
  const code = main(args, { out: (s) => void (out += s), err: (s) => void (err += s), stdin: () => stdin, kubeConfig: noCluster });
  return { code, out, err };
}

async function runAsync(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    stdin: () => '',
    kubeConfig: () => {
      throw new Error('not reached: arguments are checked first');
    },
  });
  return { code, out, err };
}

describe('mobileforge dlq: arguments checked before any cluster is read', () => {
  test.each([
    [['dlq'], /dlq needs a subcommand: list, show or replay\n/],
    [['dlq', 'purge', '--pipeline', 'p'], /dlq needs a subcommand: list, show or replay \(got "purge"\)/],
    [['dlq', 'list'], /--pipeline NAME is required/],
    [['dlq', 'replay', '--pipeline', 'p', '--since', 'yesterday'], /--since must be an RFC 3339 time with a zone .* or an age/],
    [['dlq', 'replay', '--pipeline', 'p', '--until', '2026-12-01T10:00:00'], /--until must be an RFC 3339 time/],
    [['dlq', 'replay', '--pipeline', 'p', '--max-replays', '0'], /--max-replays must be a positive integer/],
    [['dlq', 'list', '--pipeline', 'p', '--password', 'x'], /Unknown option '--password'/],
  ])('%j', async (args, message) => {
    const r = await runAsync(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).toBe('');
  });

  test('help lists the dlq commands with examples', () => {
    const r = run(['help']);
    expect(r.out).toMatch(/mobileforge dlq replay --pipeline NAME --topic TOPIC/);
    expect(r.out).toMatch(/Examples:\n {8}mobileforge dlq list --pipeline acme -n sync/);
  });
});

describe('mobileforge plan', () => {
  test('prints a sizing table', () => {
    const r = run(['plan', '--dau', '180000', '--environment', 'production', '--region', 'india']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Tier: 200k (above the ladder');
    expect(r.out).toContain(`Calibration ${CALIBRATION.version}`);
    // the reasoning: load at average and peak, per-replica capacity and its rounds, need, ladder, replicas
    expect(r.out).toMatch(/COMPONENT\s+LOAD AVG -> PEAK\s+PER REPLICA\s+ROUNDS\s+NEED\s+LADDER\s+REPLICAS/);
    expect(r.out).toMatch(/consumer-sms\s+813 -> 2,438 rec\/s\s+[\d,]+ rec\/s\s+(1 round|\d+ rounds: [\d,]+ to [\d,]+)\s+\d+(-\d+)?\s+4-16\s+4-16/);
    // the resources at the floor and the ceiling
    expect(r.out).toMatch(/consumer-sms\s+4-16\s+1\/1500m\s+512Mi\/1Gi\s+4-16\s+2-8 GiB\s+sms_batched/);
    expect(r.out).toMatch(/total\s+14-46\s+14-46\s+7-23 GiB/);
    expect(r.out).toMatch(/sms_batched\s+16\s+3\s+sms-consumer-group/);
    expect(r.out).not.toContain('contacts_batched');
    // brokers: the measured need (RF 3 at this load) over the top rung's 3-5, no longer the 100K row scaled
    expect(r.out).toContain('Kafka brokers (recommended): 3-5');
  });

  test('1M DAU in production (India): a floor of a few dozen vCPU, justified line by line by the calibration', () => {
    const plan = JSON.parse(run(['plan', '--dau', '1000000', '--environment', 'production', '--region', 'india', '-o', 'json']).out);
    for (const c of plan.components) {
      // never below the top rung, and never below what the calibrated need says
      expect(c.replicas.min).toBe(Math.max(c.ladder.min, c.calibrated.min, c.name === 'producer' ? 2 : 1));
      expect(c.replicas.max).toBe(Math.max(c.ladder.max, c.calibrated.max));
    }
    // the linear extrapolation planned 40+40+30+30 = 140 pods of 3 vCPU at the floor
    expect(plan.total.vcpu.min).toBeLessThan(0.2 * 140);
  });

  test('-o json gives the same plan as data', () => {
    const plan = JSON.parse(run(['plan', '--dau', '50000', '--environment', 'uat', '--region', 'other', '-o', 'json']).out);
    expect(plan).toMatchObject({ tier: '50k', aboveLadder: false, kafkaBrokers: { min: 3, max: 3 }, calibration: { version: CALIBRATION.version } });
    expect(plan.components.map((c: { name: string; replicas: unknown }) => [c.name, c.replicas])).toEqual([
      ['producer', { min: 2, max: 5 }],
      ['sms', { min: 2, max: 8 }],
      ['events', { min: 1, max: 5 }],
      ['common', { min: 1, max: 5 }],
    ]);
    expect(plan.total.vcpu).toEqual({ min: 3, max: 11.5 });
  });

  test('bad arguments: exit 2 with the reason and the usage', () => {
    const r = run(['plan', '--dau', '0', '--environment', 'production', '--region', 'india']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--dau must be a positive integer');
    expect(run(['plan', '--dau', '10', '--environment', 'prod', '--region', 'india']).err).toContain(
      '--environment must be one of: dev, uat, production (got "prod")',
    );
    expect(run(['plan', '--bogus']).code).toBe(2);
  });
});

describe('mobileforge render', () => {
  test('prints every desired object as multi-document YAML', () => {
    const r = run(['render', '-f', samplePath('production')]);
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.out).map((d) => d.toJS() as { kind: string });
    expect(docs.map((d) => d.kind)).toEqual(
      expect.arrayContaining([
        'Deployment',
        'Service',
        'Ingress',
        'HorizontalPodAutoscaler',
        'ScaledObject',
        'KafkaTopic',
        'PodDisruptionBudget',
        'ServiceAccount',
      ]),
    );
    expect(r.out).not.toMatch(/&a\d|\*a\d/); // no YAML anchors: plain manifests for GitOps
  });

  test('--resolved prints each pipeline with every default applied, as YAML or JSON', () => {
    const r = run(['render', '-f', samplePath('production'), '--resolved']);
    expect(r.code).toBe(0);
    const [doc] = parseAllDocuments(r.out).map((d) => d.toJS() as Record<string, unknown>);
    const resolved = doc as {
      metadata: { name: string };
      consumerLayout: string;
      components: string[];
      image: { pullPolicy: string };
      kafka: { topics: { mode: string; managedBy: string; readOffsets: boolean }; naming: { topicPrefix: string; groupPrefix: string } };
      settings: Record<string, { replicas: { min: number; max: number } }>;
    };
    expect(resolved.consumerLayout).toMatch(/^(split|single)$/);
    expect(resolved.components[0]).toBe('producer');
    expect(resolved.image.pullPolicy).toMatch(/^(Always|IfNotPresent|Never)$/);
    expect(resolved.kafka.topics).toMatchObject({ readOffsets: true });
    expect(['operator', 'strimzi', 'outside']).toContain(resolved.kafka.topics.managedBy);
    // A production Producer API never runs below two replicas.
    expect(resolved.settings.producer!.replicas.min).toBeGreaterThanOrEqual(2);
    expect(r.out).not.toContain('kind: Deployment');

    const minimal = stringify(pipeline({ dau: 10_000, environment: 'dev' }));
    const json = JSON.parse(run(['render', '-f', '-', '--resolved', '-o', 'json'], minimal).out) as (typeof resolved & Record<string, unknown>)[];
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({
      consumerLayout: 'split',
      components: ['producer', 'sms', 'events', 'common'],
      image: { pullPolicy: 'IfNotPresent' },
      kafka: {
        replicationFactor: 1,
        minInSyncReplicas: 1,
        naming: { topicPrefix: '', groupPrefix: '' },
        topics: { mode: 'admin', managedBy: 'operator', manageTopics: true },
      },
      autoscaling: { engine: 'keda', cpuTargetUtilization: 70, pollingIntervalSeconds: 30 },
      maintenance: { schedule: '15 0 * * *', suspend: false, partitionDaysAhead: 10, partitionRetentionDays: 90 },
      producer: { service: { type: 'ClusterIP', port: 8000 } },
    });
  });

  test('--no-keda renders the HPA fallback; --kafka-topic-api v1beta2 the older KafkaTopic', () => {
    const out = run(['render', '-f', samplePath('uat'), '--no-keda', '--kafka-topic-api', 'v1beta2']).out;
    expect(out).not.toContain('kind: ScaledObject');
    expect(out).toContain('apiVersion: kafka.strimzi.io/v1beta2');
  });

  test('reports input errors with the field path and the reason, exit 1', () => {
    const bad = `apiVersion: mobileforge.credeau.com/v1alpha1
kind: MobileForgeSyncPipeline
metadata: {name: acme}
spec:
  dau: 1000
  environment: production
  region: india
  image: {repository: r, tag: t}
  kafka: {bootstrapServers: ["k:9092"]}
  postgres: {host: pg}
  mongodb: {host: m, enabledSources: [contacts]}
`;
    const r = run(['render', '-f', '-'], bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain('<stdin> is invalid');
    expect(r.err).toContain('spec.postgres.credentialsSecretRef: required field is missing');
  });

  test('warns on stderr where the spec asks for more than the model finds useful, and still renders', () => {
    const wide = stringify(pipeline({ dau: 50_000, environment: 'uat', region: 'india', consumers: { sms: { maxReplicas: 400 } } }, 'wide'));
    const r = run(['render', '-f', '-'], wide);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^warning: <stdin>: consumers\.sms\.maxReplicas 400 is more than \d+x the \d+ the model plans for the 50,000 DAU peak/m);
    expect(r.out).toContain('kind: Deployment');
    expect(run(['render', '-f', samplePath('production')]).err).toBe('');
  });

  test('warns on stderr where the operator would apply the spec otherwise than written (the production producer floor)', () => {
    const one = stringify(pipeline({ dau: 20_000, producer: { minReplicas: 1 } }, 'one'));
    const r = run(['render', '-f', '-'], one);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^warning: <stdin>: producer\.minReplicas 1 raised to 2: a production Producer API runs at least 2 replicas/m);
    expect(r.out).toMatch(/kind: HorizontalPodAutoscaler\n[\s\S]*?name: one-producer[\s\S]*?minReplicas: 2/);
  });

  test('reports YAML syntax errors with the line', () => {
    const r = run(['render', '-f', '-'], 'apiVersion: x\nspec: [unclosed\n');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/line \d/);
  });

  test('a missing file is a clear error', () => {
    const r = run(['render', '-f', '/nonexistent/pipeline.yaml']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('ENOENT');
  });
});
