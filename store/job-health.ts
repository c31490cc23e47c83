import { watchedRunOf, type JobHealth } from '../jobs/alert-watch';
import type { JobStore } from './job-store';

/** How many of a job's running runs the watch looks at: more than any overlap policy but `allow_all` keeps. */
const RUNNING_READ = 100;

/** What the mirror says of a job's health now: its last success and up to {@link RUNNING_READ} runs still going. */
export async function readJobHealth(store: JobStore, jobName: string): Promise<JobHealth> {
  const [row, running] = await Promise.all([
    store.getJob(jobName),
    store.listExecutions({ jobName, statuses: ['running'], limit: RUNNING_READ }),
  ]);
  return { lastSuccessAt: row?.health.lastSuccessAt ?? null, running: running.map(watchedRunOf) };
}
