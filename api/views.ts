import type { ScheduleDescription } from '@temporalio/client';
import { scheduleIdOf } from '../jobs/ids';
import type { ExecutionRecord } from '../jobs/execution';
import type { JobDefinition } from '../jobs/job';
import type { ExecutionView, JobView } from '../jobs/schema';
import type { JobRow } from '../store/job-store';
import type { TemporalLinks } from './temporal';

const NO_STATS = Object.freeze({ totalRuns: 0, successfulRuns: 0, failedRuns: 0 });
const MAX_NEXT_RUN_TIMES = 5;

/** A job as Temporal knows it (definition, state, next times) plus what the mirror counted. */
export function toJobView(
  job: JobDefinition,
  schedule: ScheduleDescription,
  row: JobRow | null,
  links: TemporalLinks,
): JobView {
  const scheduleId = scheduleIdOf(job.name);
  return {
    ...job,
    paused: schedule.state.paused,
    pauseNote: schedule.state.note ?? null,
    nextRunTimes: schedule.info.nextActionTimes.slice(0, MAX_NEXT_RUN_TIMES).map((t) => t.toISOString()),
    lastExecution: row?.lastExecution ?? null,
    stats: row?.stats ?? { ...NO_STATS },
    createdAt: schedule.info.createdAt.toISOString(),
    updatedAt: (schedule.info.lastUpdatedAt ?? schedule.info.createdAt).toISOString(),
    temporal: { scheduleId, url: links.schedule(scheduleId) },
  };
}

export function toExecutionView(execution: ExecutionRecord, links: TemporalLinks): ExecutionView {
  return { ...execution, temporal: { url: links.workflow(execution.workflowId, execution.runId) } };
}
