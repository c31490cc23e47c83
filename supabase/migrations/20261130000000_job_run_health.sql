-- A job's run health (docs/jobs.md, "Run health"): its last success and failure, its streak of unsuccessful runs since
-- the last success, the duration percentiles and the strip of its newest runs, derived at each execution write in the
-- same transaction (under the job's lock) that moves its counters, and kept on its job_schedules row, so that reads
-- (the admin console's list of 10,000 jobs) only read columns. "Unsuccessful" is failed, timed_out, cancelled and
-- terminated (jobs/execution.ts UNSUCCESSFUL_STATUSES).
--   last_success_at / last_failure_at: the latest completed_at of a succeeded / unsuccessful run. Only a run's first end
--     moves them (a repeated end write changes nothing; a late one older than the current value changes nothing).
--   consecutive_failures: the unsuccessful runs that ended after last_success_at, counted up by each new unsuccessful
--     end after it and recounted (an indexed range of the job's newest ended rows) when the last success moves.
--   pruned_failure_streak: the part of consecutive_failures whose rows retention removed, so that a recount keeps it;
--     retention leaves the other health columns as they are, and a recount keeps a last success or failure older than
--     pruned_through (its row may be one retention removed).
--   duration_p50_ms / duration_p95_ms: percentile_disc over the 20 latest-ended runs; recent_runs: the 20 newest runs,
--     newest first, as [{ id, status, started_at }]. Both from a bounded read of the job's newest rows at each write.

alter table public.job_schedules
  add column if not exists last_success_at timestamptz,
  add column if not exists last_failure_at timestamptz,
  add column if not exists consecutive_failures integer not null default 0,
  add column if not exists pruned_failure_streak integer not null default 0,
  add column if not exists duration_p50_ms bigint,
  add column if not exists duration_p95_ms bigint,
  add column if not exists recent_runs jsonb not null default '[]'::jsonb;

-- A job's latest-ended rows: its percentiles and the recount of its streak after a success.
create index if not exists scheduled_jobs_job_completed_idx
  on public.scheduled_jobs (job_name, completed_at desc nulls last, id desc) where status <> 'running';
-- The retries of a page of runs (an execution view's retriedBy), in one query per page.
create index if not exists scheduled_jobs_retry_of_idx on public.scheduled_jobs (retry_of) where retry_of is not null;
-- GET /api/jobs?failing=true, in name order.
create index if not exists job_schedules_failing_idx on public.job_schedules (job_name) where consecutive_failures > 0;

-- recent_runs and the duration percentiles, from the job's newest rows; a no-op when the job has no row.
create function public.refresh_job_window(p_job_name text) returns void
language sql
security invoker
set search_path = ''
as $$
  update public.job_schedules j
  set
    recent_runs = coalesce((
      select jsonb_agg(
        jsonb_build_object('id', r.id, 'status', r.status, 'started_at', r.started_at)
        order by r.started_at desc, r.id desc
      )
      from (
        select s.id, s.status, s.started_at
        from public.scheduled_jobs s
        where s.job_name = p_job_name
        order by s.started_at desc, s.id desc
        limit 20
      ) r
    ), '[]'::jsonb),
    (duration_p50_ms, duration_p95_ms) = (
      select
        percentile_disc(0.5) within group (order by e.duration_ms),
        percentile_disc(0.95) within group (order by e.duration_ms)
      from (
        select s.duration_ms
        from public.scheduled_jobs s
        where s.job_name = p_job_name and s.status <> 'running'
        order by s.completed_at desc nulls last, s.id desc
        limit 20
      ) e
      where e.duration_ms is not null
    )
  where j.job_name = p_job_name;
$$;

-- A job's whole health from its rows, keeping what retention removed; a no-op when the job has no row.
create function public.refresh_job_health(p_job_name text) returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_stored_success timestamptz;
  v_stored_failure timestamptz;
  v_through timestamptz;
  v_streak integer;
  v_success timestamptz;
  v_failure timestamptz;
begin
  select j.last_success_at, j.last_failure_at, j.pruned_through, j.pruned_failure_streak
  into v_stored_success, v_stored_failure, v_through, v_streak
  from public.job_schedules j
  where j.job_name = p_job_name;
  if not found then
    return;
  end if;
  select
    max(s.completed_at) filter (where s.status = 'succeeded'),
    max(s.completed_at) filter (where s.status in ('failed', 'timed_out', 'cancelled', 'terminated'))
  into v_success, v_failure
  from public.scheduled_jobs s
  where s.job_name = p_job_name;
  -- a last end older than the cutoff may be a row retention removed: kept (greatest ignores nulls)
  v_success := greatest(v_success, case when v_stored_success < v_through then v_stored_success end);
  v_failure := greatest(v_failure, case when v_stored_failure < v_through then v_stored_failure end);
  -- every removed row ended before the cutoff: a success at or after it follows them all
  if v_success >= v_through then
    v_streak := 0;
  end if;
  update public.job_schedules j
  set
    last_success_at = v_success,
    last_failure_at = v_failure,
    pruned_failure_streak = v_streak,
    consecutive_failures = v_streak + (
      select count(*)::integer from public.scheduled_jobs s
      where s.job_name = p_job_name and s.status <> 'running'
        and s.status in ('failed', 'timed_out', 'cancelled', 'terminated')
        and (v_success is null or s.completed_at > v_success)
    )
  where j.job_name = p_job_name;
  perform public.refresh_job_window(p_job_name);
end;
$$;

-- As 20261129010000_history_retention.sql, plus the health: every recount (upsert_job's of a new job, record_execution's
-- of a moved execution, recount_job's) recounts it too.
create or replace function public.refresh_job_stats(p_job_name text) returns void
language plpgsql
security invoker
set search_path = ''
as $$
begin
  update public.job_schedules j
  set
    (total_runs, successful_runs, failed_runs) = (
      select
        count(*) + j.pruned_runs,
        count(*) filter (where s.status = 'succeeded') + j.pruned_successful_runs,
        count(*) filter (where s.status in ('failed', 'timed_out')) + j.pruned_failed_runs
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
  where j.job_name = p_job_name;
  perform public.refresh_job_health(p_job_name);
end;
$$;

-- As 20261129010000_history_retention.sql, plus: the removed unsuccessful rows that ended after the job's last success
-- move to pruned_failure_streak, so its streak does not change.
create or replace function public.prune_executions(p_ended_before timestamptz, p_limit integer) returns integer
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_job text;
  v_ids text[];
  v_runs integer;
  v_successful integer;
  v_failed integer;
  v_streak integer;
  v_last_success timestamptz;
  v_removed integer := 0;
begin
  for v_job, v_ids in
    select c.job_name, pg_catalog.array_agg(c.id)
    from (
      select s.id, s.job_name
      from public.scheduled_jobs s
      where s.status <> 'running'
        and s.completed_at < p_ended_before
        and exists (
          select 1 from public.scheduled_jobs n
          where n.job_name = s.job_name and (n.started_at, n.id) > (s.started_at, s.id)
        )
      order by s.completed_at, s.id
      limit p_limit
      for update of s skip locked
    ) c
    group by c.job_name
    order by c.job_name
  loop
    continue when not public.try_lock_job_stats(v_job);
    select j.last_success_at into v_last_success from public.job_schedules j where j.job_name = v_job;
    with removed as (
      delete from public.scheduled_jobs s where s.id = any (v_ids) returning s.status, s.completed_at
    )
    select
      count(*),
      count(*) filter (where r.status = 'succeeded'),
      count(*) filter (where r.status in ('failed', 'timed_out')),
      count(*) filter (
        where r.status in ('failed', 'timed_out', 'cancelled', 'terminated')
          and (v_last_success is null or r.completed_at > v_last_success)
      )
    into v_runs, v_successful, v_failed, v_streak
    from removed r;
    update public.job_schedules j
    set
      pruned_runs = j.pruned_runs + v_runs,
      pruned_successful_runs = j.pruned_successful_runs + v_successful,
      pruned_failed_runs = j.pruned_failed_runs + v_failed,
      pruned_failure_streak = j.pruned_failure_streak + v_streak,
      pruned_through = greatest(j.pruned_through, p_ended_before)
    where j.job_name = v_job;
    v_removed := v_removed + v_runs;
  end loop;
  return v_removed;
end;
$$;

-- As 20261129010000_history_retention.sql, plus the health step of the write.
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
  if v_before is null and exists (
    select 1 from public.job_schedules j
    where j.job_name = p_job_name and coalesce(p_completed_at, p_started_at) < j.pruned_through
  ) then
    return;
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
  if v_before is not null and v_before <> 'running' and v_before <> v_after then
    -- an end replaced by another (rare: a row restored from Temporal): recounted
    perform public.refresh_job_health(p_job_name);
    return;
  end if;
  -- only a run's first end moves the ends and the streak, so a repeated end write changes nothing
  if (v_before is null or v_before = 'running') and v_after <> 'running' and p_completed_at is not null then
    update public.job_schedules j
    set
      consecutive_failures = case
        when v_after <> 'succeeded' then
          j.consecutive_failures + (j.last_success_at is null or p_completed_at > j.last_success_at)::integer
        when j.last_success_at is null or p_completed_at > j.last_success_at then (
          -- the new last success: the unsuccessful runs that ended after it (bounded by the streak)
          select count(*)::integer from public.scheduled_jobs s
          where s.job_name = p_job_name and s.status <> 'running'
            and s.status in ('failed', 'timed_out', 'cancelled', 'terminated') and s.completed_at > p_completed_at
        )
        else j.consecutive_failures
      end,
      -- every row retention removed ended before the success (which pruned_through let in)
      pruned_failure_streak = case
        when v_after = 'succeeded' and (j.last_success_at is null or p_completed_at > j.last_success_at) then 0
        else j.pruned_failure_streak
      end,
      last_success_at = case
        when v_after = 'succeeded' then greatest(j.last_success_at, p_completed_at) else j.last_success_at
      end,
      last_failure_at = case
        when v_after <> 'succeeded' then greatest(j.last_failure_at, p_completed_at) else j.last_failure_at
      end
    where j.job_name = p_job_name;
  end if;
  perform public.refresh_job_window(p_job_name);
end;
$$;

revoke execute on function public.refresh_job_window from public, anon, authenticated;
revoke execute on function public.refresh_job_health from public, anon, authenticated;
grant execute on function public.refresh_job_window to service_role;
grant execute on function public.refresh_job_health to service_role;

-- Every job's health from the rows it has now.
select public.refresh_job_health(j.job_name) from public.job_schedules j;
