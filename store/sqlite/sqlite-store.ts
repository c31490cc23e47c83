import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setImmediate } from 'node:timers/promises';
import Database from 'better-sqlite3';
import {
  FAILED_STATUSES,
  UNSUCCESSFUL_STATUSES,
  type ExecutionRecord,
  type ExecutionStatus,
} from '../../jobs/execution';
import {
  StoreError,
  type AlertQuery,
  type ExecutionQuery,
  type JobQuery,
  type JobRecord,
  type JobRow,
  type JobStore,
} from '../job-store';
import { jobsInChunks } from '../job-chunks';
import { healthWindow, RECENT_WINDOW, type HealthWindowRow } from '../run-health';
import {
  fromJobAlertRow,
  fromJobScheduleRow,
  fromPauseChangeRow,
  fromRetryRunRow,
  fromRunSpanRow,
  fromScheduledJobRow,
  isoTimestamp,
  JOB_READ_COLUMNS,
  oldestRetryFirst,
  PAUSE_CHANGE_COLUMNS,
  type PauseChangeRow,
  RETRY_RUN_COLUMNS,
  RUN_SPAN_COLUMNS,
  type RunSpanRow,
  type RetryRunRow,
  toJobAlertWrite,
  toJobScheduleWrite,
  toScheduledJobWrite,
  type JobAlertRow,
  type JobScheduleRow,
  type ScheduledJobRow,
} from '../rows';
import { ADDED_COLUMNS, ADDED_INDEXES, JOB_ALERTS, NOW, ON_ADDED_COLUMN, PAUSE_HISTORY, SCHEMA } from './schema';

const UPSERT_JOB = `
INSERT INTO job_schedules (job_name, service, endpoint, method, cron_expression, timezone, enabled, paused, description,
  payload, definition, pause_note, schedule_note, next_run_times, skipped_runs, missed_runs, schedule_updated_at, created_at, updated_at)
VALUES (@job_name, @service, @endpoint, @method, @cron_expression, @timezone, @enabled, @paused, @description, @payload,
  @definition, @pause_note, @schedule_note, @next_run_times, @skipped_runs, @missed_runs, @schedule_updated_at, @created_at,
  @updated_at)
ON CONFLICT (job_name) DO UPDATE SET
  service = excluded.service,
  endpoint = excluded.endpoint,
  method = excluded.method,
  cron_expression = excluded.cron_expression,
  timezone = excluded.timezone,
  enabled = excluded.enabled,
  paused = excluded.paused,
  description = excluded.description,
  payload = excluded.payload,
  definition = excluded.definition,
  pause_note = excluded.pause_note,
  schedule_note = excluded.schedule_note,
  next_run_times = excluded.next_run_times,
  skipped_runs = excluded.skipped_runs,
  missed_runs = excluded.missed_runs,
  schedule_updated_at = excluded.schedule_updated_at,
  updated_at = excluded.updated_at
WHERE CASE
  WHEN excluded.schedule_updated_at IS NULL THEN job_schedules.schedule_updated_at IS NULL
  ELSE job_schedules.schedule_updated_at IS NULL OR job_schedules.schedule_updated_at <= excluded.schedule_updated_at
END`;

const UPSERT_EXECUTION = `
INSERT INTO scheduled_jobs (id, job_name, service, status, trigger, triggered_by, retry_of, scheduled_at, started_at,
  completed_at, duration_ms, attempts, http_status, error, response, workflow_id, run_id, dropped_fields)
VALUES (@id, @job_name, @service, @status, @trigger, @triggered_by, @retry_of, @scheduled_at, @started_at,
  @completed_at, @duration_ms, @attempts, @http_status, @error, @response, @workflow_id, @run_id, @dropped_fields)
ON CONFLICT (id) DO UPDATE SET
  job_name = excluded.job_name,
  service = excluded.service,
  status = excluded.status,
  trigger = excluded.trigger,
  triggered_by = excluded.triggered_by,
  retry_of = excluded.retry_of,
  scheduled_at = excluded.scheduled_at,
  started_at = excluded.started_at,
  completed_at = excluded.completed_at,
  duration_ms = excluded.duration_ms,
  attempts = excluded.attempts,
  http_status = excluded.http_status,
  error = excluded.error,
  response = excluded.response,
  workflow_id = excluded.workflow_id,
  run_id = excluded.run_id,
  dropped_fields = excluded.dropped_fields,
  updated_at = ${NOW}
WHERE scheduled_jobs.status = 'running' OR excluded.status <> 'running'`;

