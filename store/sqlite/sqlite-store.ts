import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setImmediate } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { FAILED_STATUSES, type ExecutionRecord, type ExecutionStatus } from '../../jobs/execution';
import { StoreError, type ExecutionQuery, type JobRecord, type JobRow, type JobStore } from '../job-store';
import {
  fromJobScheduleRow,
  fromScheduledJobRow,
  isoTimestamp,
  JOB_READ_COLUMNS,
  toJobScheduleWrite,
  toScheduledJobWrite,
  type JobScheduleRow,
  type ScheduledJobRow,
} from '../rows';
import { ADDED_COLUMNS, NOW, ON_ADDED_COLUMN, SCHEMA } from './schema';

const UPSERT_JOB = `
INSERT INTO job_schedules (job_name, service, endpoint, method, cron_expression, timezone, enabled, paused, description,
  payload, definition, pause_note, next_run_times, skipped_runs, missed_runs, schedule_updated_at, created_at, updated_at)
VALUES (@job_name, @service, @endpoint, @method, @cron_expression, @timezone, @enabled, @paused, @description, @payload,
  @definition, @pause_note, @next_run_times, @skipped_runs, @missed_runs, @schedule_updated_at, @created_at,
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

/** listJobs's filters as SQL conditions (`limit` is not one). */
const LIST_FILTERS: Record<string, string> = {
  service: 'service = @service',
  paused: 'paused = @paused',
  after: 'job_name > @after',
};

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

/** As the migrations' prune_executions: ended rows before the cutoff, oldest first, each job's newest row kept. */
const PRUNE_CANDIDATES = `
SELECT id, job_name, status FROM scheduled_jobs s
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
  pruned_through = max(coalesce(pruned_through, @ended_before), @ended_before)
WHERE job_name = @job_name`;

/** A new row of a pruned job that ended (or, running, started) before its cutoff: a removed row coming back. */
const PRUNED_BEFORE = `
SELECT 1 FROM job_schedules WHERE job_name = @job_name AND coalesce(@completed_at, @started_at) < pruned_through`;

interface PruneCandidate {
  id: string;
  job_name: string;
  status: ExecutionStatus;
}

/** The store over a better-sqlite3 database, for tests that also need to query the database directly. */
export function createSqliteStoreWithDb(filename: string): { store: JobStore; db: Database.Database } {
  if (filename !== ':memory:') mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
  const db = new Database(filename);
  try {
    db.pragma('journal_mode = WAL');
    // Commits survive a crash of the process; only a power loss can take the last ones, and the reconciler
    // rewrites those from Temporal. FULL would fsync on every write, on the event loop.
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    addMissingColumns(db);
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
  const getJob = db.prepare<[string], JobScheduleRow>(
    `SELECT ${JOB_READ_COLUMNS} FROM job_schedules WHERE job_name = ?`,
  );
  const getExecution = db.prepare<[string], ScheduledJobRow>('SELECT * FROM scheduled_jobs WHERE id = ?');

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
    if (isNew) refreshJobStats.run({ job_name: row.job_name });
  });
  const recountJob = db.transaction((name: string) => void refreshJobStats.run({ job_name: name }));
  const writeExecution = db.transaction((execution: ExecutionRecord) => {
    const row = toScheduledJobWrite(execution);
    const before = executionBefore.get(row.id);
    const { job_name, completed_at, started_at } = row;
    if (!before && prunedBefore.get({ job_name, completed_at, started_at })) return; // a row retention removed, written again
    const dropped = row.dropped_fields && JSON.stringify(row.dropped_fields);
    if (upsertExecution.run({ ...row, dropped_fields: dropped }).changes === 0) return; // a late `running` write, refused
    if (before && before.job_name !== row.job_name) {
      // an execution moved to another job (never done by the service itself): recount both
      for (const job_name of [before.job_name, row.job_name]) refreshJobStats.run({ job_name });
      return;
    }
    countStep.run({ job_name: row.job_name, before: before?.status ?? null, after: row.status });
  });

  const pruneBatch = db.transaction((endedBefore: string, limit: number) => {
    const ended_before = isoTimestamp(endedBefore);
    const byJob = new Map<string, { runs: number; successful: number; failed: number }>();
    for (const { id, job_name, status } of pruneCandidates.all({ ended_before, limit })) {
      deleteExecution.run(id);
      const counts = byJob.get(job_name) ?? { runs: 0, successful: 0, failed: 0 };
      counts.runs++;
      if (status === 'succeeded') counts.successful++;
      if (FAILED_STATUSES.includes(status)) counts.failed++;
      byJob.set(job_name, counts);
    }
    for (const [job_name, counts] of byJob) addPruned.run({ job_name, ended_before, ...counts });
    return [...byJob.values()].reduce((sum, c) => sum + c.runs, 0);
  });

  /** One statement per combination of filters, prepared once. */
  const listStatements = new Map<string, Database.Statement<Record<string, unknown>, JobScheduleRow>>();
  const listJobsStatement = (filters: string[]) => {
    const key = filters.join();
    let statement = listStatements.get(key);
    if (!statement) {
      const where = filters.flatMap((f) => LIST_FILTERS[f] ?? []);
      statement = db.prepare<Record<string, unknown>, JobScheduleRow>(
        `SELECT ${JOB_READ_COLUMNS} FROM job_schedules ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
          `ORDER BY job_name${filters.includes('limit') ? ' LIMIT @limit' : ''}`,
      );
      listStatements.set(key, statement);
    }
    return statement;
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
        return row ? fromJobScheduleRow(row) : null;
      }),
    listJobs: (filter) =>
      attempt('listJobs', (): JobRow[] => {
        const { service, paused, after, limit } = filter;
        const params = { service, paused: paused === undefined ? undefined : Number(paused), after, limit };
        const used = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
        return listJobsStatement(Object.keys(used)).all(used).map(fromJobScheduleRow);
      }),
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

function listExecutions(db: Database.Database, query: ExecutionQuery): ExecutionRecord[] {
  const conditions: string[] = [];
  const params: Record<string, string | number> = { limit: query.limit };
  if (query.jobName !== undefined) {
    conditions.push('job_name = @job_name');
    params.job_name = query.jobName;
  }
  if (query.service !== undefined) {
    conditions.push('service = @service');
    params.service = query.service;
  }
  if (query.status !== undefined) {
    conditions.push('status = @status');
    params.status = query.status;
  }
  if (query.startedAfter !== undefined) {
    conditions.push('started_at >= @started_after');
    params.started_after = isoTimestamp(query.startedAfter);
  }
  if (query.startedBefore !== undefined) {
    conditions.push('started_at < @started_before');
    params.started_before = isoTimestamp(query.startedBefore);
  }
  if (query.before !== undefined) {
    conditions.push('(started_at < @before_started_at OR (started_at = @before_started_at AND id < @before_id))');
    params.before_started_at = isoTimestamp(query.before.startedAt);
    params.before_id = query.before.id;
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  return db
    .prepare<Record<string, string | number>, ScheduledJobRow>(
      `SELECT * FROM scheduled_jobs ${where} ORDER BY started_at DESC, id DESC LIMIT @limit`,
    )
    .all(params)
    .map(fromScheduledJobRow);
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
