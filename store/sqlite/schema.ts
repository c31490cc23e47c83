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
  },
  scheduled_jobs: {
    // JSON array of the fields a refused row was written without (store/refused-writes.ts); null for a whole row
    dropped_fields: 'TEXT',
  },
};
