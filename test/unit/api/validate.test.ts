import { describe, expect, test } from '@jest/globals';
import { PipelineValidationError, ruleIssues, validatePipeline } from '../../../operator/api/validate.js';
import { celViolations } from '../../../operator/api/cel.js';
import { RULE_MESSAGES } from '../../../operator/api/v1alpha1.js';
import { loadSample, pipeline, SAMPLE_NAMES } from '../../support/fixtures.js';
import { INVALID_CASES } from '../../support/invalid-pipelines.js';

const issuesOf = (doc: unknown) => {
  try {
    validatePipeline(doc);
  } catch (e) {
    if (e instanceof PipelineValidationError) return e.issues;
    throw e;
  }
  return [];
};

describe('offline validation', () => {
  test.each(SAMPLE_NAMES)('the %s sample is valid', (name) => {
    expect(issuesOf(loadSample(name))).toEqual([]);
  });

  test.each(INVALID_CASES)('rejects: $name', ({ doc, path, message }) => {
    const issues = issuesOf(doc);
    expect(issues.map((i) => i.path)).toContain(path);
    expect(issues.find((i) => i.path === path)?.message).toMatch(message);
  });

  test('reports unknown fields the API server would silently drop, with their path', () => {
    const doc = pipeline();
    (doc.spec.kafka as Record<string, unknown>).bootstrapServer = 'typo:9092';
    expect(issuesOf(doc)).toEqual([{ path: 'spec.kafka.bootstrapServer', message: 'unknown field (the API server would drop it)' }]);
  });

  test('reports wrong types and the header fields', () => {
    const doc = { apiVersion: 'v1', kind: 'Pipeline', metadata: { name: 'Bad_Name' }, spec: { ...pipeline().spec, dau: '100k' } };
    expect(issuesOf(doc)).toEqual(
      expect.arrayContaining([
        { path: 'apiVersion', message: 'must be mobileforge.credeau.com/v1alpha1' },
        { path: 'kind', message: 'must be MobileForgeSyncPipeline' },
        expect.objectContaining({ path: 'metadata.name' }),
        { path: 'spec.dau', message: 'must be integer' },
      ]),
    );
  });

  test('the error message lists every issue with its path', () => {
    expect(() => validatePipeline(pipeline({ dau: 0, consumers: { sms: { minReplicas: 3, maxReplicas: 1 } } }), 'p.yaml')).toThrow(
      /p\.yaml is invalid:\n {2}- spec\.dau: must be >= 1/,
    );
  });

  test('partitions never decrease (a transition rule: needs the old object)', () => {
    const old = pipeline({ kafka: { bootstrapServers: ['k:9092'], topics: { sms_batched: { partitions: 32 } } } }).spec;
    expect(ruleIssues(pipeline({ kafka: { bootstrapServers: ['k:9092'], topics: { sms_batched: { partitions: 24 } } } }).spec, old)).toEqual([
      { path: 'spec.kafka.topics.sms_batched.partitions', message: RULE_MESSAGES.partitionsNeverDecrease },
    ]);
    expect(ruleIssues(pipeline({ kafka: { bootstrapServers: ['k:9092'], topics: { sms_batched: { partitions: 40 } } } }).spec, old)).toEqual([]);
  });

  test('topic and consumer-group prefixes cannot change, be added or be removed once the pipeline exists', () => {
    const spec = (kafka: object) => pipeline({ kafka: { bootstrapServers: ['k:9092'], ...kafka } }).spec;
    const topic = { path: 'spec.kafka.topicPrefix', message: RULE_MESSAGES.topicPrefixImmutable };
    const group = { path: 'spec.kafka.consumerGroupPrefix', message: RULE_MESSAGES.groupPrefixImmutable };
    expect(ruleIssues(spec({ topicPrefix: 'b.' }), spec({ topicPrefix: 'a.' }))).toEqual([topic]);
    expect(ruleIssues(spec({ topicPrefix: 'a.' }), spec({}))).toEqual([topic]);
    expect(ruleIssues(spec({}), spec({ topicPrefix: 'a.' }))).toEqual([topic]);
    expect(ruleIssues(spec({ topicPrefix: 'a.', consumerGroupPrefix: 'g-' }), spec({ topicPrefix: 'a.' }))).toEqual([group]);
    expect(ruleIssues(spec({ topicPrefix: 'a.', consumerGroupPrefix: 'g-' }), spec({ topicPrefix: 'a.', consumerGroupPrefix: 'g-' }))).toEqual([]);
    // a new pipeline may take any prefix
    expect(ruleIssues(spec({ topicPrefix: 'a.', consumerGroupPrefix: 'g-' }))).toEqual([]);
  });
});

describe('the consumer layout', () => {
  test('split overrides with layout single, or the single consumer override without it, are refused with a message that says which', () => {
    expect(ruleIssues(pipeline({ consumers: { layout: 'single', sms: { maxReplicas: 4 } } }).spec)).toEqual([
      { path: 'spec.consumers', message: RULE_MESSAGES.singleOverrides },
    ]);
    expect(ruleIssues(pipeline({ consumers: { all: { maxReplicas: 4 } } }).spec)).toEqual([
      { path: 'spec.consumers.all', message: RULE_MESSAGES.splitOverrides },
    ]);
    expect(ruleIssues(pipeline({ consumers: { layout: 'single', all: { maxReplicas: 4 } } }).spec)).toEqual([]);
    expect(ruleIssues(pipeline({ consumers: { layout: 'split', sms: { maxReplicas: 4 } } }).spec)).toEqual([]);
  });
});

describe('rule messages from messageExpression, as the API server gives them', () => {
  const schema = (messageExpression: string) => ({
    type: 'object',
    properties: { name: { type: 'string' } },
    'x-kubernetes-validations': [{ rule: "self.name != 'x'", message: 'static', messageExpression }],
  });

  test("the expression's value, or the static message where it fails or gives an empty or multi-line string", () => {
    expect(celViolations(schema("self.name + ' is taken'"), { name: 'x' }, 'spec')).toEqual([{ path: 'spec', message: 'x is taken' }]);
    expect(celViolations(schema("{'y': 'why'}[self.name]"), { name: 'x' }, 'spec')).toEqual([{ path: 'spec', message: 'static' }]);
    expect(celViolations(schema("' '"), { name: 'x' }, 'spec')).toEqual([{ path: 'spec', message: 'static' }]);
    expect(celViolations(schema('"two\\nlines"'), { name: 'x' }, 'spec')).toEqual([{ path: 'spec', message: 'static' }]);
    expect(celViolations(schema("self.name + ' is taken'"), { name: 'y' }, 'spec')).toEqual([]);
  });
});
