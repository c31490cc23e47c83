import { randomUUID } from 'node:crypto';
import { scheduleIdOf, startedWorkflowIdOf } from '../../jobs/ids';
import type { JsonObject } from '../../jobs/job';
import type { ExecutionView } from '../schemas/executions';
import type { JobView } from '../schemas/jobs';
import { adminPauseNote } from '../../jobs/pause-note';
import { checkPayload } from '../../jobs/validate';
import { startRun } from '../../temporal/runs';
import { adminPausedOf, DISABLED_NOTE } from '../../temporal/schedule-options';
import { JobDisabledError } from '../errors';
import type { Caller } from '../identity';
import { toExecutionView } from '../views';
import { deleteJob, jobRowOfSchedule, loadJob, writeJobRow, type UseCaseContext } from './context';

/**
 * An admin's pause or resume, with the admin's note (`pauseNote: "paused by alice: <note>"`). Resuming a job its
 * service has disabled lifts the admin's pause only: the job stays paused in Temporal until its service registers it
 * with `enabled: true`.
 * @throws {@link JobNotFoundError} when the caller may not see the job.
 * @throws {@link JobDisabledError} on resuming a disabled job no admin has paused: nothing to resume.
 */
export async function setPaused(
  ctx: UseCaseContext,
  name: string,
  paused: boolean,
  note: string,
  caller: Caller,
): Promise<JobView> {
  const { job, schedule } = await loadJob(ctx, name, caller);
  const handle = ctx.client.schedule.getHandle(scheduleIdOf(name));
  const text = adminPauseNote(paused, caller.name, note);
  if (paused) await handle.pause(text);
  else if (job.enabled) await handle.unpause(text);
  else if (adminPausedOf(job, schedule.state)) await handle.pause(DISABLED_NOTE);
  else throw new JobDisabledError(job);
  return writeJobRow(ctx, jobRowOfSchedule(await handle.describe()));
}

/**
 * Runs the job now, under a unique id; `payload` replaces the registered one for this run only.
 * @returns the run as it stands at its start.
 * @throws {@link JobNotFoundError} when the caller may not see the job.
 * @throws {@link InvalidJobError} on `payload` when the job's method takes none.
 */
export async function triggerJob(
  ctx: UseCaseContext,
  name: string,
  options: { payload?: JsonObject },
  caller: Caller,
): Promise<ExecutionView> {
  const { job } = await loadJob(ctx, name, caller);
  if (options.payload) checkPayload(options.payload, job.method);
  const execution = await startRun(ctx.client, ctx.taskQueue, {
    job: options.payload ? { ...job, payload: options.payload } : job,
    trigger: 'manual',
    triggeredBy: caller.name,
    workflowId: startedWorkflowIdOf(job.name, 'manual', randomUUID()),
  });
  return toExecutionView(execution!, ctx.links);
}

/**
 * Deletes a job for a caller who may see it (`DELETE /api/jobs/:name`).
 * @throws {@link JobNotFoundError} when the caller may not see the job.
 */
export async function removeJob(ctx: UseCaseContext, name: string, caller: Caller): Promise<void> {
  await loadJob(ctx, name, caller);
  await deleteJob(ctx, name);
}
