-- The scheduler's mirror of Temporal's history (SPEC §6). Temporal is the source of truth; these tables are what the
-- portal, operators and the seed's queries read. The embedded SQLite mirror (store/sqlite/schema.ts) keeps the same
-- tables and columns.

create table public.job_schedules (
  -- "C" collation on the keys: ordering and cursor paging must agree byte for byte with SQLite and the in-memory fake,
  -- whatever the database's locale.
  job_name text collate "C" primary key,
  service text not null,
  endpoint text not null,
  method text not null,
  cron_expression text not null,
  timezone text not null,
  -- false while the job's schedule is paused
  enabled boolean not null default true,
  description text not null default '',
  payload jsonb not null default '{}',
  -- the whole JobDefinition: the columns above are its queryable projection
  definition jsonb not null,
  -- derived from scheduled_jobs by refresh_job_stats, never incremented
  total_runs integer not null default 0,
  successful_runs integer not null default 0,
  failed_runs integer not null default 0,
  last_run_at timestamptz,
  last_status text,
  last_execution_id text,
  last_completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- No foreign key to job_schedules: an execution's start may be mirrored before its job's row, and history outlives
-- deleted jobs.
create table public.scheduled_jobs (
  id text collate "C" primary key,
  job_name text collate "C" not null,
  service text not null,
  status text not null check (status in ('running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'terminated')),
  trigger text not null check (trigger in ('schedule', 'manual', 'retry', 'backfill')),
  triggered_by text,
  retry_of text,
  scheduled_at timestamptz,
  started_at timestamptz not null,
  completed_at timestamptz,
  duration_ms bigint,
  attempts integer not null default 0,
  http_status integer,
  error text,
  response text,
  workflow_id text not null,
  run_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index scheduled_jobs_job_started_idx on public.scheduled_jobs (job_name, started_at desc, id desc);
create index scheduled_jobs_started_idx on public.scheduled_jobs (started_at desc, id desc);
create index scheduled_jobs_service_started_idx on public.scheduled_jobs (service, started_at desc);
create index scheduled_jobs_status_idx on public.scheduled_jobs (status);

-- No policies: service_role bypasses RLS, anon and authenticated see and change nothing.
alter table public.job_schedules enable row level security;
alter table public.scheduled_jobs enable row level security;

-- Serialises the writers of one job's counters. Without it, under READ COMMITTED, an execution inserted concurrently
-- with its job's first row could be missed by both recomputes.
create function public.lock_job_stats(p_job_name text) returns void
language sql
security invoker
set search_path = ''
as $$
  select pg_catalog.pg_advisory_xact_lock(20261126, pg_catalog.hashtext(p_job_name));
$$;

-- Recomputes a job's counters and last execution from its scheduled_jobs rows; a no-op when the job has no row.
create function public.refresh_job_stats(p_job_name text) returns void
language sql
security invoker
set search_path = ''
as $$
  update public.job_schedules
  set
    (total_runs, successful_runs, failed_runs) = (
      select
        count(*),
        count(*) filter (where s.status = 'succeeded'),
        count(*) filter (where s.status in ('failed', 'timed_out'))
      from public.scheduled_jobs s
      where s.job_name = p_job_name
    ),
    (last_run_at, last_status, last_execution_id, last_completed_at) = (
      select s.started_at, s.status, s.id, s.completed_at
      from public.scheduled_jobs s
      where s.job_name = p_job_name
      order by s.started_at desc, s.id desc
      limit 1
    )
  where job_name = p_job_name;
$$;

-- Creates or replaces a job's definition. created_at and the counters are kept; the counters are recomputed so that
-- executions mirrored before the job's row count at once.
create function public.upsert_job(
  p_job_name text,
  p_service text,
  p_endpoint text,
  p_method text,
  p_cron_expression text,
  p_timezone text,
  p_enabled boolean,
  p_description text,
  p_payload jsonb,
  p_definition jsonb,
  p_created_at timestamptz,
  p_updated_at timestamptz
) returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform public.lock_job_stats(p_job_name);
  insert into public.job_schedules as j (
    job_name, service, endpoint, method, cron_expression, timezone, enabled, description, payload, definition,
    created_at, updated_at
  ) values (
    p_job_name, p_service, p_endpoint, p_method, p_cron_expression, p_timezone, p_enabled, p_description, p_payload,
    p_definition, p_created_at, p_updated_at
  )
  on conflict (job_name) do update set
    service = excluded.service,
    endpoint = excluded.endpoint,
    method = excluded.method,
    cron_expression = excluded.cron_expression,
    timezone = excluded.timezone,
    enabled = excluded.enabled,
    description = excluded.description,
    payload = excluded.payload,
    definition = excluded.definition,
    updated_at = excluded.updated_at;
  perform public.refresh_job_stats(p_job_name);
end;
$$;

-- Upserts one execution by id and recomputes its job's counters, atomically. A 'running' write never replaces a final
-- status: a retried or late start write cannot undo an end.
create function public.record_execution(
  p_id text,
  p_job_name text,
  p_service text,
  p_status text,
  p_trigger text,
  p_triggered_by text,
  p_retry_of text,
  p_scheduled_at timestamptz,
  p_started_at timestamptz,
  p_completed_at timestamptz,
  p_duration_ms bigint,
  p_attempts integer,
  p_http_status integer,
  p_error text,
  p_response text,
  p_workflow_id text,
  p_run_id text
) returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform public.lock_job_stats(p_job_name);
  insert into public.scheduled_jobs as s (
    id, job_name, service, status, trigger, triggered_by, retry_of, scheduled_at, started_at, completed_at,
    duration_ms, attempts, http_status, error, response, workflow_id, run_id
  ) values (
    p_id, p_job_name, p_service, p_status, p_trigger, p_triggered_by, p_retry_of, p_scheduled_at, p_started_at,
    p_completed_at, p_duration_ms, p_attempts, p_http_status, p_error, p_response, p_workflow_id, p_run_id
  )
  on conflict (id) do update set
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
    updated_at = now()
  where s.status = 'running' or excluded.status <> 'running';
  perform public.refresh_job_stats(p_job_name);
end;
$$;

-- PostgreSQL lets PUBLIC execute every new function, and Supabase's default privileges also grant EXECUTE on new
-- functions in public to anon and authenticated, which would let anyone holding the anon key call these through
-- PostgREST's /rpc. Only the scheduler, with the service_role key, writes the mirror. (They are security invoker, so
-- record_execution and upsert_job need service_role to be able to run lock_job_stats and refresh_job_stats too.)
revoke execute on function public.lock_job_stats from public, anon, authenticated;
revoke execute on function public.refresh_job_stats from public, anon, authenticated;
revoke execute on function public.upsert_job from public, anon, authenticated;
revoke execute on function public.record_execution from public, anon, authenticated;
grant execute on function public.lock_job_stats to service_role;
grant execute on function public.refresh_job_stats to service_role;
grant execute on function public.upsert_job to service_role;
grant execute on function public.record_execution to service_role;
