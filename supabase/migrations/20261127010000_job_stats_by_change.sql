-- A job's counters move by the change each execution write makes, instead of being recounted from all the job's
-- rows on every write. The recount read every row of the job: 16-24 ms per write at 100,000 rows (a job every second
-- gets there in 28 hours), growing without bound. Now a write costs the same at any size.
--
-- The counters stay exact: a job's writers are serialised by lock_job_stats, each write reads the row's status before
-- it and counts the step from that status to the one it wrote (a new row is one more run; a write the ordering rule
-- refuses changes nothing). The last execution is the job's newest row, found through scheduled_jobs_job_started_idx.
-- refresh_job_stats still recounts from the rows where a job row is created after its executions (upsert_job's
-- insert) and where an execution changes job; recount_job does it for the reconciler, which recounts every job in
-- each pass, so rows changed behind the functions' back (a retention delete, a hand-made insert) are counted again.

create or replace function public.record_execution(
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
declare
  v_before text; -- the row's status before this write; null for a new row
  v_before_job text;
  v_after text; -- the status written; null when the ordering rule refused the write
begin
  perform public.lock_job_stats(p_job_name);
  select s.status, s.job_name into v_before, v_before_job from public.scheduled_jobs s where s.id = p_id;
  if v_before_job is not null and v_before_job <> p_job_name then
    perform public.lock_job_stats(v_before_job);
  end if;
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
  where s.status = 'running' or excluded.status <> 'running'
  returning s.status into v_after;
  if v_after is null then
    return;
  end if;
  if v_before_job is not null and v_before_job <> p_job_name then
    -- an execution moved to another job (never done by the service itself): recount both
    perform public.refresh_job_stats(v_before_job);
    perform public.refresh_job_stats(p_job_name);
    return;
  end if;
  update public.job_schedules j
  set
    total_runs = j.total_runs + (v_before is null)::integer,
    successful_runs = j.successful_runs + (v_after = 'succeeded')::integer
      - coalesce((v_before = 'succeeded')::integer, 0),
    failed_runs = j.failed_runs + (v_after in ('failed', 'timed_out'))::integer
      - coalesce((v_before in ('failed', 'timed_out'))::integer, 0),
    (last_run_at, last_status, last_execution_id, last_completed_at) = (
      select s.started_at, s.status, s.id, s.completed_at
      from public.scheduled_jobs s
      where s.job_name = p_job_name
      order by s.started_at desc, s.id desc
      limit 1
    )
  where j.job_name = p_job_name;
end;
$$;

-- Recounts only when the job row is new (its executions may have landed first); rewriting an existing row leaves
-- its counters as record_execution keeps them.
create or replace function public.upsert_job(
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
declare
  v_inserted boolean;
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
  end
  -- xmax is 0 only in a row version this statement inserted
  returning (j.xmax = 0) into v_inserted;
  if v_inserted then
    perform public.refresh_job_stats(p_job_name);
  end if;
end;
$$;

-- A recount under the job's lock, for the reconciler (an RPC is one transaction).
create function public.recount_job(p_job_name text) returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  perform public.lock_job_stats(p_job_name);
  perform public.refresh_job_stats(p_job_name);
end;
$$;

revoke execute on function public.recount_job from public, anon, authenticated;
grant execute on function public.recount_job to service_role;
