-- `enabled` and `paused` mean one thing each (docs/jobs.md, "enabled and paused"): `enabled` is the service's
-- (the registration's `enabled`), `paused` an admin's; a job runs only while enabled and not paused. Before this,
-- `enabled` meant "the schedule is not paused", whoever paused it.

alter table public.job_schedules add column paused boolean not null default false;
comment on column public.job_schedules.enabled is 'the service has the job enabled (its registration''s enabled)';
comment on column public.job_schedules.paused is 'an admin has paused the job; it runs only while enabled and not paused';

-- A paused job its service had enabled was paused by an admin. The reconciler's next pass rewrites every row from
-- Temporal anyway.
update public.job_schedules set
  paused = (not enabled) and coalesce((definition ->> 'enabled')::boolean, true),
  enabled = coalesce((definition ->> 'enabled')::boolean, true);

drop function public.upsert_job(
  text, text, text, text, text, text, boolean, text, jsonb, jsonb, text, timestamptz, timestamptz, jsonb, integer,
  integer, timestamptz
);

-- As in 20261127010000_job_stats_by_change.sql, with `paused`.
create function public.upsert_job(
  p_job_name text,
  p_service text,
  p_endpoint text,
  p_method text,
  p_cron_expression text,
  p_timezone text,
  p_enabled boolean,
  p_paused boolean,
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
declare
  v_inserted boolean;
begin
  perform public.lock_job_stats(p_job_name);
  insert into public.job_schedules as j (
    job_name, service, endpoint, method, cron_expression, timezone, enabled, paused, description, payload, definition,
    pause_note, next_run_times, skipped_runs, missed_runs, schedule_updated_at, created_at, updated_at
  ) values (
    p_job_name, p_service, p_endpoint, p_method, p_cron_expression, p_timezone, p_enabled, p_paused, p_description,
    p_payload, p_definition, p_pause_note, p_next_run_times, p_skipped_runs, p_missed_runs, p_schedule_updated_at,
    p_created_at, p_updated_at
  )
  on conflict (job_name) do update set
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
  -- a state read from Temporal replaces the row only if at least as recent; a creation's write (null) never
  -- replaces a state read from Temporal
  where case
    when excluded.schedule_updated_at is null then j.schedule_updated_at is null
    else j.schedule_updated_at is null or j.schedule_updated_at <= excluded.schedule_updated_at
  end
  -- xmax is 0 only in a row version this statement inserted
  returning (j.xmax = 0) into v_inserted;
  if v_inserted then
    perform public.refresh_job_stats(p_job_name);
  end if;
end;
$$;

revoke execute on function public.upsert_job from public, anon, authenticated;
grant execute on function public.upsert_job to service_role;
