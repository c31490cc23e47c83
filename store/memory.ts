import { FAILED_STATUSES, type ExecutionRecord, type JobStats } from '../jobs/execution';
import { StoreError, type JobRecord, type JobStore } from './job-store';
import {
  fromJobScheduleRow,
  fromScheduledJobRow,
  isoTimestamp,
  toJobScheduleWrite,
  toScheduledJobWrite,
  type JobScheduleRow,
  type JobScheduleWrite,
  type ScheduledJobWrite,
} from './rows';

/** Plain code-unit order: the same as the databases' byte order for the ASCII names and ids we store. */
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** upsertJob's ordering of concurrent writes: a record read from Temporal at least as recent, or creation over creation. */
const replaces = (incoming: string | null, existing: string | null) =>
  incoming === null ? existing === null : existing === null || compareText(existing, incoming) <= 0;

/** Newest first, as `ORDER BY started_at DESC, id DESC`. */
const newestFirst = (a: ScheduledJobWrite, b: ScheduledJobWrite) =>
  compareText(b.started_at, a.started_at) || compareText(b.id, a.id);

export interface MemoryStoreOptions {
  /**
   * A rule the store refuses execution rows by, as a database refuses a row for its content (a constraint, a data
   * exception): for tests of what callers do with such a refusal. None by default.
   */
  refusesExecution?: (row: ScheduledJobWrite) => boolean;
}

