-- Alert episodes as the watch workflow decided them (docs/alerts.md, "Alerts in the mirror and the API";
-- jobs/alert.ts AlertRecord): one row per job, rule and opening, written by the watch's activity at each change of
-- the episode (opened, its runs, each delivery's outcome, resolved) through record_alert, and read by
-- GET /api/alerts and the job view's `openAlerts`.
--   rule: the rule that opened the episode, with its settings ({"type": "consecutive_failures", "count": 3}).
--   runs: the runs that matter, newest first (at most 5); deliveries: the latest outcome per destination and kind.
--   updated_at: when the watch decided this state (workflow time): a write replaces the row only when at least as
--     recent, so writes that land out of order leave the latest.
-- History retention removes resolved episodes with the execution rows (prune_alerts); open ones stay.

create table public.job_alerts (
  id text primary key,
  job_name text not null,
  service text not null,
  rule jsonb not null,
  state text not null check (state in ('open', 'resolved')),
  summary text not null,
  opened_at timestamptz not null,
  resolved_at timestamptz,
  runs jsonb not null default '[]',
  deliveries jsonb not null default '[]',
  updated_at timestamptz not null
);
comment on table public.job_alerts is 'alert episodes: one per job, rule and opening; open or resolved';

-- The open (or resolved) episodes, newest first; a job's; all of them; and retention's oldest resolved.
create index job_alerts_state_opened_idx on public.job_alerts (state, opened_at desc, id desc);
create index job_alerts_job_opened_idx on public.job_alerts (job_name, opened_at desc, id desc);
create index job_alerts_opened_idx on public.job_alerts (opened_at desc, id desc);
create index job_alerts_resolved_idx on public.job_alerts (resolved_at) where state = 'resolved';

-- No policies: service_role bypasses RLS, anon and authenticated see and change nothing.
alter table public.job_alerts enable row level security;

-- Upserts an episode; replaces the stored one only when the write is at least as recent (updated_at).
create function public.record_alert(
  p_id text,
  p_job_name text,
  p_service text,
  p_rule jsonb,
  p_state text,
  p_summary text,
  p_opened_at timestamptz,
  p_resolved_at timestamptz,
  p_runs jsonb,
  p_deliveries jsonb,
  p_updated_at timestamptz
) returns void
language sql
security invoker
set search_path = ''
as $$
  insert into public.job_alerts as a (
    id, job_name, service, rule, state, summary, opened_at, resolved_at, runs, deliveries, updated_at
  ) values (
    p_id, p_job_name, p_service, p_rule, p_state, p_summary, p_opened_at, p_resolved_at, p_runs, p_deliveries,
    p_updated_at
  )
  on conflict (id) do update set
    job_name = excluded.job_name,
    service = excluded.service,
    rule = excluded.rule,
    state = excluded.state,
    summary = excluded.summary,
    opened_at = excluded.opened_at,
    resolved_at = excluded.resolved_at,
    runs = excluded.runs,
    deliveries = excluded.deliveries,
    updated_at = excluded.updated_at
  where a.updated_at <= excluded.updated_at;
$$;

-- History retention: up to p_limit resolved episodes resolved before the cutoff, oldest first; answers how many.
create function public.prune_alerts(p_resolved_before timestamptz, p_limit integer) returns integer
language sql
security invoker
set search_path = ''
as $$
  with removed as (
    delete from public.job_alerts
    where id in (
      select id from public.job_alerts
      where state = 'resolved' and resolved_at < p_resolved_before
      order by resolved_at, id
      limit p_limit
      for update skip locked
    )
    returning 1
  )
  select count(*)::integer from removed;
$$;

-- As for every function of the mirror (20261126000000_scheduler_mirror.sql): only service_role runs them.
revoke execute on function public.record_alert from public, anon, authenticated;
revoke execute on function public.prune_alerts from public, anon, authenticated;
grant execute on function public.record_alert to service_role;
grant execute on function public.prune_alerts to service_role;
