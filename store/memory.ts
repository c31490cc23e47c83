import {
  FAILED_STATUSES,
  UNSUCCESSFUL_STATUSES,
  type ExecutionRecord,
  type ExecutionStatus,
  type JobStats,
} from '../jobs/execution';
import { healthWindow, type HealthWindowRow } from './run-health';
import { PAUSE_CHANGES_KEPT, StoreError, type JobRecord, type JobStore } from './job-store';
import {
  fromJobAlertRow,
  fromJobScheduleRow,
  fromPauseChangeRow,
  fromRetryRunRow,
  fromRunSpanRow,
  fromScheduledJobRow,
  isoTimestamp,
  oldestRetryFirst,
  toJobAlertWrite,
  toJobScheduleWrite,
  toScheduledJobWrite,
  type JobAlertWrite,
  type JobScheduleRow,
  type HealthColumns,
  type JobScheduleWrite,
  type PauseChangeRow,
  type ScheduledJobWrite,
} from './rows';

/** Plain code-unit order: the same as the databases' byte order for the ASCII names and ids we store. */
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** upsertJob's ordering of concurrent writes: a record read from Temporal at least as recent, or creation over creation. */
const replaces = (incoming: string | null, existing: string | null) =>
  incoming === null ? existing === null : existing === null || compareText(existing, incoming) <= 0;

/** A job that does not run: its service disabled it or an admin paused it. */
const stopped = (job: JobScheduleWrite) => job.paused || !job.enabled;

/** A pause change in the order of `ORDER BY at, id` (`seq` stands for the id). */
type StoredPauseChange = PauseChangeRow & { at: string; seq: number };
const oldestChangeFirst = (a: StoredPauseChange, b: StoredPauseChange) => compareText(a.at, b.at) || a.seq - b.seq;

/** Newest first, as `ORDER BY started_at DESC, id DESC`. */
const newestFirst = (a: ScheduledJobWrite, b: ScheduledJobWrite) =>
  compareText(b.started_at, a.started_at) || compareText(b.id, a.id);

/** Newest opened first, as `ORDER BY opened_at DESC, id DESC`. */
const newestOpenedFirst = (a: JobAlertWrite, b: JobAlertWrite) =>
  compareText(b.opened_at, a.opened_at) || compareText(b.id, a.id);

/** Latest-ended first, as `ORDER BY completed_at DESC, id DESC`. */
const latestEndedFirst = (a: ScheduledJobWrite, b: ScheduledJobWrite) =>
  compareText(b.completed_at ?? '', a.completed_at ?? '') || compareText(b.id, a.id);

const asWindowRow = (e: ScheduledJobWrite): HealthWindowRow => ({
  id: e.id,
  status: e.status,
  started_at: e.started_at,
  duration_ms: e.duration_ms,
});

/** An ended row as health counts it: its status and end. */
interface End {
  status: ExecutionStatus;
  completed_at: string;
}

/**
 * The ends and streak of a job's ended rows, those retention removed included, as the databases keep them at each
 * write: the latest success and failure, and the unsuccessful ends after that success.
 */