/**
 * The most job rows one statement of `listJobs` reads (3 to 6 ms of the event loop on 2 shared cores): a longer list
 * (the reconciler's 10,000 jobs, a /metrics read) is read chunk by chunk in name order, each chunk on a turn of its
 * own, so the API's reads go on between them (better-sqlite3 answers on the event loop; 10,000 rows in one
 * statement held it 310 to 360 ms).
 */
const LIST_CHUNK_ROWS = 100;

/** listJobs's filters as SQL conditions (`limit` is not one). */
const LIST_FILTERS: Record<string, string> = {
  service: 'service = @service',
  paused: 'paused = @paused',
  nameContains: 'instr(lower(job_name), lower(@nameContains)) > 0',
  // as two filters, so that `failing` reads job_schedules_failing_idx
  failing: 'consecutive_failures > 0',
  passing: 'consecutive_failures = 0',
  after: 'job_name > @after',
};

/** `job_schedules`' JSON text columns: read as JSON values inside {@link JOB_READ_OBJECT}. */
const JSON_COLUMNS = new Set(['definition', 'next_run_times', 'recent_runs']);

/**
 * A job row's read columns as one JSON object built by SQLite (its JSON columns as values, not text): one string
 * per row and one `JSON.parse`, where better-sqlite3 would hand each of 27 columns over one by one (a page of 50
 * rows read 2 to 3 times faster).
 */
const JOB_READ_OBJECT = `json_object(${JOB_READ_COLUMNS.split(', ')
  .map((column) => `'${column}', ${JSON_COLUMNS.has(column) ? `json(${column})` : column}`)
  .join(', ')})`;

/** A row read as {@link JOB_READ_OBJECT}. */
const fromJobObject = (text: string): JobRow => fromJobScheduleRow(JSON.parse(text) as JobScheduleRow);

/** The unsuccessful statuses as an SQL list: `('failed', …)`. */
const UNSUCCESSFUL = `(${UNSUCCESSFUL_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/** A job's health columns as a write or recount starts from them. */
interface StoredHealth {
  last_success_at: string | null;
  last_failure_at: string | null;
  consecutive_failures: number;
  pruned_failure_streak: number;
  pruned_through: string | null;
}

const STORED_HEALTH = `SELECT last_success_at, last_failure_at, consecutive_failures, pruned_failure_streak, pruned_through
FROM job_schedules WHERE job_name = ?`;

/**
 * The reads of a job's health recount (a new job's row, `recountJob`), each through scheduled_jobs_job_completed_idx
 * (`job_name`), so it costs the job's own rows, not every job's. The partial index needs `status <> 'running'` in the
 * query, and a status term the planner could answer from scheduled_jobs_status_idx is kept off it with a unary `+`:
 * planned on that index, the latest success read every succeeded row of every job (77 % of bench:job-metrics' fill of
 * 10,000 jobs × 20 runs). store/sqlite/sqlite-store.test.ts checks each plan.
 * - `FAILURES_AFTER`: unsuccessful rows of a job that ended after `@after` (all of them with a null `@after`);
 * - `LATEST_ENDS`: the latest end of a job's succeeded rows, and of its unsuccessful ones.
 */
export const JOB_HEALTH_READS = {
  FAILURES_AFTER: `SELECT count(*) AS n FROM scheduled_jobs
WHERE job_name = @job_name AND status <> 'running' AND status IN ${UNSUCCESSFUL}
  AND (@after IS NULL OR completed_at > @after)`,
  LATEST_ENDS: `SELECT
  (SELECT max(completed_at) FROM scheduled_jobs WHERE job_name = @job_name AND status <> 'running'
    AND +status = 'succeeded') AS success,
  (SELECT max(completed_at) FROM scheduled_jobs WHERE job_name = @job_name AND status <> 'running'
    AND status IN ${UNSUCCESSFUL}) AS failure`,
};

/** The job's newest rows, and its latest-ended rows, for recent_runs and the duration percentiles. */
const NEWEST_ROWS = `SELECT id, status, started_at, duration_ms FROM scheduled_jobs WHERE job_name = ?
ORDER BY started_at DESC, id DESC LIMIT ${RECENT_WINDOW}`;
const LATEST_ENDED_ROWS = `SELECT id, status, started_at, duration_ms FROM scheduled_jobs
WHERE job_name = ? AND status <> 'running' ORDER BY completed_at DESC, id DESC LIMIT ${RECENT_WINDOW}`;

const WRITE_HEALTH = `UPDATE job_schedules SET last_success_at = @last_success_at, last_failure_at = @last_failure_at,
  consecutive_failures = @consecutive_failures, pruned_failure_streak = @pruned_failure_streak,
  duration_p50_ms = @p50, duration_p95_ms = @p95, recent_runs = @recent_runs
