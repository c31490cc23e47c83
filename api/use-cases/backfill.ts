import type { Static } from '@sinclair/typebox';
import { countFires } from '../../jobs/fire-plan';
import { jobCron } from '../../jobs/spread';
import { scheduledWorkflowIdOf, scheduleIdOf } from '../../jobs/ids';
import type { JobDefinition } from '../../jobs/job';
import type { BackfillReply } from '../schemas/jobs';
import { startRun } from '../../temporal/runs';
import { scheduleMatchingTimes } from '../../temporal/schedules';
import { InvalidRequestError } from '../errors';
import type { Caller } from '../identity';
import { toExecutionView } from '../views';
import { loadJob, type UseCaseContext } from './context';

/** A backfill runs at most this many occurrences; a larger range is a 400. */
const MAX_BACKFILL = 500;

/**
 * `executions`: the runs started, as they stand at their start; `skipped`: the occurrences in the range that already
 * have a run (scheduled or backfilled), not run again.
 */
type BackfillResult = Static<typeof BackfillReply>;

/**
 * Runs each occurrence of the job's schedule in [from, to] (ISO-8601, both inclusive) once, with
 * `trigger: "backfill"`, paused or not: an admin asked for these occurrences. A backfilled run takes the id the
 * scheduled run of that occurrence has, so an occurrence that already ran is skipped.
 * @throws {@link JobNotFoundError} when the caller may not see the job.
 * @throws {@link InvalidRequestError} on `to` before `from` or in the future, on `from` for more than
 * {@link MAX_BACKFILL} occurrences.
 */
export async function backfillJob(
  ctx: UseCaseContext,
  name: string,
  range: { from: string; to: string },
  caller: Caller,
): Promise<BackfillResult> {
  const { job } = await loadJob(ctx, name, caller);
  const times = await occurrencesIn(ctx, name, job, new Date(range.from), new Date(range.to));
  const result: BackfillResult = { executions: [], skipped: [] };
  // Temporal refuses an id it still keeps; the mirror remembers runs past Temporal's retention too.
  const ids = times.map((time) => scheduledWorkflowIdOf(name, time));
  const mirrored = new Set((await ctx.store.getExecutions(ids)).map((e) => e.id));
  for (const [i, time] of times.entries()) {
    const workflowId = ids[i]!;
    const started =
      !mirrored.has(workflowId) &&
      (await startRun(ctx.client, ctx.taskQueue, {
        job,
        trigger: 'backfill',
        triggeredBy: caller.name,
        workflowId,
        rejectDuplicate: true,
      }));
    if (started) result.executions.push(toExecutionView(started, ctx.links));
    else result.skipped.push({ scheduledAt: time.toISOString(), executionId: workflowId });
  }
  return result;
}

/**
 * The occurrences in [from, to] of the job `name`'s schedule, as Temporal computes them from its spec.
 * @throws {@link InvalidRequestError} as {@link backfillJob} does.
 */
async function occurrencesIn(
  { client }: UseCaseContext,
  name: string,
  job: JobDefinition,
  from: Date,
  to: Date,
): Promise<Date[]> {
  if (to < from) throw new InvalidRequestError('to: must not be before from', 'to');
  if (to.getTime() > Date.now()) throw new InvalidRequestError('to: must not be in the future', 'to');
  const times = await scheduleMatchingTimes(client, scheduleIdOf(name), from, to, MAX_BACKFILL + 1);
  if (times.length > MAX_BACKFILL) {
    // counted by the plan the schedule follows: listing them all from Temporal takes a call per 1000
    const count = countFires(jobCron(job), job.timezone, from, to);
    throw new InvalidRequestError(
      `from: the range holds ${count} occurrences; at most ${MAX_BACKFILL} per backfill: split it`,
      'from',
    );
  }
  return times;
}
