import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** Custom search attributes on every run, so Temporal Web filters runs by job, service and trigger. */
export const JOB_NAME = defineSearchAttributeKey('JobName', SearchAttributeType.KEYWORD);
export const JOB_SERVICE = defineSearchAttributeKey('JobService', SearchAttributeType.KEYWORD);
export const JOB_TRIGGER = defineSearchAttributeKey('JobTrigger', SearchAttributeType.KEYWORD);
const KEYS = [JOB_NAME, JOB_SERVICE, JOB_TRIGGER];

/** The dev server's `--search-attribute` flags for {@link KEYS}. */
export const SEARCH_ATTRIBUTE_FLAGS: Record<string, string> = Object.fromEntries(KEYS.map((k) => [k.name, 'Keyword']));

/** Idempotent by name (an existing one is skipped), so every start may call it. Self-hosted servers only. */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const keyword = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(KEYS.map((k) => [k.name, keyword])),
  });
}
