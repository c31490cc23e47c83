/** The part of a job's {@link RunHealth} taken from its newest rows, shared by the SQLite and memory stores. */
import { durationPercentiles, RECENT_RUNS, type ExecutionStatus, type RunDurations } from '../jobs/execution';
import { toRecentRunsColumn } from './rows';

/** How many of a job's newest rows a write reads (its view's {@link RECENT_RUNS}). */
export const RECENT_WINDOW = RECENT_RUNS;

/** A row as the window reads it. */
export interface HealthWindowRow {
  id: string;
  status: ExecutionStatus;
  started_at: string;
  duration_ms: number | null;
}

/**
 * `recent_runs` (as stored: snake_case, newest first) from a job's newest rows (`started_at` descending, then `id`
 * descending), and the duration percentiles over its latest-ended rows (`completed_at` descending, then `id`
 * descending); each list holds at most {@link RECENT_WINDOW} rows, and more are ignored.
 */
export function healthWindow(
  newest: readonly HealthWindowRow[],
  latestEnded: readonly HealthWindowRow[],
): { recentRuns: ReturnType<typeof toRecentRunsColumn>; durations: RunDurations } {
  return {
    recentRuns: toRecentRunsColumn(newest.slice(0, RECENT_WINDOW)),
    durations: durationPercentiles(latestEnded.slice(0, RECENT_WINDOW).map((r) => r.duration_ms)),
  };
}