WHERE job_name = @job_name`;

/** The later of two ISO-8601 UTC timestamps (text order is time order); null only when both are. */
const later = (a: string | null, b: string | null) => (a === null ? b : b === null || a >= b ? a : b);

/** The job's newest execution, through scheduled_jobs_job_started_idx. */
const LAST_EXECUTION = `(last_run_at, last_status, last_execution_id, last_completed_at) = (
    SELECT started_at, status, id, completed_at FROM scheduled_jobs WHERE job_name = @job_name
    ORDER BY started_at DESC, id DESC LIMIT 1
  )`;

/**
 * As the migrations' record_execution: a write moves its job's counters by its own step, from the row's status
 * before it (@before, null for a new row) to the status it wrote (@after), so a write costs the same at any number
 * of rows. A recount of every row cost 12 ms per write at 100,000 rows, on the event loop.
 */
const COUNT_STEP = `
UPDATE job_schedules SET
  total_runs = total_runs + (@before IS NULL),
  successful_runs = successful_runs + (@after = 'succeeded') - coalesce(@before = 'succeeded', 0),
  failed_runs = failed_runs + (@after IN ('failed', 'timed_out')) - coalesce(@before IN ('failed', 'timed_out'), 0),
  ${LAST_EXECUTION}
WHERE job_name = @job_name`;

/**
 * The same recount as the migrations' refresh_job_stats: the rows plus what retention removed. For a job row created
 * after its executions, and for the reconciler.
 */
const REFRESH_JOB_STATS = `
UPDATE job_schedules SET
  (total_runs, successful_runs, failed_runs) = (
    SELECT count(*) + job_schedules.pruned_runs,
      count(*) FILTER (WHERE status = 'succeeded') + job_schedules.pruned_successful_runs,
      count(*) FILTER (WHERE status IN ('failed', 'timed_out')) + job_schedules.pruned_failed_runs
    FROM scheduled_jobs WHERE job_name = @job_name
  ),
  ${LAST_EXECUTION}
WHERE job_name = @job_name`;

/** A job's changes in [@from, @to), after the last one before @from, through job_pause_history_job_at_idx. */
const PAUSE_CHANGES = `
SELECT * FROM (
  SELECT ${PAUSE_CHANGE_COLUMNS}, id FROM job_pause_history WHERE job_name = @job_name AND at < @from
  ORDER BY at DESC, id DESC LIMIT 1
)
UNION ALL
SELECT ${PAUSE_CHANGE_COLUMNS}, id FROM job_pause_history WHERE job_name = @job_name AND at >= @from AND at < @to
ORDER BY at, id`;

const LATEST_PAUSE_CHANGES = `SELECT ${PAUSE_CHANGE_COLUMNS} FROM job_pause_history WHERE job_name = ?
ORDER BY at DESC, id DESC LIMIT ?`;

/** As the migrations' prune_executions: ended rows before the cutoff, oldest first, each job's newest row kept. */
const PRUNE_CANDIDATES = `
SELECT id, job_name, status, completed_at FROM scheduled_jobs s
WHERE status <> 'running' AND completed_at < @ended_before
  AND EXISTS (
    SELECT 1 FROM scheduled_jobs n WHERE n.job_name = s.job_name AND (n.started_at, n.id) > (s.started_at, s.id)
  )
ORDER BY completed_at, id
LIMIT @limit`;

const ADD_PRUNED = `
UPDATE job_schedules SET
  pruned_runs = pruned_runs + @runs,
  pruned_successful_runs = pruned_successful_runs + @successful,
  pruned_failed_runs = pruned_failed_runs + @failed,
  -- removed unsuccessful rows that ended after the last success: part of the streak, which stays as it was
  pruned_failure_streak = pruned_failure_streak + @streak,
  pruned_through = max(coalesce(pruned_through, @ended_before), @ended_before)
