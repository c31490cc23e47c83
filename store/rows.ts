/** The one mapping between the mirror's snake_case rows and our camelCase records, shared by every store. */
import type { AlertDeliveryRecord, AlertRecord, AlertRule, AlertRun } from '../jobs/alert';
import type { DroppableField, ExecutionRecord, ExecutionStatus, RecentRun, Trigger } from '../jobs/execution';
import type { JobDefinition, JsonObject } from '../jobs/job';
import type { RunSpan } from '../jobs/occurrences';
import { adminOfNote } from '../jobs/pause-note';
import { wellFormed } from '../jobs/text';
import type { JobRecord, JobRow, PauseChange, RetryRun, RunHealth } from './job-store';

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
  /** Temporal's note on the schedule, paused or not: the pause history takes it at each change. */
  schedule_note: string | null;
  created_at: string;
  updated_at: string;
  next_run_times: string[];
  skipped_runs: number;
  missed_runs: number;
  schedule_updated_at: string | null;
}

/** The `job_schedules` columns of a job's {@link RunHealth}, written by execution writes and recounts only. */
const HEALTH_COLUMNS = [
  'last_success_at',
  'last_failure_at',
  'consecutive_failures',
  'duration_p50_ms',
  'duration_p95_ms',
  'recent_runs',
] as const;

/** A job's {@link RunHealth} as its columns hold it (`recent_runs`: jsonb, or JSON text in SQLite; bigints as text). */
export interface HealthColumns {
  last_success_at: string | Date | null;
  last_failure_at: string | Date | null;
  consecutive_failures: number | string;
  duration_p50_ms: number | string | null;
  duration_p95_ms: number | string | null;
  /** `[{ id, status, started_at }]`, newest first. */
  recent_runs: unknown;
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
  'schedule_note',
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
  ...HEALTH_COLUMNS,
  'created_at',
  'updated_at',
].join(', ');

/** A `job_schedules` row as a driver returns it: PostgreSQL booleans, JSON and timestamps, or SQLite 0/1 and text. */
export interface JobScheduleRow extends HealthColumns {
  job_name: string;
  paused: boolean | number;
  definition: unknown;
  pause_note: string | null;
  schedule_note: string | null;
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
    schedule_note: storableOrNull(job.scheduleNote),
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
    scheduleNote: row.schedule_note,
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
    health: fromHealthColumns(row),
  };
}

/** A recent run as `recent_runs` keeps it. */
interface RecentRunColumns {
  id: string;
  status: ExecutionStatus;
  started_at: string;
}

function fromHealthColumns(row: HealthColumns): RunHealth {
  const recent = (parseJson(row.recent_runs) ?? []) as RecentRunColumns[];
  return {
    lastSuccessAt: isoOrNull(row.last_success_at),
    lastFailureAt: isoOrNull(row.last_failure_at),
    consecutiveFailures: Number(row.consecutive_failures),
    durations: { p50Ms: numberOrNull(row.duration_p50_ms), p95Ms: numberOrNull(row.duration_p95_ms) },
    recentRuns: recent.map((r): RecentRun => ({ id: r.id, status: r.status, startedAt: isoTimestamp(r.started_at) })),
  };
}

/** `recent_runs` of these rows (newest first), as the stores write it. */
export function toRecentRunsColumn(rows: readonly Pick<ScheduledJobWrite, 'id' | 'status' | 'started_at'>[]) {
  return rows.map(({ id, status, started_at }): RecentRunColumns => ({ id, status, started_at }));
}

/** A row of `scheduled_jobs` as a retry (`retry_of` set) is read for {@link RetryRun}. */
export interface RetryRunRow {
  id: string;
  status: ExecutionStatus;
  started_at: string | Date;
  retry_of: string;
}

/** The columns {@link RetryRunRow} reads. */
export const RETRY_RUN_COLUMNS = 'id, status, started_at, retry_of';

export function fromRetryRunRow(row: RetryRunRow): RetryRun {
  return { id: row.id, status: row.status, startedAt: isoTimestamp(row.started_at), retryOf: row.retry_of };
}

/** The columns {@link fromRunSpanRow} reads: a run without its payload or free text. */
export const RUN_SPAN_COLUMNS = 'id, trigger, triggered_by, retry_of, status, scheduled_at, started_at, completed_at';

