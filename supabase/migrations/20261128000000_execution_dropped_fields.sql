-- A row PostgreSQL refuses for its content (a data exception, a constraint) is written without its free text
-- (response, then error) instead of being retried without end, and says so: dropped_fields lists the fields left out
-- (a jsonb array such as ["response"]), null for a whole row. See store/refused-writes.ts.
--
-- record_execution gains p_dropped_fields, with a default, so a worker of the previous release (which does not send
-- it) still finds the function during a rolling update. Its old signature is dropped first: PostgREST could not
-- choose between two overloads.

alter table public.scheduled_jobs add column if not exists dropped_fields jsonb
  check (dropped_fields is null or jsonb_typeof(dropped_fields) = 'array');

drop function if exists public.record_execution(
  text, text, text, text, text, text, text, timestamptz, timestamptz, timestamptz, bigint, integer, integer, text,
  text, text, text
);

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
  p_run_id text,
  p_dropped_fields jsonb default null
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
    duration_ms, attempts, http_status, error, response, workflow_id, run_id, dropped_fields
  ) values (
    p_id, p_job_name, p_service, p_status, p_trigger, p_triggered_by, p_retry_of, p_scheduled_at, p_started_at,
    p_completed_at, p_duration_ms, p_attempts, p_http_status, p_error, p_response, p_workflow_id, p_run_id,
    p_dropped_fields
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
    dropped_fields = excluded.dropped_fields,
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

revoke execute on function public.record_execution from public, anon, authenticated;
grant execute on function public.record_execution to service_role;
