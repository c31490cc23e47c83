/** Temporal identifiers derived from job names. Temporal appends each scheduled run's nominal time
 * (`-2026-11-30T08:00:00Z`) to the workflow id base, which makes a scheduled run's workflow id unique per occurrence.
 * A workflow id names a run for good; Temporal's run id names one execution of it (`runId` on a row). */
export const scheduleIdOf = (jobName: string) => `job-${jobName}`;
export const workflowIdBaseOf = (jobName: string) => `job-run-${jobName}`;
export const jobNameOfScheduleId = (scheduleId: string) => scheduleId.replace(/^job-/, '');

/** Runs we start ourselves carry their trigger and a unique suffix, so two in one second never collide. */
export const startedWorkflowIdOf = (jobName: string, trigger: string, unique: string) =>
  `${workflowIdBaseOf(jobName)}-${trigger}-${unique}`;

/** The workflow id Temporal gives the scheduled run of one occurrence; a backfill of that occurrence takes the same. */
export const scheduledWorkflowIdOf = (jobName: string, nominalTime: Date) =>
  `${workflowIdBaseOf(jobName)}-${nominalTime.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;

/** The nominal time that Temporal (and our backfill) appends to a run's workflow id, e.g. `…-2026-11-30T08:00:00Z`. */
export function nominalTimeOf(workflowId: string): string | null {
  const suffix = /-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)$/.exec(workflowId)?.[1];
  return suffix ? new Date(suffix).toISOString() : null;
}

/** The task queue of the mirror writes: a bulkhead beside the run's own queue. */
export const mirrorTaskQueueOf = (taskQueue: string) => `${taskQueue}-mirror`;

/** The workflow id of a job's alert watch (workflows/watch-job.ts): one per job. */
export const watchWorkflowIdOf = (jobName: string) => `job-watch-${jobName}`;

/** The task queue of the alert watches, beside the runs' own: served by the processes that serve the API. */
export const alertsTaskQueueOf = (taskQueue: string) => `${taskQueue}-alerts`;
