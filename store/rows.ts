/** The one mapping between the mirror's snake_case rows and our camelCase records, shared by every store. */
import type { DroppableField, ExecutionRecord, ExecutionStatus, Trigger } from '../jobs/execution';
import type { JobDefinition, JsonObject } from '../jobs/job';
import { wellFormed } from '../jobs/text';
import type { JobRecord, JobRow } from './job-store';

/** The columns of `job_schedules` that a job upsert writes; the rest are derived from `scheduled_jobs`. */
export interface JobScheduleWrite {
  job_name: string;
  service: string;
  endpoint: string;
  method: string;
  cron_expression: string;
  timezone: string;
  /** Whether its service has it enabled: the definition's `enabled`. */
  enabled: boolean;
  /** Whether an admin has paused it. */
  paused: boolean;
  description: string;
  payload: JsonObject;
  definition: JobDefinition;
  pause_note: string | null;
  created_at: string;
  updated_at: string;
  next_run_times: string[];
  skipped_runs: number;
  missed_runs: number;
  schedule_updated_at: string | null;
}

/**
 * The columns a job read needs: the definition column holds the whole job, so its queryable projection (service,
 * endpoint, cron, payload, …) is not read back.
 */
export const JOB_READ_COLUMNS = [
  'job_name',
  'paused',
  'definition',
  'pause_note',
  'next_run_times',
  'skipped_runs',
  'missed_runs',
  'schedule_updated_at',
  'total_runs',
  'successful_runs',
  'failed_runs',
  'pruned_runs',
  'pruned_successful_runs',
  'pruned_failed_runs',
  'last_run_at',
  'last_status',
  'last_execution_id',
  'last_completed_at',
  'created_at',
  'updated_at',
].join(', ');

/** A `job_schedules` row as a driver returns it: PostgreSQL booleans, JSON and timestamps, or SQLite 0/1 and text. */
export interface JobScheduleRow {
  job_name: string;
  paused: boolean | number;
  definition: unknown;
  pause_note: string | null;
  next_run_times: unknown;
  skipped_runs: number | string;
  missed_runs: number | string;
  schedule_updated_at: string | Date | null;
  total_runs: number | string;
  successful_runs: number | string;
  failed_runs: number | string;
  pruned_runs: number | string;
  pruned_successful_runs: number | string;
  pruned_failed_runs: number | string;
  last_run_at: string | Date | null;
  last_status: string | null;
  last_execution_id: string | null;
  last_completed_at: string | Date | null;
  created_at: string | Date;
  updated_at: string | Date;
}

/** The columns of `scheduled_jobs` that an execution write sets. */
export interface ScheduledJobWrite {
  id: string;
  job_name: string;
  service: string;
  status: ExecutionStatus;
  trigger: Trigger;
  triggered_by: string | null;
  retry_of: string | null;
  scheduled_at: string | null;
  started_at: string;
  completed_at: string | null;
  duration_ms: number | null;
  attempts: number;
  http_status: number | null;
  error: string | null;
  response: string | null;
  workflow_id: string;
  run_id: string | null;
  /** The fields the store refused and the row was written without (jsonb array; JSON text in SQLite), else null. */
  dropped_fields: DroppableField[] | null;
}

/** A `scheduled_jobs` row as a driver returns it (`duration_ms` is a bigint: node-postgres hands it over as text). */
export type ScheduledJobRow = Omit<
  ScheduledJobWrite,
  'scheduled_at' | 'started_at' | 'completed_at' | 'duration_ms' | 'dropped_fields'
> & {
  scheduled_at: string | Date | null;
  started_at: string | Date;
  completed_at: string | Date | null;
  duration_ms: number | string | null;
  /** Absent from a row read from a database not yet migrated. */
  dropped_fields?: unknown;
};

/** ISO-8601 in UTC with milliseconds: PostgREST answers `+00:00` offsets, and SQLite compares timestamps as text. */
export function isoTimestamp(value: string | Date): string {
  // already in that form (SQLite, the memory store): a read path of many rows saves the round trip through Date
  if (typeof value === 'string' && ISO_UTC.test(value)) return value;
  return new Date(value).toISOString();
}
const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function isoOrNull(value: string | Date | null): string | null {
  return value === null ? null : isoTimestamp(value);
}

function numberOrNull(value: number | string | null): number | null {
  return value === null ? null : Number(value);
}

/**
 * PostgreSQL's text and jsonb cannot hold U+0000 nor a lone surrogate (half of a character beyond U+FFFF): one in a
 * service's response or an error message would make every mirror write of that execution fail, and the workflow
 * retries that write without limit. SQLite would store the lone surrogate as invalid UTF-8. Every string written to
 * any store loses its NULs and has its lone surrogates replaced by U+FFFD here, so all three stores keep the same,
 * well-formed text. (The API refuses such text at the door; this catches what comes from services and Temporal.)
 */
