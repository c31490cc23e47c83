import type { ScheduleDescription } from '@temporalio/client';
import { scheduleIdOf } from '../jobs/ids';
import type { ExecutionRecord } from '../jobs/execution';
import type { JobDefinition } from '../jobs/job';
import type { ExecutionView, JobView } from '../jobs/schema';
import type { JobRow } from '../store/job-store';
import type { TemporalLinks } from '../temporal/links';

const NO_STATS = Object.freeze({ totalRuns: 0, successfulRuns: 0, failedRuns: 0 });
const MAX_NEXT_RUN_TIMES = 5;

/** What Temporal says of a schedule, as far as a job view needs it. */
export interface ScheduleState {
  paused: boolean;
  note: string | null;
  nextRunTimes: Date[];
  createdAt: Date;
  updatedAt: Date;
  /** Occurrences skipped by the overlap policy. */
  skipped: number;
  /** Occurrences missed for longer than the catch-up window (the scheduler was down), skipped too. */
  missed: number;
}

export function scheduleStateOf(schedule: ScheduleDescription): ScheduleState {
  return {
    paused: schedule.state.paused,
    note: schedule.state.note ?? null,
    nextRunTimes: schedule.info.nextActionTimes,
    createdAt: schedule.info.createdAt,
    updatedAt: schedule.info.lastUpdatedAt ?? schedule.info.createdAt,
    skipped: schedule.info.numActionsSkippedOverlap,
    missed: schedule.info.numActionsMissedCatchupWindow,
  };
}

/** A job as Temporal knows it (definition, state, next times) plus what the mirror counted. */
export function toJobView(job: JobDefinition, state: ScheduleState, row: JobRow | null, links: TemporalLinks): JobView {
  const scheduleId = scheduleIdOf(job.name);
  return {
    ...job,
    paused: state.paused,
    pauseNote: state.note,
    nextRunTimes: state.nextRunTimes.slice(0, MAX_NEXT_RUN_TIMES).map((t) => t.toISOString()),
    lastExecution: row?.lastExecution ?? null,
    stats: { ...(row?.stats ?? NO_STATS), skipped: state.skipped, missed: state.missed },
    createdAt: state.createdAt.toISOString(),
    updatedAt: state.updatedAt.toISOString(),
    temporal: { scheduleId, url: links.schedule(scheduleId) },
  };
}

export function toExecutionView(execution: ExecutionRecord, links: TemporalLinks): ExecutionView {
  return { ...execution, temporal: { url: links.workflow(execution.workflowId, execution.runId) } };
}
