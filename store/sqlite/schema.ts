import { PAUSE_CHANGES_KEPT } from '../job-store';

/* The embedded mirror: the tables of supabase/migrations/20261126000000_scheduler_mirror.sql in SQLite terms.
 * Timestamps are `toISOString()` text, so text order is time order; booleans are 0/1; jsonb is JSON text. STRICT makes
 * SQLite refuse a value of the wrong type instead of storing it. */

/** The current time in `toISOString()` form. */
export const NOW = `(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS job_schedules (
  job_name TEXT NOT NULL PRIMARY KEY,
  service TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  method TEXT NOT NULL,
  cron_expression TEXT NOT NULL,
  timezone TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  description TEXT NOT NULL DEFAULT '',
  payload TEXT NOT NULL DEFAULT '{}',
  definition TEXT NOT NULL,
  total_runs INTEGER NOT NULL DEFAULT 0,
  successful_runs INTEGER NOT NULL DEFAULT 0,
  failed_runs INTEGER NOT NULL DEFAULT 0,
  last_run_at TEXT,
  last_status TEXT,
  last_execution_id TEXT,
  last_completed_at TEXT,
  created_at TEXT NOT NULL DEFAULT ${NOW},
  updated_at TEXT NOT NULL DEFAULT ${NOW}
) STRICT;

CREATE TABLE IF NOT EXISTS scheduled_jobs (
  id TEXT NOT NULL PRIMARY KEY,
  job_name TEXT NOT NULL,
  service TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'terminated')),
  trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'retry', 'backfill')),
  triggered_by TEXT,
  retry_of TEXT,
  scheduled_at TEXT,
  started_at TEXT NOT NULL,
  completed_at TEXT,
  duration_ms INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  http_status INTEGER,
  error TEXT,
  response TEXT,
  workflow_id TEXT NOT NULL,
  run_id TEXT,
  created_at TEXT NOT NULL DEFAULT ${NOW},
  updated_at TEXT NOT NULL DEFAULT ${NOW}
) STRICT;

CREATE INDEX IF NOT EXISTS scheduled_jobs_job_started_idx ON scheduled_jobs (job_name, started_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS scheduled_jobs_started_idx ON scheduled_jobs (started_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS scheduled_jobs_service_started_idx ON scheduled_jobs (service, started_at DESC);
CREATE INDEX IF NOT EXISTS scheduled_jobs_status_idx ON scheduled_jobs (status);
CREATE INDEX IF NOT EXISTS scheduled_jobs_completed_idx ON scheduled_jobs (completed_at) WHERE status <> 'running';
`;

/**
 * Indexes on columns added after the first release (supabase/migrations/20261130000000_job_run_health.sql): created
 * after {@link ADDED_COLUMNS}, so that a database from before has the columns first.
 */
export const ADDED_INDEXES = `
CREATE INDEX IF NOT EXISTS scheduled_jobs_job_completed_idx ON scheduled_jobs (job_name, completed_at DESC, id DESC)
  WHERE status <> 'running';
CREATE INDEX IF NOT EXISTS scheduled_jobs_retry_of_idx ON scheduled_jobs (retry_of) WHERE retry_of IS NOT NULL;
CREATE INDEX IF NOT EXISTS job_schedules_failing_idx ON job_schedules (job_name) WHERE consecutive_failures > 0;
`;

/**
 * Rewrites rows of an earlier version when a column is added: before 0.2.0 `enabled` meant "the schedule is not
 * paused", whoever paused it. The job's own `enabled` is in its definition; a paused job its service had enabled was
 * paused by an admin. (The reconciler's next pass rewrites every row from Temporal anyway.)
 */
export const ON_ADDED_COLUMN: Record<string, string> = {
  'job_schedules.paused': `UPDATE job_schedules SET
    paused = CASE WHEN enabled = 0 AND coalesce(json_extract(definition, '$.enabled'), 1) = 1 THEN 1 ELSE 0 END,
    enabled = coalesce(json_extract(definition, '$.enabled'), 1)`,
};

/**
 * Columns added after the first release, and their definitions: added at open to every database, new or from
 * before, so that each is defined once.
 */
