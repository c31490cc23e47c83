/** The reconciler's input and report (workflows/reconcile.ts, activities/reconcile.ts, POST /api/reconcile). */

export interface ReconcileInput {
  /** Runs closed within this many hours are compared (running ones always are). */
  lookbackHours: number;
  /**
   * History retention: execution rows that ended more than this many days ago are removed after the pass
   * (`SCHEDULER_HISTORY_RETENTION_DAYS`). 0 or absent (a schedule written before retention existed) keeps every row.
   */
  retentionDays?: number;
  /**
   * The interval of the reconciler's own schedule, in minutes; it makes the pass incremental: it describes only the
   * schedules whose listing differs from their mirror row (temporal/mirror.ts `listingDiffers`), plus the rolling
   * slice due in this interval ({@link rollingSliceAt}), so each schedule is described at least once every
   * {@link ROLLING_SLICES} intervals. Absent (`POST /api/reconcile`, a schedule written before it), every schedule is
   * described.
   */
  everyMinutes?: number;
}

/**
 * An incremental pass describes one slice of the fleet in this many, whatever its listing says: what the listing
 * cannot show (a schedule's action edited in Temporal itself, a counter grown by a trigger or backfill that overlap
 * skipped) is mended within this many of the reconciler's intervals (2 hours at the default 10 minutes). 12 keeps a
 * pass over 10,000 unchanged jobs at about 830 describes instead of 10,000.
 */
export const ROLLING_SLICES = 12;

/**
 * The slice a schedule belongs to, 0 to {@link ROLLING_SLICES} - 1: a 32-bit FNV-1a hash of its id, so it stays in
 * one slice for its whole life, and the fleet spreads evenly. Not node:crypto (as `spreadOffsetOf` in jobs/spread.ts
 * is): this module is in the workflow bundle, where Node's built-ins are not.
 */
export function sliceOf(scheduleId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < scheduleId.length; i++) {
    hash ^= scheduleId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % ROLLING_SLICES;
}

/**
 * The slice an incremental pass at `now` (ms since the epoch) describes whole: the interval's number since the epoch,
 * modulo {@link ROLLING_SLICES}, so {@link ROLLING_SLICES} consecutive intervals cover every slice once, whichever
 * replica runs them and however often `POST /api/reconcile` runs in between.
 */
export const rollingSliceAt = (now: number, everyMinutes: number): number =>
  Math.floor(now / (everyMinutes * 60_000)) % ROLLING_SLICES;

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
  /**
   * Job schedules Temporal listed, and those the pass described (each a query to the schedule's own workflow): all of
   * them in a full pass, those that changed plus a rolling slice in an incremental one. Absent from a report of a
   * version before incremental passes.
   */
  schedulesListed?: number;
  schedulesDescribed?: number;
  /**
   * Jobs whose alert watch was not running, or held other rules than its job's, and was given them. Absent from a
   * report of a version before registrations handed rules over after answering.
   */
  watchesMended?: string[];
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
