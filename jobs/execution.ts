/** One run of a job, as the mirror and the API see it. */

export const EXECUTION_STATUSES = ['running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'terminated'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export const TRIGGERS = ['schedule', 'manual', 'retry', 'backfill'] as const;
export type Trigger = (typeof TRIGGERS)[number];

/**
 * The final statuses of a run that did not succeed: what a job view's `lastFailureAt` and `consecutiveFailures`
 * count, and the statuses a run may be retried from (SPEC §4).
 */
export const UNSUCCESSFUL_STATUSES: readonly ExecutionStatus[] = ['failed', 'timed_out', 'cancelled', 'terminated'];
/** Statuses counted as `failed_runs` (SPEC §6). */
export const FAILED_STATUSES: readonly ExecutionStatus[] = ['failed', 'timed_out'];

export interface ExecutionRecord {
  id: string;
  jobName: string;
  service: string;
  status: ExecutionStatus;
  trigger: Trigger;
  triggeredBy: string | null;
  retryOf: string | null;
  scheduledAt: string | null;
  startedAt: string;
  completedAt: string | null;
  durationMs: number | null;
  attempts: number;
  httpStatus: number | null;
  error: string | null;
  /** The first 2 KiB of the service's response body: at most 2048 bytes of UTF-8, cut on a whole character. */
  response: string | null;
  workflowId: string;
  runId: string | null;
  /**
   * Fields the mirror left out (set to null) because its store refused the row with them, e.g. `["response"]`;
   * absent when the row is whole. Only stores set it.
   */
  droppedFields?: DroppableField[];
}

/** The free-text fields of an execution row that a store may refuse; dropped in this order until it takes the row. */
export const DROPPABLE_FIELDS = ['response', 'error'] as const;
export type DroppableField = (typeof DROPPABLE_FIELDS)[number];

/** What is known of a run when it starts. Its id is its workflow id. */
export type ExecutionStart = Pick<
  ExecutionRecord,
  'id' | 'jobName' | 'service' | 'trigger' | 'triggeredBy' | 'retryOf' | 'scheduledAt' | 'startedAt' | 'runId'
>;

/** A run as it stands at its start: running, with no outcome yet. */
export const startedExecution = (start: ExecutionStart): ExecutionRecord => ({
  ...start,
  status: 'running',
  completedAt: null,
  durationMs: null,
  attempts: 0,
  httpStatus: null,
  error: null,
  response: null,
  workflowId: start.id,
});

export interface JobStats {
  totalRuns: number;
  successfulRuns: number;
  failedRuns: number;
}

/** The response excerpt kept with an execution (SPEC §5): 2 KiB of UTF-8, cut on a whole character. */
export const MAX_RESPONSE_BYTES = 2048;

/** How many of a job's newest runs its view shows (`recentRuns`) and its duration percentiles are taken over. */
export const RECENT_RUNS = 20;

/** One of a job's newest runs, as its view's strip of marks shows it. */
export interface RecentRun {
  id: string;
  status: ExecutionStatus;
  startedAt: string;
}

/** Duration percentiles (whole milliseconds) over a job's newest ended runs; null while none has a duration. */
export interface RunDurations {
  p50Ms: number | null;
  p95Ms: number | null;
}

/**
 * The nearest-rank percentiles of `durations` (ms; nulls ignored): the smallest duration that at least `p` of them
 * do not exceed, as PostgreSQL's `percentile_disc` answers it.
 */
export function durationPercentiles(durations: readonly (number | null)[]): RunDurations {
  const sorted = durations.filter((d): d is number => d !== null).sort((a, b) => a - b);
  const rank = (p: number) => (sorted.length === 0 ? null : sorted[Math.max(Math.ceil(p * sorted.length), 1) - 1]!);
  return { p50Ms: rank(0.5), p95Ms: rank(0.95) };
}