export const ADDED_COLUMNS: Record<string, Record<string, string>> = {
  job_schedules: {
    pause_note: 'TEXT',
    // Temporal's note, paused or not (supabase/migrations/20261201000000_job_pause_history.sql)
    schedule_note: 'TEXT',
    next_run_times: "TEXT NOT NULL DEFAULT '[]'",
    skipped_runs: 'INTEGER NOT NULL DEFAULT 0',
    missed_runs: 'INTEGER NOT NULL DEFAULT 0',
    schedule_updated_at: 'TEXT',
    // an admin's pause; `enabled` is the service's (before 0.2.0, `enabled` meant "not paused")
    paused: 'INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1))',
    // what history retention removed, and its latest cutoff (supabase/migrations/20261129010000_history_retention.sql)
    pruned_runs: 'INTEGER NOT NULL DEFAULT 0',
    pruned_successful_runs: 'INTEGER NOT NULL DEFAULT 0',
    pruned_failed_runs: 'INTEGER NOT NULL DEFAULT 0',
    pruned_through: 'TEXT',
    // how its runs have been going (store/job-store.ts RunHealth; supabase/migrations/20261130000000_job_run_health.sql),
    // derived at each execution write; a database from before has them recounted at open
    last_success_at: 'TEXT',
    last_failure_at: 'TEXT',
    consecutive_failures: 'INTEGER NOT NULL DEFAULT 0',
    // the part of consecutive_failures whose rows retention removed
    pruned_failure_streak: 'INTEGER NOT NULL DEFAULT 0',
    duration_p50_ms: 'INTEGER',
    duration_p95_ms: 'INTEGER',
    recent_runs: "TEXT NOT NULL DEFAULT '[]'",
  },
  scheduled_jobs: {
    // JSON array of the fields a refused row was written without (store/refused-writes.ts); null for a whole row
    dropped_fields: 'TEXT',
  },
};

/** Whether the job row `row` (NEW or OLD) does not run: its service disabled it or an admin paused it. */
const stopped = (row: string) => `(${row}.paused = 1 OR ${row}.enabled = 0)`;

/**
 * A trigger on `job_schedules` that records a change of whether the job runs, as the migrations' record_pause_change:
 * when a written row's state differs from the job's last change (none: running), and each job keeps its newest
 * {@link PAUSE_CHANGES_KEPT}. `byService`: whether the change came from the service's `enabled`.
 */
const pauseTrigger = (event: string, byService: string) => `
CREATE TRIGGER IF NOT EXISTS job_pause_history_on_${event.split(' ')[0]!.toLowerCase()} AFTER ${event} ON job_schedules
WHEN ${stopped('NEW')} <> coalesce(
  (SELECT paused FROM job_pause_history WHERE job_name = NEW.job_name ORDER BY id DESC LIMIT 1), 0)
BEGIN
  INSERT INTO job_pause_history (job_name, at, paused, by_service, note)
  VALUES (NEW.job_name, ${NOW}, ${stopped('NEW')}, ${byService}, NEW.schedule_note);
  DELETE FROM job_pause_history WHERE job_name = NEW.job_name AND id <= (
    SELECT id FROM job_pause_history WHERE job_name = NEW.job_name ORDER BY id DESC LIMIT 1 OFFSET ${PAUSE_CHANGES_KEPT});
END;`;

/**
 * The pause history (store/job-store.ts PauseChange), created after {@link ADDED_COLUMNS}: a job row's writes record
 * it through triggers, so every path that writes the row records its changes. A job that does not run and has no
 * history yet (a database from before) starts it with its current state.
 */
export const PAUSE_HISTORY = `
CREATE TABLE IF NOT EXISTS job_pause_history (
  id INTEGER PRIMARY KEY,
  job_name TEXT NOT NULL,
  at TEXT NOT NULL,
  paused INTEGER NOT NULL CHECK (paused IN (0, 1)),
  by_service INTEGER NOT NULL CHECK (by_service IN (0, 1)),
  note TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS job_pause_history_job_at_idx ON job_pause_history (job_name, at, id);
${pauseTrigger('INSERT', 'NEW.paused = 0')}
${pauseTrigger('UPDATE OF paused, enabled', `CASE WHEN ${stopped('NEW')} THEN NEW.paused = 0 ELSE OLD.enabled = 0 END`)}
INSERT INTO job_pause_history (job_name, at, paused, by_service, note)
SELECT job_name, updated_at, 1, paused = 0, coalesce(schedule_note, pause_note)
FROM job_schedules j
WHERE ${stopped('j')} AND NOT EXISTS (SELECT 1 FROM job_pause_history h WHERE h.job_name = j.job_name);
`;

/**
 * Alert episodes as the watch decided them (store/job-store.ts recordAlert; jobs/alert.ts AlertRecord), as
 * supabase/migrations/20261201010000_job_alerts.sql: one row per episode, its rule, runs and deliveries as JSON text.
 */
export const JOB_ALERTS = `
CREATE TABLE IF NOT EXISTS job_alerts (
  id TEXT NOT NULL PRIMARY KEY,
  job_name TEXT NOT NULL,
  service TEXT NOT NULL,
  rule TEXT NOT NULL CHECK (json_valid(rule)),
  state TEXT NOT NULL CHECK (state IN ('open', 'resolved')),
  summary TEXT NOT NULL,
  opened_at TEXT NOT NULL,
  resolved_at TEXT,
  runs TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(runs)),
  deliveries TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(deliveries)),
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS job_alerts_state_opened_idx ON job_alerts (state, opened_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS job_alerts_job_opened_idx ON job_alerts (job_name, opened_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS job_alerts_opened_idx ON job_alerts (opened_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS job_alerts_resolved_idx ON job_alerts (resolved_at) WHERE state = 'resolved';
`;
