import type { AlertRecord } from '../jobs/alert';
import type { ExecutionRecord, ExecutionStatus, JobStats, RecentRun, RunDurations } from '../jobs/execution';
import type { JobDefinition } from '../jobs/job';
import type { RunSpan } from '../jobs/occurrences';

/** What Temporal computes for a schedule and a job view shows, as of the row's last write. */
export interface ScheduleTimes {
  /** The next run times (ISO-8601, up to 10), as Temporal computed them: its cron dialect, time zone and jitter. */
  nextRunTimes: string[];
  /** Occurrences skipped by the overlap policy. */
  skipped: number;
  /** Occurrences missed for longer than the catch-up window. */
  missed: number;
}

/** A schedule's times before Temporal has computed any. */
export const NO_TIMES: ScheduleTimes = Object.freeze({ nextRunTimes: [], skipped: 0, missed: 0 });

/** A job's row in `job_schedules`: its definition and its schedule's state, written from what Temporal says. */
export interface JobRecord {
  definition: JobDefinition;
  /**
   * True while an admin has paused the job (column `paused`). Whether its service has it enabled is
   * `definition.enabled` (column `enabled`); the job runs only while enabled and not paused.
   */
  paused: boolean;
  /** The admin's note while paused; null while not paused. */
  pauseNote: string | null;
  /**
   * Temporal's note on the schedule, paused or not (after a resume, the resume's note); null when it has none. The
   * pause history takes it at each change ({@link PauseChange.note}).
   */
  scheduleNote: string | null;
  times: ScheduleTimes;
  createdAt: string;
  updatedAt: string;
  /**
   * Temporal's last-updated time of the schedule state this record was read from; null for a record written at
   * creation, before Temporal was asked. It orders concurrent writes of one job (see {@link JobStore.upsertJob}).
   */
  scheduleUpdatedAt: string | null;
}

export interface LastExecution {
  id: string;
  status: ExecutionStatus;
  startedAt: string;
  completedAt: string | null;
}

/**
 * How a job's runs have been going, derived by the mirror at each execution write (in the same atomic step as the
 * counters) and kept on the job's row, so a read costs no scan of its history. "Unsuccessful" is
 * {@link UNSUCCESSFUL_STATUSES}; "ended" is any status but `running`.
 */
export interface RunHealth {
  /** The latest `completedAt` of the job's succeeded runs (ISO-8601), null before any; kept when retention removes the row. */
  lastSuccessAt: string | null;
  /** The latest `completedAt` of the job's unsuccessful runs, null before any; kept when retention removes the row. */
  lastFailureAt: string | null;
  /**
   * Unsuccessful runs that ended (`completedAt`) after `lastSuccessAt` (all of them before any success); 0 when the
   * last run to end succeeded. Retention removing some of those rows leaves it unchanged.
   */
  consecutiveFailures: number;
  /** Percentiles of `durationMs` over the job's {@link RECENT_RUNS} latest-ended runs. */
  durations: RunDurations;
  /** The job's {@link RECENT_RUNS} newest runs, newest first (`startedAt` descending, then `id` descending). */
  recentRuns: RecentRun[];
}

/** A job's health before any run. */
export const NO_RUN_HEALTH: RunHealth = Object.freeze({
  lastSuccessAt: null,
  lastFailureAt: null,
  consecutiveFailures: 0,
  durations: Object.freeze({ p50Ms: null, p95Ms: null }),
  recentRuns: Object.freeze([]) as unknown as RecentRun[],
});

/** One change of whether a job runs: paused (by an admin, or disabled by its service) or running again. */
export interface PauseChange {
  /**
   * When the mirror recorded the change (ISO-8601 UTC): the write of the job's row that carried it. Temporal keeps no
   * time of a pause (pausing does not move the schedule's update time), so a pause made in Temporal itself is dated
   * when the reconciler saw it.
   */
  at: string;
  /** True: from `at` the job does not run (paused by an admin, or its service disabled it); false: it runs again. */
  paused: boolean;
  /** Who: the admin's name, `service` when its registration changed `enabled`, null when unknown (e.g. paused in Temporal directly). */
  by: string | null;
  /** The schedule's note at the change (Temporal's pause note), null when none. */
  note: string | null;
}

/**
 * How many changes the pause history keeps per job, newest first: each change beyond drops the job's oldest. A job's
 * history stays when the job is deleted.
 */