export type RunSpanRow = Pick<
  ScheduledJobRow,
  'id' | 'trigger' | 'triggered_by' | 'retry_of' | 'status' | 'scheduled_at' | 'started_at' | 'completed_at'
>;

export function fromRunSpanRow(row: RunSpanRow): RunSpan {
  return {
    id: row.id,
    trigger: row.trigger,
    triggeredBy: row.triggered_by,
    retryOf: row.retry_of,
    status: row.status,
    scheduledAt: isoOrNull(row.scheduled_at),
    startedAt: isoTimestamp(row.started_at),
    completedAt: isoOrNull(row.completed_at),
  };
}

/**
 * A row of `job_pause_history`, which triggers on `job_schedules` (the memory store: its upsert) write at each change
 * of whether the job runs (`paused` here is `paused || !enabled` of the job's row).
 */
export interface PauseChangeRow {
  at: string | Date;
  paused: boolean | number;
  /** The change came from the service's `enabled`, not from a pause in Temporal (an admin's, or another's). */
  by_service: boolean | number;
  note: string | null;
}

/** The columns {@link PauseChangeRow} reads. */
export const PAUSE_CHANGE_COLUMNS = 'at, paused, by_service, note';

/** Who made a change: `service`, else the admin its note names (jobs/pause-note.ts), else null. */
export function fromPauseChangeRow(row: PauseChangeRow): PauseChange {
  return {
    at: isoTimestamp(row.at),
    paused: Boolean(row.paused),
    by: row.by_service ? 'service' : adminOfNote(row.note),
    note: row.note,
  };
}

/** A row of `job_alerts` as written (jsonb columns as values; SQLite stores them as JSON text). */
export interface JobAlertWrite {
  id: string;
  job_name: string;
  service: string;
  rule: AlertRule;
  state: AlertRecord['state'];
  summary: string;
  opened_at: string;
  resolved_at: string | null;
  runs: AlertRun[];
  deliveries: AlertDeliveryRecord[];
  updated_at: string;
}

/** A row of `job_alerts` as read: timestamps as PostgREST or SQLite answer them, JSON parsed or as text. */
export interface JobAlertRow extends Omit<
  JobAlertWrite,
  'rule' | 'runs' | 'deliveries' | 'opened_at' | 'resolved_at' | 'updated_at'
> {
  rule: unknown;
  runs: unknown;
  deliveries: unknown;
  opened_at: string | Date;
  resolved_at: string | Date | null;
  updated_at: string | Date;
}

export function toJobAlertWrite(alert: AlertRecord): JobAlertWrite {
  return {
    id: storable(alert.id),
    job_name: storable(alert.jobName),
    service: storable(alert.service),
    rule: storableJson(alert.rule),
    state: alert.state,
    summary: storable(alert.summary),
    opened_at: isoTimestamp(alert.openedAt),
    resolved_at: isoOrNull(alert.resolvedAt),
    runs: storableJson(alert.runs).map((run) => ({
      ...run,
      scheduledAt: isoOrNull(run.scheduledAt),
      startedAt: isoOrNull(run.startedAt),
    })),
    deliveries: storableJson(alert.deliveries).map((d) => ({ ...d, at: isoTimestamp(d.at) })),
    updated_at: isoTimestamp(alert.updatedAt),
  };
}

export function fromJobAlertRow(row: JobAlertRow): AlertRecord {
  return {
    id: row.id,
    jobName: row.job_name,
    service: row.service,
    rule: parseJson(row.rule) as AlertRule,
    state: row.state,
    summary: row.summary,
    openedAt: isoTimestamp(row.opened_at),
    resolvedAt: isoOrNull(row.resolved_at),
    runs: parseJson(row.runs) as AlertRun[],
    deliveries: parseJson(row.deliveries) as AlertDeliveryRecord[],
    updatedAt: isoTimestamp(row.updated_at),
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

/** Oldest first, as a run's `retriedBy` lists its retries: by `startedAt` (ISO-8601 UTC), then `id`. */
export function oldestRetryFirst(a: RetryRun, b: RetryRun): number {
  if (a.startedAt !== b.startedAt) return a.startedAt < b.startedAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