function endsOf(ends: readonly End[]) {
  const latest = (statuses: readonly ExecutionStatus[]) =>
    ends.reduce<string | null>(
      (t, e) => (statuses.includes(e.status) && (t === null || e.completed_at > t) ? e.completed_at : t),
      null,
    );
  const lastSuccess = latest(['succeeded']);
  return {
    last_success_at: lastSuccess,
    last_failure_at: latest(UNSUCCESSFUL_STATUSES),
    consecutive_failures: ends.filter(
      (e) => UNSUCCESSFUL_STATUSES.includes(e.status) && (lastSuccess === null || e.completed_at > lastSuccess),
    ).length,
  };
}

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
  const alerts = new Map<string, JobAlertWrite>();
  /** What retention removed per job, and its latest cutoff: kept with the job's row, as the databases' columns are. */
  const pruned = new Map<string, JobStats & { through: string; ends: End[] }>();
  /** Each job's recent runs and percentiles as of its last write or recount, as the databases keep them on its row. */
  const windows = new Map<string, Pick<HealthColumns, 'recent_runs' | 'duration_p50_ms' | 'duration_p95_ms'>>();

  const rowsOf = (name: string) => [...executions.values()].filter((e) => e.job_name === name);
  const refreshWindow = (name: string) => {
    const own = rowsOf(name);
    const ended = own.filter((e) => e.status !== 'running');
    const { recentRuns, durations } = healthWindow(
      own.sort(newestFirst).map(asWindowRow),
      ended.sort(latestEndedFirst).map(asWindowRow),
    );
    windows.set(name, { recent_runs: recentRuns, duration_p50_ms: durations.p50Ms, duration_p95_ms: durations.p95Ms });
  };
  /** Each job's pause changes in the order they were recorded, as the databases' triggers record them. */
  const pauseChanges = new Map<string, StoredPauseChange[]>();
  let seq = 0;
  /** As the databases' triggers: a change when the written row's state differs from the job's last change. */
  const recordPauseChange = (row: JobScheduleWrite, before: JobScheduleWrite | undefined) => {
    const changes = pauseChanges.get(row.job_name) ?? [];
    if (stopped(row) === Boolean(changes.at(-1)?.paused ?? false)) return;
    changes.push({
      at: new Date().toISOString(),
      paused: stopped(row),
      by_service: stopped(row) || !before ? !row.paused : !before.enabled,
      note: row.schedule_note,
      seq: seq++,
    });
    pauseChanges.set(row.job_name, changes.slice(-PAUSE_CHANGES_KEPT));
  };
  const pauseChangesOf = (name: string) => [...(pauseChanges.get(name) ?? [])].sort(oldestChangeFirst);
  let closed = false;

  const jobRow = (job: JobScheduleWrite): JobScheduleRow => {
    const own = rowsOf(job.job_name);
    const newest = own.sort(newestFirst)[0];
    const removed = pruned.get(job.job_name) ?? { totalRuns: 0, successfulRuns: 0, failedRuns: 0, ends: [] };
    const ended = own.flatMap((e): End[] =>
      e.status !== 'running' && e.completed_at !== null ? [{ status: e.status, completed_at: e.completed_at }] : [],
    );
    return {
      ...structuredClone(job),
      ...endsOf([...ended, ...removed.ends]),
      ...structuredClone(
        windows.get(job.job_name) ?? { recent_runs: [], duration_p50_ms: null, duration_p95_ms: null },
      ),
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
        recordPauseChange(row, existing);
        if (!existing) refreshWindow(row.job_name);
      }),
    deleteJob: (name) =>
      attempt('deleteJob', () => {
        jobs.delete(name);
        pruned.delete(name);
        windows.delete(name);
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
              (filter.nameContains === undefined ||
                job.job_name.toLowerCase().includes(filter.nameContains.toLowerCase())) &&
              (filter.failing === undefined || Number(jobRow(job).consecutive_failures) > 0 === filter.failing) &&
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
        if (jobs.has(row.job_name)) refreshWindow(row.job_name);
        if (existing && existing.job_name !== row.job_name && jobs.has(existing.job_name)) {
          refreshWindow(existing.job_name);
        }
      }),
    // counters are derived from the rows at every read; the recent window is kept as of the last write
    recountJob: (name) => attempt('recountJob', () => void (jobs.has(name) && refreshWindow(name))),
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
          const counts = pruned.get(e.job_name) ?? {
            totalRuns: 0,
            successfulRuns: 0,
            failedRuns: 0,
            through: cutoff,
            ends: [],
          };
          counts.ends.push({ status: e.status, completed_at: e.completed_at! });
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
              (query.statuses === undefined || query.statuses.includes(e.status)) &&
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
    listRetriesOf: async (ids) => {
      if (ids.length === 0) return [];
      return attempt('listRetriesOf', () => {
        const of = new Set(ids);
        return [...executions.values()]
          .filter((e) => e.retry_of !== null && of.has(e.retry_of))
          .map((e) => fromRetryRunRow({ id: e.id, status: e.status, started_at: e.started_at, retry_of: e.retry_of! }))
          .sort(oldestRetryFirst);
      });
    },
    listRunSpans: (jobName, window) =>
      attempt('listRunSpans', () => {
        const [from, to] = [isoTimestamp(window.from), isoTimestamp(window.to)];
        return [...executions.values()]
          .filter((e) => e.job_name === jobName && e.started_at >= from && e.started_at < to)
          .sort((a, b) => -newestFirst(a, b))
          .map(fromRunSpanRow);
      }),
    listPauseChanges: (name, window) =>
      attempt('listPauseChanges', () => {
        const [from, to] = [isoTimestamp(window.from), isoTimestamp(window.to)];
        const changes = pauseChangesOf(name);
        const opening = changes.filter((c) => c.at < from).slice(-1);
        return [...opening, ...changes.filter((c) => c.at >= from && c.at < to)].map(fromPauseChangeRow);
      }),
    listLatestPauseChanges: (name, limit) =>
      attempt('listLatestPauseChanges', () => pauseChangesOf(name).reverse().slice(0, limit).map(fromPauseChangeRow)),
    recordAlert: (alert) =>
      attempt('recordAlert', () => {
        const row = structuredClone(toJobAlertWrite(alert));
        const existing = alerts.get(row.id);
        if (!existing || compareText(existing.updated_at, row.updated_at) <= 0) alerts.set(row.id, row);
      }),
    listAlerts: (query) =>
      attempt('listAlerts', () => {
        const before = query.before && { openedAt: isoTimestamp(query.before.openedAt), id: query.before.id };
        return [...alerts.values()]
          .filter(
            (a) =>
              (query.state === undefined || a.state === query.state) &&
              (query.jobName === undefined || a.job_name === query.jobName) &&
              (query.service === undefined || a.service === query.service) &&
              (before === undefined ||
                a.opened_at < before.openedAt ||
                (a.opened_at === before.openedAt && a.id < before.id)),
          )
          .sort(newestOpenedFirst)
          .slice(0, query.limit)
          .map((a) => fromJobAlertRow(structuredClone(a)));
      }),
    pruneAlerts: (resolvedBefore, limit) =>
      attempt('pruneAlerts', () => {
        const cutoff = isoTimestamp(resolvedBefore);
        const removed = [...alerts.values()]
          .filter((a) => a.state === 'resolved' && a.resolved_at !== null && a.resolved_at < cutoff)
          .sort((a, b) => compareText(a.resolved_at!, b.resolved_at!) || compareText(a.id, b.id))
          .slice(0, limit);
        for (const a of removed) alerts.delete(a.id);
        return removed.length;
      }),
    ping: () => attempt('ping', () => undefined),
    close: async () => {
      closed = true;
    },
  };
}