export const PAUSE_CHANGES_KEPT = 100;

/** A job's row with what the mirror derived from its executions. */
export interface JobRow extends JobRecord {
  /** Lifetime totals: the job's rows plus what retention removed ({@link JobRow.pruned}). */
  stats: JobStats;
  /** The part of `stats` whose rows history retention removed ({@link JobStore.pruneExecutions}). */
  pruned: JobStats;
  lastExecution: LastExecution | null;
  /**
   * Derived at each write and recount. `recentRuns` and `durations` are over the rows the mirror holds as of the
   * job's last write or recount: retention removing rows leaves them as they were until then.
   */
  health: RunHealth;
}

/** In `job_name` order. */
export interface JobQuery {
  service?: string;
  /** Only jobs an admin has paused (true) or has not (false). */
  paused?: boolean;
  /** Only jobs whose name contains this text, ignoring case (ASCII letters and, in SQL stores, as the database folds). */
  nameContains?: string;
  /** Only jobs with unsuccessful runs since their last success (`consecutiveFailures > 0`, true) or none (false). */
  failing?: boolean;
  /** Only jobs whose name sorts strictly after this one. */
  after?: string;
  limit?: number;
}

/** A run that retried another: what an execution view's `retriedBy` shows, and which run it retried. */
export interface RetryRun {
  id: string;
  status: ExecutionStatus;
  startedAt: string;
  retryOf: string;
}

/** Newest first: ordered by `startedAt` descending, then `id` descending. */
export interface ExecutionQuery {
  jobName?: string;
  service?: string;
  /** Only executions in one of these statuses (an empty list matches none). */
  statuses?: readonly ExecutionStatus[];
  /** Only executions whose `startedAt` is at or after this instant (ISO-8601, any offset). */
  startedAfter?: string;
  /** Only executions whose `startedAt` is strictly before this instant (ISO-8601, any offset). */
  startedBefore?: string;
  /** Only executions strictly older than this position in the order. */
  before?: { startedAt: string; id: string };
  limit: number;
}

/** Newest opened first: ordered by `openedAt` descending, then `id` descending. */
export interface AlertQuery {
  /** Only episodes still open, or only those resolved. */
  state?: AlertRecord['state'];
  jobName?: string;
  service?: string;
  /** Only episodes strictly older than this position in the order (the previous page's last). */
  before?: { openedAt: string; id: string };
  limit: number;
}

/**
 * The mirror of Temporal's history: `job_schedules` and `scheduled_jobs` (SPEC §6), and the alert episodes the watch
 * decided (`job_alerts`).
 * Every write is idempotent, so an activity retry can repeat it safely.
 */
