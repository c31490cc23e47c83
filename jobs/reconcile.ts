/** The reconciler's input and report (workflows/reconcile.ts, activities/reconcile.ts, POST /api/reconcile). */

export interface ReconcileInput {
  /** Runs closed within this many hours are compared (running ones always are). */
  lookbackHours: number;
}

export interface ReconcileReport {
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
  /** Items that could not be mended this pass (`<job or run id>: <why>`); the next pass tries again. */
  failures: string[];
}