WHERE job_name = @job_name`;

/** A new row of a pruned job that ended (or, running, started) before its cutoff: a removed row coming back. */
const PRUNED_BEFORE = `
SELECT 1 FROM job_schedules WHERE job_name = @job_name AND coalesce(@completed_at, @started_at) < pruned_through`;

/** As the migrations' record_alert: a write replaces the episode only when at least as recent. */
const RECORD_ALERT = `
INSERT INTO job_alerts (id, job_name, service, rule, state, summary, opened_at, resolved_at, runs, deliveries, updated_at)
VALUES (@id, @job_name, @service, @rule, @state, @summary, @opened_at, @resolved_at, @runs, @deliveries, @updated_at)
ON CONFLICT (id) DO UPDATE SET
  job_name = excluded.job_name,
  service = excluded.service,
  rule = excluded.rule,
  state = excluded.state,
  summary = excluded.summary,
  opened_at = excluded.opened_at,
  resolved_at = excluded.resolved_at,
  runs = excluded.runs,
  deliveries = excluded.deliveries,
  updated_at = excluded.updated_at
WHERE excluded.updated_at >= job_alerts.updated_at`;

/** As the migrations' prune_alerts: resolved episodes before the cutoff, oldest first. */
const PRUNE_ALERTS = `
DELETE FROM job_alerts WHERE id IN (
  SELECT id FROM job_alerts WHERE state = 'resolved' AND resolved_at < @resolved_before
  ORDER BY resolved_at, id LIMIT @limit
)`;

interface PruneCandidate {
  id: string;
  job_name: string;
  status: ExecutionStatus;
  completed_at: string;
}

/** The store over a better-sqlite3 database, for tests that also need to query the database directly. */
export function createSqliteStoreWithDb(filename: string): { store: JobStore; db: Database.Database } {
  if (filename !== ':memory:') mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
  const db = new Database(filename);
  let recountHealth = false;
  try {
    db.pragma('journal_mode = WAL');
    // Commits survive a crash of the process; only a power loss can take the last ones, and the reconciler
    // rewrites those from Temporal. FULL would fsync on every write, on the event loop.
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    recountHealth = lacksHealth(db);
    addMissingColumns(db);
    db.exec(ADDED_INDEXES);
    db.exec(PAUSE_HISTORY);
    db.exec(JOB_ALERTS);
  } catch (err) {
    db.close();
    throw new StoreError('open', { cause: err });
  }

  const upsertJob = db.prepare(UPSERT_JOB);
  const upsertExecution = db.prepare(UPSERT_EXECUTION);
  const refreshJobStats = db.prepare(REFRESH_JOB_STATS);
  const countStep = db.prepare(COUNT_STEP);
  const jobExists = db.prepare<[string], unknown>('SELECT 1 FROM job_schedules WHERE job_name = ?');
  const executionBefore = db.prepare<[string], { status: string; job_name: string }>(
    'SELECT status, job_name FROM scheduled_jobs WHERE id = ?',
  );
  const deleteJob = db.prepare('DELETE FROM job_schedules WHERE job_name = ?');
  const pruneCandidates = db.prepare<{ ended_before: string; limit: number }, PruneCandidate>(PRUNE_CANDIDATES);
  const deleteExecution = db.prepare<[string]>('DELETE FROM scheduled_jobs WHERE id = ?');
  const addPruned = db.prepare(ADD_PRUNED);
  const prunedBefore = db.prepare(PRUNED_BEFORE);
  const getJob = db
    .prepare<[string], string>(`SELECT ${JOB_READ_OBJECT} FROM job_schedules WHERE job_name = ?`)
    .pluck();
  const pauseChanges = db.prepare<{ job_name: string; from: string; to: string }, PauseChangeRow>(PAUSE_CHANGES);
  const latestPauseChanges = db.prepare<[string, number], PauseChangeRow>(LATEST_PAUSE_CHANGES);
  const recordAlert = db.prepare(RECORD_ALERT);
  const pruneAlerts = db.prepare<{ resolved_before: string; limit: number }>(PRUNE_ALERTS);
  const getExecution = db.prepare<[string], ScheduledJobRow>('SELECT * FROM scheduled_jobs WHERE id = ?');
  const storedHealth = db.prepare<[string], StoredHealth>(STORED_HEALTH);
  const failuresAfter = db.prepare<{ job_name: string; after: string | null }, { n: number }>(
    JOB_HEALTH_READS.FAILURES_AFTER,
  );
  const latestEnds = db.prepare<{ job_name: string }, { success: string | null; failure: string | null }>(
    JOB_HEALTH_READS.LATEST_ENDS,
  );
  const newestRows = db.prepare<[string], HealthWindowRow>(NEWEST_ROWS);
  const latestEndedRows = db.prepare<[string], HealthWindowRow>(LATEST_ENDED_ROWS);
  const writeHealth = db.prepare(WRITE_HEALTH);

  /**
   * Writes a job's health: `ends` are its last success and failure, streak and the streak's removed part, as the
   * caller worked them out; recent runs and percentiles come from its newest rows (two bounded index reads).
   */
  const saveHealth = (job_name: string, ends: Omit<StoredHealth, 'pruned_through'>) => {
    const { recentRuns, durations } = healthWindow(newestRows.all(job_name), latestEndedRows.all(job_name));
    writeHealth.run({
      job_name,
      ...ends,
      p50: durations.p50Ms,
      p95: durations.p95Ms,
      recent_runs: JSON.stringify(recentRuns),
    });
  };

  /**
   * As the migrations' refresh_job_health: a job's health from all its rows, keeping what retention removed (a last
   * success or failure older than its cutoff, the removed part of the streak).
   */
  const refreshHealth = (job_name: string) => {
    const stored = storedHealth.get(job_name);
    if (!stored) return;
    const { success, failure } = latestEnds.get({ job_name })!;
    const removed = (t: string | null) =>
      t !== null && stored.pruned_through !== null && t < stored.pruned_through ? t : null;
    const last_success_at = later(success, removed(stored.last_success_at));
    // every removed row ended before the cutoff: a success at or after it follows them all
    const pruned_failure_streak =
      last_success_at !== null && stored.pruned_through !== null && last_success_at >= stored.pruned_through
        ? 0
        : stored.pruned_failure_streak;
    saveHealth(job_name, {
      last_success_at,
      last_failure_at: later(failure, removed(stored.last_failure_at)),
      consecutive_failures: failuresAfter.get({ job_name, after: last_success_at })!.n + pruned_failure_streak,
      pruned_failure_streak,
    });
  };

  /**
   * As the migrations' record_execution: the health step of one accepted write from status `before` (null for a new
   * row) to `after`. Only a run's first end moves the ends and the streak, so a repeated end write changes nothing;
   * an end replaced by another (rare: a row restored from Temporal) is recounted.
   */
  const healthStep = (
    job_name: string,
    before: ExecutionStatus | null,
    after: ExecutionStatus,
    ended: string | null,
  ) => {
    const stored = storedHealth.get(job_name);
    if (!stored) return;
    if (before !== null && before !== 'running' && before !== after) return refreshHealth(job_name);
    const next: Omit<StoredHealth, 'pruned_through'> = { ...stored };
    const firstEnd = (before === null || before === 'running') && after !== 'running' && ended !== null;
    const afterLastSuccess = stored.last_success_at === null || (ended !== null && ended > stored.last_success_at);
    if (firstEnd && after === 'succeeded' && afterLastSuccess) {
      next.last_success_at = ended;
      next.consecutive_failures = failuresAfter.get({ job_name, after: ended })!.n;
      next.pruned_failure_streak = 0;
    } else if (firstEnd && UNSUCCESSFUL_STATUSES.includes(after)) {
      next.last_failure_at = later(stored.last_failure_at, ended);
      if (afterLastSuccess) next.consecutive_failures++;
    }
    saveHealth(job_name, next);
  };

  // Run with .immediate(): taking the write lock up front avoids SQLITE_BUSY on lock upgrade when an API and a worker
  // process share the file.
  const writeJob = db.transaction((job: JobRecord) => {
    const row = toJobScheduleWrite(job);
    const isNew = jobExists.get(row.job_name) === undefined;
    upsertJob.run({
      ...row,
      enabled: row.enabled ? 1 : 0,
      paused: row.paused ? 1 : 0,
      payload: JSON.stringify(row.payload),
      definition: JSON.stringify(row.definition),
      next_run_times: JSON.stringify(row.next_run_times),
    });
    // its executions may have landed first; a rewrite leaves the counters as the execution writes keep them
    if (isNew) {
      refreshJobStats.run({ job_name: row.job_name });
      refreshHealth(row.job_name);
    }
  });
  const recountJob = db.transaction((name: string) => {
    refreshJobStats.run({ job_name: name });
    refreshHealth(name);
  });
  const writeExecution = db.transaction((execution: ExecutionRecord) => {
    const row = toScheduledJobWrite(execution);
    const before = executionBefore.get(row.id);
    const { job_name, completed_at, started_at } = row;
    if (!before && prunedBefore.get({ job_name, completed_at, started_at })) return; // a row retention removed, written again
    const dropped = row.dropped_fields && JSON.stringify(row.dropped_fields);
    if (upsertExecution.run({ ...row, dropped_fields: dropped }).changes === 0) return; // a late `running` write, refused
    if (before && before.job_name !== row.job_name) {
      // an execution moved to another job (never done by the service itself): recount both
      for (const job_name of [before.job_name, row.job_name]) {
        refreshJobStats.run({ job_name });
        refreshHealth(job_name);
      }
      return;
    }
    countStep.run({ job_name: row.job_name, before: before?.status ?? null, after: row.status });
    healthStep(row.job_name, (before?.status as ExecutionStatus | undefined) ?? null, row.status, completed_at);
  });

  if (recountHealth) {
    // a database from before the health columns: each job's health from its rows, once (later writes keep it)
    const names = db.prepare<[], { job_name: string }>('SELECT job_name FROM job_schedules').all();
    db.transaction(() => names.forEach(({ job_name }) => refreshHealth(job_name)))();
  }

  const pruneBatch = db.transaction((endedBefore: string, limit: number) => {
    const ended_before = isoTimestamp(endedBefore);
    const byJob = new Map<string, { runs: number; successful: number; failed: number; streak: number }>();
    for (const { id, job_name, status, completed_at } of pruneCandidates.all({ ended_before, limit })) {
      deleteExecution.run(id);
      const counts = byJob.get(job_name) ?? { runs: 0, successful: 0, failed: 0, streak: 0 };
      counts.runs++;
      if (status === 'succeeded') counts.successful++;
      if (FAILED_STATUSES.includes(status)) counts.failed++;
      if (UNSUCCESSFUL_STATUSES.includes(status)) {
        const lastSuccess = storedHealth.get(job_name)?.last_success_at ?? null;
        if (lastSuccess === null || completed_at > lastSuccess) counts.streak++;
      }
      byJob.set(job_name, counts);
    }
    for (const [job_name, counts] of byJob) addPruned.run({ job_name, ended_before, ...counts });
    return [...byJob.values()].reduce((sum, c) => sum + c.runs, 0);
  });

  /** One statement per combination of filters, prepared once. */
  const listStatements = new Map<string, Database.Statement<Record<string, unknown>, string>>();
  const listJobsStatement = (filters: string[]) => {
    const key = filters.join();
    let statement = listStatements.get(key);
    if (!statement) {
      const where = filters.flatMap((f) => LIST_FILTERS[f] ?? []);
      statement = db
        .prepare<Record<string, unknown>, string>(
          `SELECT ${JOB_READ_OBJECT} FROM job_schedules ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
            `ORDER BY job_name${filters.includes('limit') ? ' LIMIT @limit' : ''}`,
        )
        .pluck();
      listStatements.set(key, statement);
    }
    return statement;
  };

  /** One statement of listJobs: a chunk of at most `limit` rows. */
  const readJobs = (filter: JobQuery & { limit: number }): JobRow[] => {
    const { service, paused, nameContains, failing, after, limit } = filter;
    const flag = (value: boolean | undefined) => (value === undefined ? undefined : Number(value));
    const params = {
      service,
      paused: flag(paused),
      nameContains,
      failing: failing === true ? 1 : undefined,
      passing: failing === false ? 1 : undefined,
      after,
      limit,
    };
    const used = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
    return listJobsStatement(Object.keys(used)).all(used).map(fromJobObject);
  };

  /** Every failure leaves the store as a StoreError, as with the Supabase store. */
  const attempt = async <T>(operation: string, fn: () => T): Promise<T> => {
    try {
      return fn();
    } catch (err) {
      throw new StoreError(operation, { cause: err, refused: refusedForContent(err) });
    }
  };

  const store: JobStore = {
    upsertJob: (job) => attempt('upsertJob', () => writeJob.immediate(job)),
    deleteJob: (name) => attempt('deleteJob', () => void deleteJob.run(name)),
    getJob: (name) =>
      attempt('getJob', () => {
        const row = getJob.get(name);
        return row === undefined ? null : fromJobObject(row);
      }),
    listJobs: (filter) =>
      jobsInChunks(filter, LIST_CHUNK_ROWS, (chunk) => attempt('listJobs', () => readJobs(chunk)), setImmediate),
    recordExecution: (execution) => attempt('recordExecution', () => writeExecution.immediate(execution)),
    recountJob: (name) => attempt('recountJob', () => recountJob.immediate(name)),
    pruneExecutions: async (endedBefore, limit) => {
      // SQLite writes hold the event loop: each batch starts on a turn of its own, after the writes already waiting
      await setImmediate();
      return attempt('pruneExecutions', () => pruneBatch.immediate(endedBefore, limit));
    },
    getExecution: (id) =>
      attempt('getExecution', () => {
        const row = getExecution.get(id);
        return row ? fromScheduledJobRow(row) : null;
      }),
    getExecutions: (ids) => attempt('getExecutions', () => getExecutions(db, ids)),
    listExecutions: (query) => attempt('listExecutions', () => listExecutions(db, query)),
    listRetriesOf: async (ids) => (ids.length === 0 ? [] : attempt('listRetriesOf', () => listRetriesOf(db, ids))),
    listRunSpans: (jobName, window) => attempt('listRunSpans', () => listRunSpans(db, jobName, window)),
    listPauseChanges: (job_name, { from, to }) =>
      attempt('listPauseChanges', () =>
        pauseChanges.all({ job_name, from: isoTimestamp(from), to: isoTimestamp(to) }).map(fromPauseChangeRow),
      ),
    listLatestPauseChanges: (name, limit) =>
      attempt('listLatestPauseChanges', () => latestPauseChanges.all(name, limit).map(fromPauseChangeRow)),
    recordAlert: (alert) =>
      attempt('recordAlert', () => {
        const row = toJobAlertWrite(alert);
        recordAlert.run({
          ...row,
          rule: JSON.stringify(row.rule),
          runs: JSON.stringify(row.runs),
          deliveries: JSON.stringify(row.deliveries),
        });
      }),
    listAlerts: (query) => attempt('listAlerts', () => listAlerts(db, query)),
    pruneAlerts: (resolvedBefore, limit) =>
      attempt('pruneAlerts', () => pruneAlerts.run({ resolved_before: isoTimestamp(resolvedBefore), limit }).changes),
    ping: () => attempt('ping', () => void db.prepare('SELECT 1').get()),
    close: async () => {
      db.close();
    },
  };
  return { store, db };
}

