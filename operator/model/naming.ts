// Names and labels of everything a pipeline owns.
import type { ComponentName, ConsumerName, PipelineTopic } from '../../core/domain.js';
import { COMPONENT_LABEL, INSTANCE_LABEL, MANAGED_BY_LABEL, NAME_LABEL, PART_OF_LABEL } from '../../core/labels.js';

export const APP_NAME = 'mobileforge-sync';
export const MANAGED_BY = 'mobileforge-operator';
export const FIELD_MANAGER = 'mobileforge-operator';
export const ANNOTATION_PREFIX = 'mobileforge.credeau.com';
export { REWIND_ANNOTATION } from '../api/annotations.js';
export const CONFIG_HASH_ANNOTATION = `${ANNOTATION_PREFIX}/config-hash`;

export function componentLabel(c: ComponentName): string {
  return c === 'producer' ? 'producer' : `consumer-${c}`;
}

export function deploymentName(pipeline: string, c: ComponentName): string {
  return `${pipeline}-${componentLabel(c)}`;
}

export function serviceAccountName(pipeline: string): string {
  return `${pipeline}-workload`;
}

/** A KafkaTopic's object name: per pipeline and seed topic, whatever the prefix (which may hold characters object names cannot). */
export function kafkaTopicObjectName(pipeline: string, topic: PipelineTopic, role: TopicRole = 'data'): string {
  return `${pipeline}-${topic.replace(/_/g, '-')}${role === 'dead-letter' ? '-dlq' : ''}`;
}

/**
 * A topic the consumers read (the data topics and the audit topic), the dead-letter topic beside
 * one, or the compacted topic of client records the Producer API replicas share.
 */
export type TopicRole = 'data' | 'dead-letter' | 'clients';

/** Labels on every object of a pipeline: how the operator finds what it owns. */
export function instanceLabels(pipeline: string): Record<string, string> {
  return {
    [NAME_LABEL]: APP_NAME,
    [INSTANCE_LABEL]: pipeline,
    [PART_OF_LABEL]: APP_NAME,
    [MANAGED_BY_LABEL]: MANAGED_BY,
  };
}

/** The jobs a pipeline runs besides its Deployments. */
export type JobComponent = 'migrate' | 'partitions';

export function componentLabels(pipeline: string, c: ComponentName | JobComponent | 'topics'): Record<string, string> {
  const component = c === 'topics' ? 'kafka-topic' : c === 'migrate' ? 'migration' : c === 'partitions' ? 'partition-maintenance' : componentLabel(c);
  return { ...instanceLabels(pipeline), [COMPONENT_LABEL]: component };
}

/**
 * One Job per (image, database settings): the hash suffix makes a new migration run when
 * either changes, and never re-runs one that already succeeded. 36 + 9 + 10 = 55 characters
 * at most, under the 63 a Job name may have (its pods carry it as a label value).
 */
export function migrationJobName(pipeline: string, hash: string): string {
  return `${pipeline}-migrate-${hash.slice(0, 10)}`;
}

/** CronJob names may have at most 52 characters (the controller appends a suffix): 36 + 11. */
export function partitionsCronJobName(pipeline: string): string {
  return `${pipeline}-partitions`;
}

/** The stable subset used in selectors (never changes for the life of a Deployment). */
export function selectorLabels(pipeline: string, c: ComponentName): Record<string, string> {
  return { [NAME_LABEL]: APP_NAME, [INSTANCE_LABEL]: pipeline, [COMPONENT_LABEL]: componentLabel(c) };
}

export function consumerConditionType(c: ConsumerName): string {
  return `${c[0]!.toUpperCase()}${c.slice(1)}Consumer`;
}
