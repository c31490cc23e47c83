import type { ScheduleDescription, ScheduleOptions } from '@temporalio/client';
import type { JobRecord } from '../store/job-store';
import { runIdBaseOf, scheduleIdOf } from '../jobs/ids';
import type { JobDefinition } from '../jobs/job';
import type { RunJobInput } from '../jobs/run-input';
import { JOB_NAME, JOB_SERVICE, JOB_TRIGGER } from './search-attributes';

/** A job as a Temporal Schedule: its cron, timezone, jitter, overlap policy and catch-up window (SPEC §2). */
export function toScheduleOptions(job: JobDefinition, taskQueue: string): ScheduleOptions {
  const input: RunJobInput = { job, trigger: 'schedule', triggeredBy: null, retryOf: null };
  return {
    scheduleId: scheduleIdOf(job.name),
    spec: {
      cronExpressions: [job.cron],
      timezone: job.timezone,
      ...(job.jitterSeconds > 0 ? { jitter: `${job.jitterSeconds}s` } : {}),
    },
    action: {
      type: 'startWorkflow',
      workflowType: 'runJob',
      taskQueue,
      workflowId: runIdBaseOf(job.name),
      args: [input],
      typedSearchAttributes: runSearchAttributes(job, 'schedule'),
    },
    policies: {
      overlap: job.overlap.toUpperCase() as Uppercase<JobDefinition['overlap']>,
      catchupWindow: `${job.catchupWindowSeconds}s`,
      pauseOnFailure: false,
    },
    state: { paused: !job.enabled, note: job.enabled ? 'registered' : 'registered disabled (enabled: false)' },
    typedSearchAttributes: [
      { key: JOB_NAME, value: job.name },
      { key: JOB_SERVICE, value: job.service },
    ],
  };
}

/** Every job's schedule id starts so; other schedules in the namespace are not ours. */
export const JOB_SCHEDULE_PREFIX = scheduleIdOf('');

export const runSearchAttributes = (job: JobDefinition, trigger: RunJobInput['trigger']) => [
  { key: JOB_NAME, value: job.name },
  { key: JOB_SERVICE, value: job.service },
  { key: JOB_TRIGGER, value: trigger },
];

/** The definition a schedule carries, or null for a schedule that is not one of our jobs. */
export function definitionOfAction(action: {
  type: string;
  workflowType?: string;
  args?: readonly unknown[];
}): JobDefinition | null {
  if (action.type !== 'startWorkflow' || action.workflowType !== 'runJob') return null;
  const input = action.args?.[0] as Partial<RunJobInput> | undefined;
  return input?.job ?? null;
}

/**
 * A job's mirror row as its schedule in Temporal says, definition included (the action carries it); null for a
 * schedule that is not a job's. Temporal lists up to 10 next action times: the row keeps them all, so it stays useful
 * as they pass.
 */
export function jobRecordOf(schedule: ScheduleDescription): JobRecord | null {
  const job = definitionOfAction(schedule.action);
  if (!job) return null;
  const updatedAt = (schedule.info.lastUpdatedAt ?? schedule.info.createdAt).toISOString();
  return {
    definition: job,
    enabled: !schedule.state.paused,
    pauseNote: schedule.state.note ?? null,
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