function storable(value: string): string {
  return wellFormed(value.includes('\u0000') ? value.replaceAll('\u0000', '') : value);
}

function storableOrNull(value: string | null): string | null {
  return value === null ? null : storable(value);
}

/** A JSON value with every string in it, keys included, made {@link storable}. */
function storableJson<T>(value: T): T {
  return storableValue(value) as T;
}

function storableValue(value: unknown): unknown {
  if (typeof value === 'string') return storable(value);
  if (Array.isArray(value)) return value.map(storableValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [storable(key), storableValue(v)]));
  }
  return value;
}

/** jsonb arrives parsed; SQLite keeps JSON as text. */
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

export function toJobScheduleWrite(job: JobRecord): JobScheduleWrite {
  const definition = storableJson(job.definition);
  return {
    job_name: definition.name,
    service: definition.service,
    endpoint: definition.endpoint,
    method: definition.method,
    cron_expression: definition.cron,
    timezone: definition.timezone,
    enabled: definition.enabled,
    paused: job.paused,
    description: definition.description,
    payload: definition.payload,
    definition,
    pause_note: storableOrNull(job.pauseNote),
    created_at: isoTimestamp(job.createdAt),
    updated_at: isoTimestamp(job.updatedAt),
    next_run_times: job.times.nextRunTimes.map(isoTimestamp),
    skipped_runs: job.times.skipped,
    missed_runs: job.times.missed,
    schedule_updated_at: isoOrNull(job.scheduleUpdatedAt),
  };
}

export function fromJobScheduleRow(row: JobScheduleRow): JobRow {
  return {
    definition: parseJson(row.definition) as JobDefinition,
    paused: Boolean(row.paused),
    pauseNote: row.pause_note,
    times: {
      nextRunTimes: parseJson(row.next_run_times) as string[],
      skipped: Number(row.skipped_runs),
      missed: Number(row.missed_runs),
    },
    scheduleUpdatedAt: isoOrNull(row.schedule_updated_at),
    createdAt: isoTimestamp(row.created_at),
    updatedAt: isoTimestamp(row.updated_at),
    stats: {
      totalRuns: Number(row.total_runs),
      successfulRuns: Number(row.successful_runs),
      failedRuns: Number(row.failed_runs),
    },
    pruned: {
      totalRuns: Number(row.pruned_runs),
      successfulRuns: Number(row.pruned_successful_runs),
      failedRuns: Number(row.pruned_failed_runs),
    },
    lastExecution:
      row.last_execution_id === null || row.last_run_at === null
        ? null
        : {
            id: row.last_execution_id,
            status: row.last_status as ExecutionStatus,
            startedAt: isoTimestamp(row.last_run_at),
            completedAt: isoOrNull(row.last_completed_at),
          },
  };
}

export function toScheduledJobWrite(e: ExecutionRecord): ScheduledJobWrite {
  return {
    id: storable(e.id),
    job_name: storable(e.jobName),
    service: storable(e.service),
    status: e.status,
    trigger: e.trigger,
    triggered_by: storableOrNull(e.triggeredBy),
    retry_of: storableOrNull(e.retryOf),
    scheduled_at: isoOrNull(e.scheduledAt),
    started_at: isoTimestamp(e.startedAt),
    completed_at: isoOrNull(e.completedAt),
    duration_ms: e.durationMs,
    attempts: e.attempts,
    http_status: e.httpStatus,
    error: storableOrNull(e.error),
    response: storableOrNull(e.response),
    workflow_id: storable(e.workflowId),
    run_id: storableOrNull(e.runId),
    dropped_fields: e.droppedFields?.length ? e.droppedFields : null,
  };
}

export function fromScheduledJobRow(row: ScheduledJobRow): ExecutionRecord {
  return {
    id: row.id,
    jobName: row.job_name,
    service: row.service,
    status: row.status,
    trigger: row.trigger,
    triggeredBy: row.triggered_by,
    retryOf: row.retry_of,
    scheduledAt: isoOrNull(row.scheduled_at),
    startedAt: isoTimestamp(row.started_at),
    completedAt: isoOrNull(row.completed_at),
    durationMs: numberOrNull(row.duration_ms),
    attempts: Number(row.attempts),
    httpStatus: numberOrNull(row.http_status),
    error: row.error,
    response: row.response,
    workflowId: row.workflow_id,
    runId: row.run_id,
    ...droppedFieldsOf(row.dropped_fields),
  };
}

/** `droppedFields` only on a row written without some of its fields, so a whole row reads as it was written. */
function droppedFieldsOf(value: unknown): Pick<ExecutionRecord, 'droppedFields'> {
  const fields = value === null || value === undefined ? null : (parseJson(value) as DroppableField[] | null);
  return fields?.length ? { droppedFields: fields } : {};
}

/** The named arguments of a SQL function whose parameters are the columns prefixed `p_` (`record_execution`, `upsert_job`). */
export function toFunctionArgs(row: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([column, value]) => [`p_${column}`, value]));
}
