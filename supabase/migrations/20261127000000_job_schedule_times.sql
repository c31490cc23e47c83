-- The job view is read from the mirror, not from Temporal (GET /api/jobs, GET /api/jobs/:name): job_schedules keeps
-- what Temporal says of each schedule besides its definition. Written at every registration, pause and resume and by
-- the reconciler, and rewritten in the background as its next run times pass.

alter table public.job_schedules
  -- the note of the last pause or resume
  add column pause_note text,
  -- the next run times as Temporal computed them (ISO-8601 strings, up to 10)
  add column next_run_times jsonb not null default '[]',
  -- Temporal's counts of occurrences skipped by the overlap policy and missed past the catch-up window
  add column skipped_runs integer not null default 0,
  add column missed_runs integer not null default 0,
  -- Temporal's last-updated time of the schedule state the row was written from; null when written at creation,
  -- before Temporal was asked. upsert_job orders racing writes of one job by it.
  add column schedule_updated_at timestamptz;

-- upsert_job gains the new columns: the old signature goes, so PostgREST resolves the call to one function.
drop function public.upsert_job(text, text, text, text, text, text, boolean, text, jsonb, jsonb, timestamptz, timestamptz);

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
  p_pause_note text,
  p_created_at timestamptz,
  p_updated_at timestamptz,
  p_next_run_times jsonb,
  p_skipped_runs integer,
  p_missed_runs integer,
  p_schedule_updated_at timestamptz
) returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform public.lock_job_stats(p_job_name);
  insert into public.job_schedules as j (
    job_name, service, endpoint, method, cron_expression, timezone, enabled, description, payload, definition,
    pause_note, next_run_times, skipped_runs, missed_runs, schedule_updated_at, created_at, updated_at
  ) values (
    p_job_name, p_service, p_endpoint, p_method, p_cron_expression, p_timezone, p_enabled, p_description, p_payload,
    p_definition, p_pause_note, p_next_run_times, p_skipped_runs, p_missed_runs, p_schedule_updated_at, p_created_at,
    p_updated_at
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
    pause_note = excluded.pause_note,
    next_run_times = excluded.next_run_times,
    skipped_runs = excluded.skipped_runs,
    missed_runs = excluded.missed_runs,
    schedule_updated_at = excluded.schedule_updated_at,
    updated_at = excluded.updated_at
  -- a state read from Temporal replaces the row only if at least as recent; a creation's write (null) never
  -- replaces a state read from Temporal
  where case
    when excluded.schedule_updated_at is null then j.schedule_updated_at is null
    else j.schedule_updated_at is null or j.schedule_updated_at <= excluded.schedule_updated_at
  end;
  perform public.refresh_job_stats(p_job_name);
end;
$$;

-- As the first migration does for every mirror function: only service_role may call it.
revoke execute on function public.upsert_job from public, anon, authenticated;
grant execute on function public.upsert_job to service_role;
