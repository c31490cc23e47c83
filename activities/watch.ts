import type { AlertRecord } from '../jobs/alert';
import type { JobHealth } from '../jobs/alert-watch';
import type { JobStore } from '../store/job-store';
import { readJobHealth } from '../store/job-health';
import { readLedger } from '../store/ledger';

export interface WatchDeps {
  store: JobStore;
}

/** How many unexplained times an alert names. */
const UNEXPLAINED_KEPT = 20;

/** The mirror reads and writes of the alert watch (workflows/watch-job.ts). */
export function watchActivities({ store }: WatchDeps) {
  return {
    /** What the mirror says of a job's health: its last success (null before any) and its runs still going. */
    readJobHealth: (jobName: string): Promise<JobHealth> => readJobHealth(store, jobName),
    /**
     * The nominal times of a job's schedule in [from, to) (ISO-8601) that the occurrence ledger cannot explain
     * (fate `unexplained`), at most {@link UNEXPLAINED_KEPT}; [] for a job gone from the mirror.
     */
    async findUnexplained(jobName: string, window: { from: string; to: string }): Promise<string[]> {
      const row = await store.getJob(jobName);
      if (!row) return [];
      const range = { from: Date.parse(window.from), to: Date.parse(window.to) };
      const { occurrences } = await readLedger(store, row, range, Date.now());
      return occurrences
        .filter((o) => o.fate === 'unexplained')
        .slice(0, UNEXPLAINED_KEPT)
        .map((o) => o.scheduledAt);
    },
    /** Writes an alert episode as it stands; an older state never replaces a newer one (store's `recordAlert`). */
    async recordAlert(alert: AlertRecord): Promise<void> {
      await store.recordAlert(alert);
    },
  };
}