/**
 * SQLite's answers to a row it will never take, whatever the retry: a constraint (CHECK, NOT NULL, a trigger's
 * RAISE(ABORT)), a value of the wrong type for a STRICT table, a value too big. Busy, locked, I/O and full-disk
 * errors are not refusals: they pass.
 */
const CONTENT_REFUSALS = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG)/;

/** True when `err` is SQLite refusing a write for its content. */
export function refusedForContent(err: unknown): boolean {
  // by name and code, not `instanceof`: the native addon keeps the SqliteError class of the first module instance
  // that loaded it, so a second instance (jest's per-file registries) sees errors of a class it does not know
  const { name, code } = (err ?? {}) as { name?: unknown; code?: unknown };
  return name === 'SqliteError' && typeof code === 'string' && CONTENT_REFUSALS.test(code);
}

/** The SQLite mirror (`:memory:` or a file, whose directory is created). */
export function createSqliteStore(filename: string): JobStore {
  return createSqliteStoreWithDb(filename).store;
}

/** Well under SQLite's limit on bound parameters (32766 since 3.32, 999 before). */
const IDS_PER_SELECT = 500;

/** Through scheduled_jobs_retry_of_idx, one query per {@link IDS_PER_SELECT} ids. */
function listRetriesOf(db: Database.Database, ids: readonly string[]) {
  const distinct = [...new Set(ids)];
  const rows: RetryRunRow[] = [];
  for (let i = 0; i < distinct.length; i += IDS_PER_SELECT) {
    const chunk = distinct.slice(i, i + IDS_PER_SELECT);
    const marks = chunk.map(() => '?').join(', ');
    rows.push(
      ...db
        .prepare<string[], RetryRunRow>(`SELECT ${RETRY_RUN_COLUMNS} FROM scheduled_jobs WHERE retry_of IN (${marks})`)
        .all(...chunk),
    );
  }
  return rows.map(fromRetryRunRow).sort(oldestRetryFirst);
}

