import type { Static } from '@sinclair/typebox';
import { PAUSE_HISTORY_SHOWN, type JobDetailView, type JobPageSchema } from '../schemas/jobs';
import { JobNotFoundError } from '../errors';
import { mayActFor, type Caller } from '../identity';
import { toJobView } from '../views';
import type { JobRecord, JobRow } from '../../store/job-store';
import { openAlertsOf } from './alerts';
import { jobRowOfSchedule, loadJob, type UseCaseContext } from './context';

export interface JobFilter {
  service?: string;
  paused?: boolean;
  /** Only jobs whose name contains this text, ignoring case. */
  q?: string;
  /** Only jobs failing since their last success (true), or not (false). */
  failing?: boolean;
  /** Only jobs named after this one: the previous page's `nextCursor`. */
  after?: string;
  limit: number;
}

/** A page of jobs; `nextCursor` is the name to pass as `after` for the next page, null on the last. */
type JobPage = Static<typeof JobPageSchema>;

/**
 * One job, from the mirror, with its latest pause changes and open alert episodes: no call to Temporal, unless the job has no row (yet). A
 * row whose next run times have passed (or a job with no row) is refreshed in the background.
 * @throws {@link JobNotFoundError} when there is no such job, or the caller may not see it.
 */
export async function getJob(ctx: UseCaseContext, name: string, caller: Caller): Promise<JobDetailView> {
  const [row, pauseHistory, openAlerts] = await Promise.all([
    readJob(ctx, name, caller),
    ctx.store.listLatestPauseChanges(name, PAUSE_HISTORY_SHOWN),
    openAlertsOf(ctx, name),
  ]);
  ctx.times.refreshIfStale(row);
  return { ...toJobView(row, ctx), pauseHistory, openAlerts };
}

/**
 * One job's mirror row, or (when it has none yet) its row as Temporal describes it, for a caller allowed to see it.
 * @throws {@link JobNotFoundError} when there is no such job, or the caller may not see it.
 */
export async function readJob(ctx: UseCaseContext, name: string, caller: Caller): Promise<JobRow | JobRecord> {
  const row = await ctx.store.getJob(name);
  if (!row) return jobRowOfSchedule((await loadJob(ctx, name, caller)).schedule);
  // Another service's job is reported as absent: its existence must not leak.
  if (!mayActFor(caller, row.definition.service)) throw new JobNotFoundError(name);
  return row;
}

/** For admins: a page of jobs in name order, from the mirror. Who may list which service is the route's to check. */
export async function listJobs(ctx: UseCaseContext, filter: JobFilter): Promise<JobPage> {
  const { store, times } = ctx;
  const rows = await store.listJobs({
    service: filter.service,
    paused: filter.paused,
    nameContains: filter.q,
    failing: filter.failing,
    after: filter.after,
    limit: filter.limit,
  });
  for (const row of rows) times.refreshIfStale(row);
  return {
    jobs: rows.map((row) => toJobView(row, ctx)),
    nextCursor: rows.length === filter.limit ? rows[rows.length - 1]!.definition.name : null,
  };
}
