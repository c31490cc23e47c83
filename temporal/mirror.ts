import { isDeepStrictEqual } from 'node:util';
import {
  WorkflowNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleSummary,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { startedExecution, type ExecutionRecord, type ExecutionStatus, type Trigger } from '../jobs/execution';
import { nominalTimeOf, scheduleIdOf } from '../jobs/ids';
import { sameDefinition, type JobDefinition } from '../jobs/job';
import { NO_TIMES, type JobRecord, type JobStore, type ScheduleTimes } from '../store/job-store';
import { fetchRunHistory } from './runs';
import { adminPausedOf, definitionOfAction, DISABLED_NOTE, followsPlan } from './schedule-options';
import { describeSchedule } from './schedules';
import { JOB_NAME, JOB_SERVICE, JOB_TRIGGER } from './search-attributes';
import { ActivityType, WorkflowType } from '../jobs/workflow-types';

/*
 * The mirror follows Temporal. Temporal is the source of truth; the store's rows (`job_schedules`, `scheduled_jobs`)
 * are a mirror for reading, each one what Temporal said at some moment. This file is the one place that says which
 * row a piece of Temporal state gives, and when a row is behind and written again.
 *
 * A job's row is its schedule's description (jobRowOf): the definition the schedule's action carries, whether an
 * admin paused it and with what note, the next action times and the skipped and missed counts. The API writes it
 * after each change it makes in Temporal; a read that finds its next run times passed has it rewritten (refreshJobRow);
 * the reconciler mends what was changed in Temporal itself (mendJobRow). A schedule found gone takes its row along.
 * Each write whose row runs where the last did not, or the reverse, records a pause change in the store (the pause
 * history), with the schedule's note: who paused or resumed is read from it (jobs/pause-note.ts).
 *
 * A run's row is its execution record. The run writes it itself, at its start and at its end (workflows/run-job.ts,
 * through activities/mirror.ts's `recordExecution`), and ends with the end record as its result or its failure's
 * details, so a lost row comes back from history whole (fetchRecordedRunRow). Temporal's description or listing of a
 * run gives the row where the run's own is missing (runRowOf). A row's end is final: a row is behind only while it is
 * missing, or still `running` after Temporal ended the run; the reconciler writes such a row again (mendRunRow).
 */

// ---------------------------------------------------------------- jobs

/**
 * A job's mirror row as its schedule in Temporal says, definition included (the action carries it); null for a
 * schedule that is not a job's. Temporal lists up to 10 next action times: the row keeps them all, so it stays useful
 * as they pass.
 */
export function jobRowOf(schedule: ScheduleDescription): JobRecord | null {
  const job = definitionOfAction(schedule.action);
  if (!job) return null;
  const updatedAt = (schedule.info.lastUpdatedAt ?? schedule.info.createdAt).toISOString();
  const paused = adminPausedOf(job, schedule.state);
  return {
    definition: job,
    paused,
    pauseNote: paused ? (schedule.state.note ?? '') : null,
    scheduleNote: schedule.state.note || null,
    times: {
      nextRunTimes: schedule.info.nextActionTimes.map((t) => t.toISOString()),
      skipped: schedule.info.numActionsSkippedOverlap,
      missed: schedule.info.numActionsMissedCatchupWindow,
    },
    createdAt: schedule.info.createdAt.toISOString(),
    updatedAt,
    scheduleUpdatedAt: updatedAt,
  };
}

/**
 * The row of a schedule just created, without describing it: Temporal computes the first run times asynchronously,
 * and describing at once would wait for them and cost a second round trip on every registration. The first read of
 * the job refreshes the row with them; `scheduleUpdatedAt` null lets any row read from Temporal replace this one.
 */
export function createdJobRow(job: JobDefinition, now = new Date()): JobRecord {
  const at = now.toISOString();
  return {
    definition: job,
    paused: false,
    pauseNote: null,
    scheduleNote: job.enabled ? null : DISABLED_NOTE,
    times: NO_TIMES,
    createdAt: at,
    updatedAt: at,
    scheduleUpdatedAt: null,
  };
}

/**
 * Rewrites a job's row from its schedule as Temporal describes it now. A schedule found gone was deleted in Temporal
 * itself: its row goes too, as the reconciler would do.
 */
export async function refreshJobRow(client: Client, store: JobStore, name: string): Promise<void> {
  const schedule = await describeSchedule(client, scheduleIdOf(name));
  const row = schedule && jobRowOf(schedule);
  await (row ? store.upsertJob(row) : store.deleteJob(name));
}

/**
 * How a job's row differed from its schedule: `repaired` when its definition, pause or note did (changed in Temporal
 * itself, or a write that never landed); `refreshed` when only next run times and counts did (they move on by
 * themselves).
 */
type JobRowChange = 'unchanged' | 'refreshed' | 'repaired';

/**
 * Writes the row a job's schedule gives when the store's row differs from it, as the reconciler does over every job.
 * @returns the job's name and how its row differed; null for a schedule that is not a job's (nothing written).
 */
export async function mendJobRow(
  store: JobStore,
  schedule: ScheduleDescription,
): Promise<{ name: string; change: JobRowChange; grew: CountersGrowth | null } | null> {
  const wanted = jobRowOf(schedule);
  if (!wanted) return null;
  const name = wanted.definition.name;
  const row = await store.getJob(name);
  const change: JobRowChange =
    !row ||
    !sameDefinition(row.definition, wanted.definition) ||
    row.paused !== wanted.paused ||
    row.pauseNote !== wanted.pauseNote
      ? 'repaired'
      : isDeepStrictEqual(row.times, wanted.times)
        ? 'unchanged'
        : 'refreshed';
  if (change !== 'unchanged') await store.upsertJob(wanted);
  return { name, change, grew: row ? countersGrowth(row.times, wanted.times) : null };
}

/**
 * Why a schedule's listing says its row may be behind, so that an incremental reconciler pass describes it:
 * - `unmirrored`: no row, or a row written at creation, before Temporal was asked;
 * - `state`: paused or not, or the note, differs from the row (paused or resumed in Temporal itself, or a schedule
 *   running although its service disabled the job);
 * - `plan`: the spec is not the plan of today (edited in Temporal itself, or its horizon moved on: replanned);
 * - `times`: the next action times do not continue the row's (the spec or jitter changed, or the row's times ran out);
 * - `occurrences`: a time the row had as next came and the listing's recent actions show no start for it (skipped by
 *   overlap, missed past the catch-up window, still buffered, or more came than the listing's 5 recent actions show):
 *   Temporal's skipped or missed counters may have grown, which only a description gives.
 * A paused schedule (as its row says it should be) is compared by state and plan only: it starts and counts nothing.
 */
export type ListingDifference = 'unmirrored' | 'state' | 'plan' | 'times' | 'occurrences';

/**
 * How a schedule as listed (visibility: eventually consistent, 5 recent actions and 5 next times, no action arguments
 * and no counters) differs from its job's mirror row, or null when the listing shows nothing the row does not already
 * say. What a listing never shows (the action's arguments; a counter grown by a trigger or backfill) is left to the
 * reconciler's rolling slice.
 */
export function listingDiffers(summary: ScheduleSummary, row: JobRecord | undefined): ListingDifference | null {
  if (!row?.scheduleUpdatedAt) return 'unmirrored';
  const job = row.definition;
  // the schedule runs only while its service has the job enabled and no admin paused it (adminPausedOf)
  const paused = row.paused || !job.enabled;
  if (summary.state.paused !== paused || (summary.state.note || null) !== row.scheduleNote) return 'state';
  try {
    if (!summary.spec || !followsPlan(summary.spec, job)) return 'plan';
  } catch {
    return 'plan'; // a cron no longer in the dialect: describing tells the pass what to report
  }
  // a paused schedule starts nothing and counts nothing as skipped or missed: its times moving on change no row
  if (paused) return null;
  const known = row.times.nextRunTimes;
  const listed = summary.info.nextActionTimes.map((t) => t.toISOString());
  if (listed.length === 0) return known.length === 0 ? null : 'times';
  const came = known.indexOf(listed[0]!);
  if (came < 0 || listed.some((t, i) => came + i < known.length && known[came + i] !== t)) return 'times';
  const started = new Set(summary.info.recentActions.map((a) => a.scheduledAt.toISOString()));
  return known.slice(0, came).every((t) => started.has(t)) ? null : 'occurrences';
}

/** Temporal's counters of a schedule that grew between two readings: the later and the earlier. */
export interface CountersGrowth {
  skipped: number;
  missed: number;
  previous: { skipped: number; missed: number };
}

function countersGrowth(before: ScheduleTimes, after: ScheduleTimes): CountersGrowth | null {
  if (after.skipped <= before.skipped && after.missed <= before.missed) return null;
  return { skipped: after.skipped, missed: after.missed, previous: { skipped: before.skipped, missed: before.missed } };
}

// ---------------------------------------------------------------- runs

const STATUS_OF: Record<string, ExecutionStatus> = {
  RUNNING: 'running',
  COMPLETED: 'succeeded',
  FAILED: 'failed',
  TIMED_OUT: 'timed_out',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
};

/**
 * A run's row as Temporal describes it (a workflow description, or a visibility listing entry): for a run whose own
 * row is missing or behind. Null for a workflow that is not a `runJob` run of ours.
 */
export function runRowOf(d: Omit<WorkflowExecutionInfo, 'raw'>): ExecutionRecord | null {
  const jobName = d.typedSearchAttributes.get(JOB_NAME);
  const service = d.typedSearchAttributes.get(JOB_SERVICE);
  if (d.type !== WorkflowType.runJob || !jobName || !service) return null;
  const memo = (d.memo ?? {}) as { triggeredBy?: string; retryOf?: string | null };
  const completedAt = d.closeTime ?? null;
  const startedAt = d.startTime.toISOString();
  return {
    ...startedExecution({
      id: d.workflowId,
      jobName,
      service,
      trigger: (d.typedSearchAttributes.get(JOB_TRIGGER) ?? 'schedule') as Trigger,
      triggeredBy: memo.triggeredBy ?? null,
      retryOf: memo.retryOf ?? null,
      scheduledAt: nominalTimeOf(d.workflowId) ?? startedAt,
      startedAt,
      runId: d.runId,
    }),
    status: STATUS_OF[d.status.name] ?? 'running',
    completedAt: completedAt?.toISOString() ?? null,
    durationMs: completedAt ? completedAt.getTime() - d.startTime.getTime() : null,
    error: d.status.name === 'TERMINATED' ? 'terminated in Temporal' : null,
  };
}

/** Describes a run and answers its row ({@link runRowOf}); null when Temporal has no such run of ours. */
export async function fetchRunRow(client: Client, workflowId: string): Promise<ExecutionRecord | null> {
  let d: WorkflowExecutionDescription;
  try {
    d = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  return runRowOf(d);
}

/**
 * A run's status: its row's end where the row has one (final even while the workflow is still closing), else
 * Temporal's (a row stuck at `running`, say of a run terminated from Temporal Web, defers to Temporal).
 */
export async function fetchRunStatus(client: Client, row: ExecutionRecord): Promise<ExecutionStatus> {
  if (row.status !== 'running') return row.status;
  return (await fetchRunRow(client, row.id))?.status ?? 'running';
}

/** The row of a run still `running` in the mirror that Temporal no longer knows at all. */
export const vanishedRunRow = (row: ExecutionRecord): ExecutionRecord => ({
  ...row,
  status: 'terminated',
  error: 'no longer known to Temporal',
});

/**
 * The last execution record a run handed to its mirror, read from the run's history: what the mirror would hold had
 * every write landed. That is the run's result or its failure's details (runs that write their end row in place),
 * else the input of the `mirrorExecution` child it handed its end row to or of its last `recordExecution` activity
 * (earlier runs). Null when the history has none (or is gone).
 */
async function fetchRecordedRunRow(client: Client, workflowId: string): Promise<ExecutionRecord | null> {
  for (const event of [...((await fetchRunHistory(client, workflowId)) ?? [])].reverse()) {
    const activity = event.activityTaskScheduledEventAttributes;
    const child = event.startChildWorkflowExecutionInitiatedEventAttributes;
    const payload =
      event.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0] ??
      event.workflowExecutionFailedEventAttributes?.failure?.applicationFailureInfo?.details?.payloads?.[0] ??
      (activity?.activityType?.name === ActivityType.recordExecution
        ? activity.input?.payloads?.[0]
        : child?.workflowType?.name === WorkflowType.mirrorExecution
          ? child.input?.payloads?.[0]
          : undefined);
    const record = payload && defaultPayloadConverter.fromPayload<ExecutionRecord | undefined>(payload);
    // an earlier run ended with no result (null), or failed with no details
    if (record && typeof record === 'object' && record.id === workflowId) return record;
  }
  return null;
}

/** Whether a run's row is behind the run: missing, or still `running` after Temporal ended the run. */
const isRunRowBehind = (row: ExecutionRecord | null, run: ExecutionRecord): boolean =>
  !row || (row.status === 'running' && run.status !== 'running');

/**
 * Writes a run's row again when it is behind ({@link isRunRowBehind}) the run as Temporal has it (`run`): the run's
 * own last record where its history has one (attempts, status code, error), else the row, else Temporal's; ended as
 * Temporal says. @returns whether it wrote the row.
 */
export async function mendRunRow(
  client: Client,
  store: JobStore,
  run: ExecutionRecord,
  row: ExecutionRecord | null,
): Promise<boolean> {
  if (!isRunRowBehind(row, run)) return false;
  await store.recordExecution(await fetchRestoredRunRow(client, run, row));
  return true;
}

async function fetchRestoredRunRow(
  client: Client,
  run: ExecutionRecord,
  row: ExecutionRecord | null,
): Promise<ExecutionRecord> {
  const base = (await fetchRecordedRunRow(client, run.id)) ?? row ?? run;
  if (base.status !== 'running' || run.status === 'running') return base;
  const completedAt = run.completedAt ?? new Date().toISOString();
  return {
    ...base,
    status: run.status,
    completedAt,
    durationMs: run.durationMs ?? Date.parse(completedAt) - Date.parse(base.startedAt),
    error: base.error ?? run.error,
  };
}