function listRunSpans(db: Database.Database, jobName: string, window: { from: string; to: string }) {
  return db
    .prepare<[string, string, string], RunSpanRow>(
      `SELECT ${RUN_SPAN_COLUMNS} FROM scheduled_jobs WHERE job_name = ? AND started_at >= ? AND started_at < ?
       ORDER BY started_at, id`,
    )
    .all(jobName, isoTimestamp(window.from), isoTimestamp(window.to))
    .map(fromRunSpanRow);
}

/** No ids, no query: the store answers [] even once closed, as the other stores do. */
function getExecutions(db: Database.Database, ids: readonly string[]): ExecutionRecord[] {
  const distinct = [...new Set(ids)];
  const rows: ScheduledJobRow[] = [];
  for (let i = 0; i < distinct.length; i += IDS_PER_SELECT) {
    const chunk = distinct.slice(i, i + IDS_PER_SELECT);
    const marks = chunk.map(() => '?').join(', ');
    rows.push(
      ...db.prepare<string[], ScheduledJobRow>(`SELECT * FROM scheduled_jobs WHERE id IN (${marks})`).all(...chunk),
    );
  }
  return rows.map(fromScheduledJobRow);
}

/** A list query's WHERE clause, built from the filters that are set, and its named parameters. */
function filtersOf(limit: number) {
  const conditions: string[] = [];
  const params: Record<string, string | number> = { limit };
  return {
    params,
    /** `column = @column`, when `value` is set. */
    equal(column: string, value: string | undefined) {
      if (value === undefined) return;
      conditions.push(`${column} = @${column}`);
      params[column] = value;
    },
    /** A condition over parameters of its own. */
    add(condition: string, values: Record<string, string | number> = {}) {
      conditions.push(condition);
      Object.assign(params, values);
    },
    /** Rows strictly after `before` in the order `<column> DESC, id DESC` (a page's cursor). */
    after(column: string, before: { at: string; id: string } | undefined) {
      if (before === undefined) return;
      conditions.push(`(${column} < @before_at OR (${column} = @before_at AND id < @before_id))`);
      Object.assign(params, { before_at: isoTimestamp(before.at), before_id: before.id });
    },
    where: () => (conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''),
  };
}

