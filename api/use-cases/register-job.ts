import { ScheduleAlreadyRunning, type ScheduleDescription, type ScheduleHandle } from '@temporalio/client';
import { sameDefinition, type JobDefinition, type JobRegistration } from '../../jobs/job';
import type { JobView } from '../schemas/jobs';
import { InvalidJobError, normalizeJob } from '../../jobs/validate';
import type { JobRecord } from '../../store/job-store';
import { createdJobRow } from '../../temporal/mirror';
import {
  definitionOfAction,
  followsPlan,
  stateToApply,
  toScheduleOptions,
  type ScheduleState,
} from '../../temporal/schedule-options';
import { ForbiddenError, JobConflictError } from '../errors';
import { mayActFor, type Caller } from '../identity';
import { jobRowOfSchedule, writeJobRow, type UseCaseContext } from './context';

/** What registering a job did to its schedule: an identical repeat changes nothing in Temporal. */
export type RegisterStatus = 'created' | 'updated' | 'unchanged';

/**
 * Registers one job (`POST /api/jobs/register`): creates or updates its schedule, then its mirror row.
 * @throws {@link InvalidJobError} when the registration, or Temporal, rejects a field.
 * @throws {@link ForbiddenError} when the caller may not act for the job's service.
 * @throws {@link JobConflictError} when the name is another service's job.
 */
export async function registerJob(
  ctx: UseCaseContext,
  body: JobRegistration,
  caller: Caller,
): Promise<{ status: RegisterStatus; job: JobView }> {
  const job = normalizeJob(body, ctx.services, ctx.alerts.destinations);
  if (!mayActFor(caller, job.service)) throw new ForbiddenError('service: a service may only register its own jobs');
  return applyJob(ctx, job);
}

/**
 * Creates or updates the schedule of one validated job, writes its mirror row, then begins handing its alert watch
 * the rules without waiting (a failed hand-over is mended by the reconciler's next pass).
 * @throws {@link InvalidJobError} on `cron` or `timezone` when Temporal rejects the spec.
 * @throws {@link JobConflictError} when the name is another service's job, or a schedule that is not a job.
 */
export async function applyJob(
  ctx: UseCaseContext,
  job: JobDefinition,
): Promise<{ status: RegisterStatus; job: JobView }> {
  const { client, taskQueue } = ctx;
  const options = toScheduleOptions(job, taskQueue);
  let outcome: [RegisterStatus, JobRecord];
  try {
    await client.schedule.create(options);
    outcome = ['created', createdJobRow(job)];
  } catch (err) {
    if (err instanceof TypeError) throw specError(err);
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    outcome = await update(ctx, client.schedule.getHandle(options.scheduleId), job).catch((e: unknown) => {
      throw e instanceof TypeError ? specError(e) : e;
    });
  }
  const [status, row] = outcome;
  const view = await writeJobRow(ctx, row);
  // a new or changed job's watch takes its rules (starting it) after the answer: its start costs workflow tasks the
  // caller need not wait for (docs/performance.md)
  if (status !== 'unchanged') ctx.watch?.rulesChangedLater(job);
  return { status, job: view };
}

/**
 * What registering `job` over the schedule `before` describes would change: null for nothing, else the state to
 * apply (null to keep it). The schedule is paused while the job's service has it disabled or an admin has paused
 * it: an admin's pause and note survive every registration, `enabled` is the service's to change.
 * @throws {@link JobConflictError} on `field` (the job's name where the request has it) when the schedule is another
 * service's job, or not a job.
 */
export function changeOf(
  { taskQueue }: UseCaseContext,
  before: ScheduleDescription,
  job: JobDefinition,
  field = 'name',
): { state: ScheduleState | null } | null {
  const current = definitionOfAction(before.action);
  if (!current || current.service !== job.service) throw new JobConflictError(job.name, field);
  const sameQueue = before.action.type === 'startWorkflow' && before.action.taskQueue === taskQueue;
  const state = stateToApply(before.state, current, job);
  // a schedule made before the plan of today (another horizon, or the cron handed to Temporal as written) is replanned
  if (sameQueue && !state && sameDefinition(current, job) && followsPlan(before.spec, job)) return null;
  return { state };
}

/** Replaces a changed definition; @returns the outcome and the schedule's mirror row after it. */
async function update(
  ctx: UseCaseContext,
  handle: ScheduleHandle,
  job: JobDefinition,
): Promise<[RegisterStatus, JobRecord]> {
  const before = await handle.describe();
  const change = changeOf(ctx, before, job);
  if (!change) return ['unchanged', jobRowOfSchedule(before)];
  const { spec, action, policies } = toScheduleOptions(job, ctx.taskQueue);
  await handle.update((prev) => ({
    ...prev,
    spec,
    action,
    policies,
    state: change.state ? { ...prev.state, ...change.state } : prev.state,
  }));
  return ['updated', jobRowOfSchedule(await handle.describe())];
}

/** Temporal's own verdict on a spec, e.g. `Minute is not in range [0-59]` or `unknown time zone Mars/Olympus`. */
function specError(err: TypeError): InvalidJobError {
  return new InvalidJobError(
    /time ?zone/i.test(err.message) ? 'timezone' : 'cron',
    `rejected by Temporal: ${err.message}`,
  );
}
