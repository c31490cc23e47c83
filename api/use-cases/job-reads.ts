import type { Static } from '@sinclair/typebox';
import type { JobPageSchema, JobView } from '../schemas/jobs';
import { JobNotFoundError } from '../errors';
import { mayActFor, type Caller } from '../identity';
import { toJobView } from '../views';
import { jobRowOfSchedule, loadJob, type UseCaseContext } from './context';

export interface JobFilter {
  service?: string;
  paused?: boolean;
  /** Only jobs named after this one: the previous page's `nextCursor`. */
  after?: string;
  limit: number;
}

/** A page of jobs; `nextCursor` is the name to pass as `after` for the next page, null on the last. */
type JobPage = Static<typeof JobPageSchema>;

/**
 * One job, from the mirror: no call to Temporal, unless the job has no row (yet). A row whose next run times have
 * passed is refreshed in the background.
 * @throws {@link JobNotFoundError} when there is no such job, or the caller may not see it.
 */
export async function getJob(ctx: UseCaseContext, name: string, caller: Caller): Promise<JobView> {
  const row = await ctx.store.getJob(name);
  if (!row) {
    return toJobView(jobRowOfSchedule((await loadJob(ctx, name, caller)).schedule), ctx.links);
  }
  // Another service's job is reported as absent: its existence must not leak.
  if (!mayActFor(caller, row.definition.service)) throw new JobNotFoundError(name);
  ctx.times.refreshIfStale(row);
  return toJobView(row, ctx.links);
}

/** For admins: a page of jobs in name order, from the mirror. Who may list which service is the route's to check. */
export async function listJobs({ store, times, links }: UseCaseContext, filter: JobFilter): Promise<JobPage> {
  const rows = await store.listJobs({
    service: filter.service,
    paused: filter.paused,
    after: filter.after,
    limit: filter.limit,
  });
  for (const row of rows) times.refreshIfStale(row);
  return {
    jobs: rows.map((row) => toJobView(row, links)),
    nextCursor: rows.length === filter.limit ? rows[rows.length - 1]!.definition.name : null,
  };
}