function listExecutions(db: Database.Database, query: ExecutionQuery): ExecutionRecord[] {
  const filters = filtersOf(query.limit);
  filters.equal('job_name', query.jobName);
  filters.equal('service', query.service);
  if (query.statuses !== undefined) {
    const values = Object.fromEntries(query.statuses.map((status, i) => [`status_${i}`, status]));
    const names = Object.keys(values).map((name) => `@${name}`);
    filters.add(names.length > 0 ? `status IN (${names.join(', ')})` : '0', values);
  }
  if (query.startedAfter !== undefined) {
    filters.add('started_at >= @started_after', { started_after: isoTimestamp(query.startedAfter) });
  }
  if (query.startedBefore !== undefined) {
    filters.add('started_at < @started_before', { started_before: isoTimestamp(query.startedBefore) });
  }
  filters.after('started_at', query.before && { at: query.before.startedAt, id: query.before.id });
  return db
    .prepare<Record<string, string | number>, ScheduledJobRow>(
      `SELECT * FROM scheduled_jobs ${filters.where()} ORDER BY started_at DESC, id DESC LIMIT @limit`,
    )
    .all(filters.params)
    .map(fromScheduledJobRow);
}

function listAlerts(db: Database.Database, query: AlertQuery) {
  const filters = filtersOf(query.limit);
  filters.equal('state', query.state);
  filters.equal('job_name', query.jobName);
  filters.equal('service', query.service);
  filters.after('opened_at', query.before && { at: query.before.openedAt, id: query.before.id });
  return db
    .prepare<Record<string, string | number>, JobAlertRow>(
      `SELECT * FROM job_alerts ${filters.where()} ORDER BY opened_at DESC, id DESC LIMIT @limit`,
    )
    .all(filters.params)
    .map(fromJobAlertRow);
}

/** Brings a database file written by an earlier version up to the current tables. */
function addMissingColumns(db: Database.Database): void {
  for (const [table, columns] of Object.entries(ADDED_COLUMNS)) {
    const info = db.pragma(`table_info(${table})`) as { name: string }[];
    const present = new Set(info.map((c) => c.name));
    for (const [column, definition] of Object.entries(columns)) {
      if (present.has(column)) continue;
      db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
      const rewrite = ON_ADDED_COLUMN[`${table}.${column}`];
      if (rewrite) db.exec(rewrite);
    }
  }
}

/** Whether `job_schedules` lacks the health columns: a database from before they were added, recounted at open. */
function lacksHealth(db: Database.Database): boolean {
  const info = db.pragma('table_info(job_schedules)') as { name: string }[];
  return !info.some((c) => c.name === 'recent_runs');
}