export interface JobStore {
  /**
   * Creates or replaces a job's row; its counters are kept. Writes race (two registrations, a refresh), so a record
   * read from Temporal replaces a row only if it is at least as recent (`scheduleUpdatedAt`), and a record written at
   * creation (null) never replaces one read from Temporal: the row ends as Temporal's latest state, whatever the order
   * the writes land in.
   */
  upsertJob(job: JobRecord): Promise<void>;
  /** Removes a job's row; its executions and its pause history stay. */
  deleteJob(name: string): Promise<void>;
  getJob(name: string): Promise<JobRow | null>;
  /**
   * Jobs in name order; with `limit`, a page of them: those named after `after`. Without `limit`, every job of the
   * filter, however many: a store reads a long list in several statements or requests of its own (store/job-chunks.ts;
   * PostgREST answers at most 1000 rows a request), so a job written meanwhile may or may not be listed.
   */
  listJobs(filter: JobQuery): Promise<JobRow[]>;
  /**
   * Upserts an execution by id and moves its job's counters by the write's step (from the row's status before it to
   * the one written), in one atomic step. A `running` write never replaces a final status, so a late or repeated
   * start write cannot undo an end.
   */
  recordExecution(execution: ExecutionRecord): Promise<void>;
  /**
   * Recounts a job's counters and last execution from all its rows, plus what retention removed (its `pruned`
   * counts): the reconciler's repair for rows changed behind the store's back (deleted or inserted by hand), which a
   * write's step does not see.
   */
  recountJob(name: string): Promise<void>;
  /**
   * History retention: removes up to `limit` execution rows that ended (`completedAt`) before `endedBefore`
   * (ISO-8601), oldest first, in one short atomic step, and answers how many it removed. Never a `running` row, nor
   * a job's newest row (its last execution stays shown). The counts of the removed rows move to their job's `pruned`
   * counts in the same step, under the job's serialisation with its writes, so the job's counters do not change:
   * they stay lifetime totals, equal to its rows plus `pruned`. A later write of a removed row (a repeated end write,
   * a late start write) is not written back: a new row of a pruned job that ended, or still running started, before
   * the latest `endedBefore` applied to the job is dropped. It never waits on the mirror's writes: rows a write holds
   * are left to a later call, so 0 means only that nothing could be removed now.
   */
  pruneExecutions(endedBefore: string, limit: number): Promise<number>;
  getExecution(id: string): Promise<ExecutionRecord | null>;
  /** The executions among `ids` that exist, each once, in no particular order; unknown ids are left out. */
  getExecutions(ids: readonly string[]): Promise<ExecutionRecord[]>;
  listExecutions(query: ExecutionQuery): Promise<ExecutionRecord[]>;
  /**
   * The runs that retried any of `ids` (whose `retryOf` is one of them), oldest first (`startedAt`, then `id`), in
   * one indexed query per batch of ids; [] for no ids, without a query.
   */
  listRetriesOf(ids: readonly string[]): Promise<RetryRun[]>;
  /**
   * Every run of a job that started in [from, to) (ISO-8601), oldest first (`startedAt`, then `id`), without payload
   * or free text: what the occurrence ledger reads. One indexed range read (paged by the store as it must).
   */
  listRunSpans(jobName: string, window: { from: string; to: string }): Promise<RunSpan[]>;
  /**
   * Oldest first: the changes with `at` in [window.from, window.to), preceded by the last change before `from` (the
   * state the window opens in) when there is one. Every write of a job's row whose `paused || !definition.enabled`
   * differs from the job's last change records one (a row that starts so counts), in the write's atomic step; each
   * job keeps its {@link PAUSE_CHANGES_KEPT} newest. Window bounds are ISO-8601, any offset.
   */
  listPauseChanges(jobName: string, window: { from: string; to: string }): Promise<PauseChange[]>;
  /** A job's `limit` newest pause changes, newest first, in one query. */
  listLatestPauseChanges(jobName: string, limit: number): Promise<PauseChange[]>;
  /**
   * Upserts an alert episode by id, in one atomic step: the write replaces the stored episode only when its
   * `updatedAt` is at least as recent as the stored one's, so writes that land out of order (an activity retried
   * after a later state was written) leave the latest, and a repeated write changes nothing.
   */
  recordAlert(alert: AlertRecord): Promise<void>;
  /** A page of alert episodes, newest opened first (`openedAt` descending, then `id` descending), in one indexed query. */
  listAlerts(query: AlertQuery): Promise<AlertRecord[]>;
  /**
   * History retention for alerts: removes up to `limit` resolved episodes whose `resolvedAt` is before
   * `resolvedBefore` (ISO-8601), oldest first, and answers how many it removed. Open episodes are never removed.
   */
  pruneAlerts(resolvedBefore: string, limit: number): Promise<number>;
  /** Resolves when the store answers; rejects with a {@link StoreError} otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by a {@link JobStore} when its database refuses or cannot be reached. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  /**
   * True when the database refused the write for its content (PostgreSQL's data exceptions and integrity
   * violations, SQLite's constraint, type and size errors): the same write will be refused again, so retrying it
   * cannot help. False when the database is unavailable (network, timeout, overload, lock) or the cause is not
   * known: a retry may succeed.
   */
  readonly refused: boolean;
  constructor(operation: string, options?: { cause?: unknown; refused?: boolean }) {
    super(`store operation ${operation} ${options?.refused ? 'refused' : 'failed'}${describeCause(options?.cause)}`, {
      cause: options?.cause,
    });
    this.refused = options?.refused ?? false;
  }
}

/** True for a {@link StoreError} that says the database refused the write for its content. */
export const isRefusedWrite = (err: unknown): err is StoreError => err instanceof StoreError && err.refused;

/** The cause's message, and its code where it has one (a SQLSTATE, `SQLITE_CONSTRAINT_CHECK`). */
function describeCause(cause: unknown): string {
  if (!cause || typeof cause !== 'object' || !('message' in cause)) return '';
  const code = 'code' in cause && typeof cause.code === 'string' && cause.code ? ` (${cause.code})` : '';
  return `: ${String(cause.message)}${code}`;
}
