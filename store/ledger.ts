import { buildLedger, plannedTimes, START_GRACE_MS, type Ledger } from '../jobs/occurrences';
import type { JobRecord, JobStore } from './job-store';

/** How far before the window the ledger looks for runs that were still going when it opened. */
const HOLDER_LOOKBACK_MS = 86_400_000;

/**
 * The occurrence ledger of a job over [from, to) (epoch ms), from the mirror: the plan's nominal times, the job's
 * runs (one range read, from a day before the window to past it by the catch-up window: the runs that show when
 * the scheduler got to its last times) and its pause history; the fates are jobs/occurrences.ts's to decide.
 * Callers bound the window (the API: at most 20,000 times).
 */
export async function readLedger(
  store: JobStore,
  job: Pick<JobRecord, 'definition' | 'createdAt'>,
  window: { from: number; to: number },
  now: number,
): Promise<Ledger> {
  const { definition } = job;
  const { from, to } = window;
  const [runs, pauses] = await Promise.all([
    store.listRunSpans(definition.name, {
      from: new Date(from - HOLDER_LOOKBACK_MS).toISOString(),
      to: new Date(to + definition.catchupWindowSeconds * 1000 + START_GRACE_MS).toISOString(),
    }),
    store.listPauseChanges(definition.name, { from: new Date(from).toISOString(), to: new Date(to).toISOString() }),
  ]);
  const times = plannedTimes(definition, from, to, now);
  return buildLedger(window, times, runs, pauses, { ...definition, createdAt: job.createdAt }, now);
}