/**
 * An in-memory {@link JobStore} with the databases' semantics, for unit tests of other modules. It keeps rows as the
 * databases do and maps them through store/rows.ts, so callers see exactly what a real store returns.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): JobStore {
  const jobs = new Map<string, JobScheduleWrite>();
  const executions = new Map<string, ScheduledJobWrite>();
  /** What retention removed per job, and its latest cutoff: kept with the job's row, as the databases' columns are. */
  const pruned = new Map<string, JobStats & { through: string }>();
  let closed = false;

  const jobRow = (job: JobScheduleWrite): JobScheduleRow => {
    const own = [...executions.values()].filter((e) => e.job_name === job.job_name);
    const newest = own.sort(newestFirst)[0];
    const removed = pruned.get(job.job_name) ?? { totalRuns: 0, successfulRuns: 0, failedRuns: 0 };
    return {
      ...structuredClone(job),
      total_runs: own.length + removed.totalRuns,
      successful_runs: own.filter((e) => e.status === 'succeeded').length + removed.successfulRuns,
      failed_runs: own.filter((e) => FAILED_STATUSES.includes(e.status)).length + removed.failedRuns,
      pruned_runs: removed.totalRuns,
      pruned_successful_runs: removed.successfulRuns,
      pruned_failed_runs: removed.failedRuns,
      last_run_at: newest?.started_at ?? null,
      last_status: newest?.status ?? null,
      last_execution_id: newest?.id ?? null,
      last_completed_at: newest?.completed_at ?? null,
    };
  };

  /** Closed like a real connection, so tests of shutdown order can see use after close. */
  const attempt = async <T>(operation: string, fn: () => T): Promise<T> => {
    if (closed) throw new StoreError(operation, { cause: new Error('store is closed') });
    return fn();
  };

  return {
    upsertJob: (job: JobRecord) =>
      attempt('upsertJob', () => {
        const row = structuredClone(toJobScheduleWrite(job));
        const existing = jobs.get(row.job_name);
        if (existing && !replaces(row.schedule_updated_at, existing.schedule_updated_at)) return;
        jobs.set(row.job_name, existing ? { ...row, created_at: existing.created_at } : row);
      }),
    deleteJob: (name) =>
      attempt('deleteJob', () => {
        jobs.delete(name);
        pruned.delete(name);
      }),
    getJob: (name) =>
      attempt('getJob', () => {
        const job = jobs.get(name);
        return job ? fromJobScheduleRow(jobRow(job)) : null;
      }),
    listJobs: (filter) =>
      attempt('listJobs', () =>
        [...jobs.values()]
          .filter(
            (job) =>
              (filter.service === undefined || job.service === filter.service) &&
              (filter.paused === undefined || job.paused === filter.paused) &&
              (filter.after === undefined || compareText(job.job_name, filter.after) > 0),
          )
          .sort((a, b) => compareText(a.job_name, b.job_name))
          .slice(0, filter.limit)
          .map((job) => fromJobScheduleRow(jobRow(job))),
      ),
    recordExecution: (execution: ExecutionRecord) =>
      attempt('recordExecution', () => {
        const row = toScheduledJobWrite(execution);
        if (options.refusesExecution?.(row)) {
          throw new StoreError('recordExecution', {
            cause: new Error('the row breaks a rule of the store'),
            refused: true,
          });
        }
        const existing = executions.get(row.id);
        if (existing && existing.status !== 'running' && row.status === 'running') return;
        const through = pruned.get(row.job_name)?.through;
        if (!existing && through !== undefined && (row.completed_at ?? row.started_at) < through) return;
        executions.set(row.id, row);
      }),
    // counters are derived from the rows at every read: nothing to recount
    recountJob: () => attempt('recountJob', () => undefined),
    pruneExecutions: (endedBefore, limit) =>
      attempt('pruneExecutions', () => {
        const cutoff = isoTimestamp(endedBefore);
        const newest = new Map<string, ScheduledJobWrite>();
        for (const e of executions.values()) {
          const kept = newest.get(e.job_name);
          if (!kept || newestFirst(e, kept) < 0) newest.set(e.job_name, e);
        }
        const removed = [...executions.values()]
          .filter(
            (e) =>
              e.status !== 'running' &&
              e.completed_at !== null &&
              e.completed_at < cutoff &&
              newest.get(e.job_name) !== e,
          )
          .sort((a, b) => compareText(a.completed_at!, b.completed_at!) || compareText(a.id, b.id))
          .slice(0, limit);
        for (const e of removed) {
          executions.delete(e.id);
          if (!jobs.has(e.job_name)) continue;
          const counts = pruned.get(e.job_name) ?? { totalRuns: 0, successfulRuns: 0, failedRuns: 0, through: cutoff };
          counts.totalRuns++;
          if (e.status === 'succeeded') counts.successfulRuns++;
          if (FAILED_STATUSES.includes(e.status)) counts.failedRuns++;
          if (counts.through < cutoff) counts.through = cutoff;
          pruned.set(e.job_name, counts);
        }
        return removed.length;
      }),
    getExecution: (id) =>
      attempt('getExecution', () => {
        const row = executions.get(id);
        return row ? fromScheduledJobRow(row) : null;
      }),
    // An empty list answers without touching the store, as the databases answer it without a query.
    getExecutions: async (ids) =>
      ids.length === 0
        ? []
        : attempt('getExecutions', () =>
            [...new Set(ids)].flatMap((id) => {
              const row = executions.get(id);
              return row ? [fromScheduledJobRow(row)] : [];
            }),
          ),
    listExecutions: (query) =>
      attempt('listExecutions', () => {
        const before = query.before && { startedAt: isoTimestamp(query.before.startedAt), id: query.before.id };
        const after = query.startedAfter === undefined ? undefined : isoTimestamp(query.startedAfter);
        const until = query.startedBefore === undefined ? undefined : isoTimestamp(query.startedBefore);
        return [...executions.values()]
          .filter(
            (e) =>
              (query.jobName === undefined || e.job_name === query.jobName) &&
              (query.service === undefined || e.service === query.service) &&
              (query.status === undefined || e.status === query.status) &&
              (after === undefined || e.started_at >= after) &&
              (until === undefined || e.started_at < until) &&
              (before === undefined ||
                e.started_at < before.startedAt ||
                (e.started_at === before.startedAt && e.id < before.id)),
          )
          .sort(newestFirst)
          .slice(0, query.limit)
          .map(fromScheduledJobRow);
      }),
    ping: () => attempt('ping', () => undefined),
    close: async () => {
      closed = true;
    },
  };
}
