/** Temporal identifiers derived from job names. Temporal appends each scheduled run's nominal time
 * (`-2026-11-30T08:00:00Z`) to the run base, which makes a scheduled run's id unique per occurrence. */
export const scheduleIdOf = (jobName: string) => `job-${jobName}`;
export const runIdBaseOf = (jobName: string) => `job-run-${jobName}`;
export const jobNameOfScheduleId = (scheduleId: string) => scheduleId.replace(/^job-/, '');

/** Runs we start ourselves carry their trigger and a unique suffix, so two in one second never collide. */
export const startedRunIdOf = (jobName: string, trigger: string, unique: string) =>
  `${runIdBaseOf(jobName)}-${trigger}-${unique}`;
