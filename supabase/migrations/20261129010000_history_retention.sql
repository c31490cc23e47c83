-- History retention (SCHEDULER_HISTORY_RETENTION_DAYS): the reconciler removes execution rows that ended long ago, in
-- small batches, so that scheduled_jobs does not gain a row per run forever. The job counters stay lifetime totals:
-- what retention removed is kept per job in the pruned_* columns, and the invariant becomes
--   total_runs = rows + pruned_runs, successful_runs = succeeded rows + pruned_successful_runs,
--   failed_runs = failed or timed-out rows + pruned_failed_runs.
-- pruned_through is the latest cutoff retention applied to the job: a late write of a row it removed (an ended run's
-- end write repeated, a start write arriving after the end) would otherwise come back as a new run and be counted
-- twice, so record_execution no longer inserts a row of this job that ended (or, still running, started) before it.

alter table public.job_schedules
  add column if not exists pruned_runs integer not null default 0,
  add column if not exists pruned_successful_runs integer not null default 0,
  add column if not exists pruned_failed_runs integer not null default 0,
  add column if not exists pruned_through timestamptz;

-- Retention's own lookup: the oldest ended rows first. Partial, so running rows (most of the writes' churn) are not in
-- it.
create index if not exists scheduled_jobs_completed_idx on public.scheduled_jobs (completed_at)
  where status <> 'running';

-- lock_job_stats, without waiting: true when this transaction now holds the job's lock.
create function public.try_lock_job_stats(p_job_name text) returns boolean
language sql
security invoker
set search_path = ''
as $$
  select pg_catalog.pg_try_advisory_xact_lock(20261126, pg_catalog.hashtext(p_job_name));
$$;

-- The counters as rows plus what retention removed; a no-op when the job has no row.
create or replace function public.refresh_job_stats(p_job_name text) returns void
language sql
security invoker
set search_path = ''
as $$
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
$$;

-- Removes up to p_limit rows that ended before p_ended_before, oldest first, in one short transaction (an RPC is one),
-- and answers how many it removed. Never a running row, and never a job's newest row (its last execution stays
-- shown). It never waits on the mirror's writers: rows another transaction holds are skipped (SKIP LOCKED), and so
-- are the rows of a job whose lock a writer holds (try_lock_job_stats); the next batch or pass takes them. Under the
-- job's lock, the counts of the removed rows move to the job's pruned_* columns, so its counters do not change.
create function public.prune_executions(p_ended_before timestamptz, p_limit integer) returns integer
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
    with removed as (
      delete from public.scheduled_jobs s where s.id = any (v_ids) returning s.status
    )
    select
      count(*),
      count(*) filter (where r.status = 'succeeded'),
      count(*) filter (where r.status in ('failed', 'timed_out'))
    into v_runs, v_successful, v_failed
    from removed r;
    update public.job_schedules j
    set
      pruned_runs = j.pruned_runs + v_runs,
      pruned_successful_runs = j.pruned_successful_runs + v_successful,
      pruned_failed_runs = j.pruned_failed_runs + v_failed,
      pruned_through = greatest(j.pruned_through, p_ended_before)
    where j.job_name = v_job;
    v_removed := v_removed + v_runs;
  end loop;
  return v_removed;
end;
$$;

-- As 20261128000000_execution_dropped_fields.sql, plus: a new row of a job that retention has pruned, and that ended
-- (or, running, started) before the job's pruned_through, is a row retention removed coming back: it is not written.
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
end;
$$;

revoke execute on function public.try_lock_job_stats from public, anon, authenticated;
revoke execute on function public.prune_executions from public, anon, authenticated;
grant execute on function public.try_lock_job_stats to service_role;
grant execute on function public.prune_executions to service_role;
