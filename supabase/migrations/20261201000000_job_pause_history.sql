-- A job's pauses and resumes as history (docs/jobs.md, "Pausing"): each change of whether the job runs (`paused or
-- not enabled` on its job_schedules row), with when, who and the schedule's note. A trigger on job_schedules records
-- it, so every write of the row records its changes: an admin's pause or resume through the API, a registration
-- with `enabled` false or true, the reconciler's rewrite after a pause made in Temporal itself.
--   at: the time of the write that recorded the change (Temporal keeps no time of a pause: pausing does not move
--     the schedule's update time).
--   paused: from `at` the job does not run (an admin paused it or its service disabled it); false: it runs again.
--   by_service: the change came from the service's `enabled`; otherwise the admin's name is read from the note
--     (`paused by alice: …`, jobs/pause-note.ts), and is unknown for another note.
--   note: the schedule's note at the change (job_schedules.schedule_note).
-- A change is recorded when a written row's state differs from the job's last change (none: running), so a job
-- deleted while paused and registered again running records its resume. Each job keeps its newest 100 changes
-- (store/job-store.ts PAUSE_CHANGES_KEPT); a deleted job's history stays.

alter table public.job_schedules add column if not exists schedule_note text;
comment on column public.job_schedules.schedule_note is
  'Temporal''s note on the schedule, paused or not (after a resume, the resume''s note); the pause history takes it';

create table public.job_pause_history (
  id bigint generated always as identity primary key,
  job_name text not null,
  at timestamptz not null,
  paused boolean not null,
  by_service boolean not null,
  note text
);
comment on table public.job_pause_history is 'each change of whether a job runs: when, whether paused, who, the note';

-- A job's changes in a window, and the last one before it; its newest changes.
create index job_pause_history_job_at_idx on public.job_pause_history (job_name, at, id);

-- No policies: service_role bypasses RLS, anon and authenticated see and change nothing.
alter table public.job_pause_history enable row level security;

-- Runs inside upsert_job, under the job's lock (lock_job_stats), so a job's changes are recorded one at a time.
create function public.record_pause_change() returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_stopped boolean := new.paused or not new.enabled;
  v_last boolean;
begin
  select h.paused into v_last from public.job_pause_history h
  where h.job_name = new.job_name
  order by h.id desc
  limit 1;
  if v_stopped = coalesce(v_last, false) then
    return null;
  end if;
  insert into public.job_pause_history (job_name, at, paused, by_service, note) values (
    new.job_name,
    now(),
    v_stopped,
    -- a resume on an insert: the service registered the job again
    case when v_stopped or tg_op = 'INSERT' then not new.paused else not old.enabled end,
    new.schedule_note
  );
  delete from public.job_pause_history h
  where h.job_name = new.job_name and h.id <= (
    select k.id from public.job_pause_history k where k.job_name = new.job_name order by k.id desc offset 100 limit 1
  );
  return null;
end;
$$;

create trigger job_pause_history_on_write
  after insert or update of paused, enabled on public.job_schedules
  for each row execute function public.record_pause_change();

-- A job that does not run now starts its history with that state.
insert into public.job_pause_history (job_name, at, paused, by_service, note)
select job_name, updated_at, true, not paused, pause_note
from public.job_schedules
where paused or not enabled;

drop function public.upsert_job(
  text, text, text, text, text, text, boolean, boolean, text, jsonb, jsonb, text, timestamptz, timestamptz, jsonb,
  integer, integer, timestamptz
);

-- As in 20261129000000_job_paused.sql, with `schedule_note`.
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
  p_schedule_note text,
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
    pause_note, schedule_note, next_run_times, skipped_runs, missed_runs, schedule_updated_at, created_at, updated_at
  ) values (
    p_job_name, p_service, p_endpoint, p_method, p_cron_expression, p_timezone, p_enabled, p_paused, p_description,
    p_payload, p_definition, p_pause_note, p_schedule_note, p_next_run_times, p_skipped_runs, p_missed_runs,
    p_schedule_updated_at, p_created_at, p_updated_at
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
    schedule_note = excluded.schedule_note,
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

-- As for every function of the mirror (20261126000000_scheduler_mirror.sql): only service_role runs them.
revoke execute on function public.upsert_job from public, anon, authenticated;
revoke execute on function public.record_pause_change from public, anon, authenticated;
grant execute on function public.upsert_job to service_role;
grant execute on function public.record_pause_change to service_role;
