/** The reconciler's input and report (workflows/reconcile.ts, activities/reconcile.ts, POST /api/reconcile). */

export interface ReconcileInput {
  /** Runs closed within this many hours are compared (running ones always are). */
  lookbackHours: number;
  /**
   * History retention: execution rows that ended more than this many days ago are removed after the pass
   * (`SCHEDULER_HISTORY_RETENTION_DAYS`). 0 or absent (a schedule written before retention existed) keeps every row.
   */
  retentionDays?: number;
}

/** What one pass's history retention did. */
export interface RetentionReport {
  /** The cutoff (ISO-8601): rows that ended before it are removed. */
  endedBefore: string;
  rowsRemoved: number;
  /** Resolved alert episodes removed (resolved before the cutoff); absent from a report of a version before alerts. */
  alertsRemoved?: number;
  /** False when the pass stopped at its budget ({@link MAX_PRUNE_BATCHES} batches) with rows left: the next goes on. */
  finished: boolean;
}

/** Rows removed per batch: one short transaction each, so the mirror's writes wait at most one batch. */
export const PRUNE_BATCH_ROWS = 500;
/** Batches per pass: 100,000 rows at most, so a first pass over years of history does not hold the reconciler. */
export const MAX_PRUNE_BATCHES = 200;

/** What {@link ReconcileInput.retentionDays} removes, as of `now` (ms since the epoch). */
export const retentionCutoff = (retentionDays: number, now: number): string =>
  new Date(now - retentionDays * 86_400_000).toISOString();

/** What the pass mended, before retention. */
export interface MirrorReport {
  /** Jobs whose mirror row was written or rewritten from their schedule. */
  jobsMirrored: string[];
  /** Mirror rows of jobs whose schedule no longer exists in Temporal. */
  jobsRemoved: string[];
  /** Jobs whose schedule got today's fire plan: a new horizon (once a year), or a schedule older than plans. */
  jobsReplanned: string[];
  /**
   * Jobs whose schedule's paused state disagreed with the job and was set right: running although its service had
   * disabled it (an admin's resume before 0.2.0), or paused for nobody's reason. An admin's pause is kept.
   */
  jobsStateFixed: string[];
  executionsChecked: number;
  /** Runs whose row was missing or still `running` after the run had ended. */
  executionsRepaired: string[];
  /** Items that could not be mended this pass (`<job name or workflow id>: <why>`); the next pass tries again. */
  failures: string[];
}

export interface ReconcileReport extends MirrorReport {
  /** History retention's part of the pass; null when retention is off (`SCHEDULER_HISTORY_RETENTION_DAYS=0`). */
  retention: RetentionReport | null;
}
