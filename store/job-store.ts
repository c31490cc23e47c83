import type { ExecutionRecord, ExecutionStatus, JobStats } from '../jobs/execution';
import type { JobDefinition } from '../jobs/job';

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

/** A job's row with what the mirror derived from its executions. */
export interface JobRow extends JobRecord {
  /** Lifetime totals: the job's rows plus what retention removed ({@link JobRow.pruned}). */
  stats: JobStats;
  /** The part of `stats` whose rows history retention removed ({@link JobStore.pruneExecutions}). */
  pruned: JobStats;
  lastExecution: LastExecution | null;
}

/** In `job_name` order. */
export interface JobQuery {
  service?: string;
  /** Only jobs an admin has paused (true) or has not (false). */
  paused?: boolean;
  /** Only jobs whose name sorts strictly after this one. */
  after?: string;
  limit?: number;
}

/** Newest first: ordered by `startedAt` descending, then `id` descending. */
export interface ExecutionQuery {
  jobName?: string;
  service?: string;
  status?: ExecutionStatus;
  /** Only executions whose `startedAt` is at or after this instant (ISO-8601, any offset). */
  startedAfter?: string;
  /** Only executions whose `startedAt` is strictly before this instant (ISO-8601, any offset). */
  startedBefore?: string;
  /** Only executions strictly older than this position in the order. */
  before?: { startedAt: string; id: string };
  limit: number;
}

/**
 * The mirror of Temporal's history: `job_schedules` and `scheduled_jobs` (SPEC §6).
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
  /** Removes a job's row; its executions stay. */
  deleteJob(name: string): Promise<void>;
  getJob(name: string): Promise<JobRow | null>;
  /** Jobs in name order; with `limit`, a page of them: those named after `after`. */
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
