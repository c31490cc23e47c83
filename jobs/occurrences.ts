/**
 * The occurrence ledger (docs/ledger.md): what happened to each nominal time of a job's schedule, and why. Pure: it
 * reads the plan's nominal times, the job's runs and its pause history, and decides each time's fate the way
 * Temporal's scheduler decided it (SRV `service/worker/scheduler/workflow.go` in 1.29: a time the scheduler gets to
 * later than the catch-up window is missed; a time that finds a run of the schedule still going is skipped under
 * overlap `skip` and, once one is buffered, `buffer_one`; a paused schedule starts nothing and counts nothing).
 */
import type { ExecutionStatus, Trigger } from './execution';
import { countFires, nextFires } from './fire-plan';
import type { JobDefinition, OverlapPolicy } from './job';
import { jobCron, type JobTiming } from './spread';

/**
 * What became of one nominal time:
 * - `ran`: the schedule started its run (`executionId`, `status`);
 * - `skipped`: the overlap policy dropped it because a run of the schedule still held the job (`heldBy`);
 * - `missed`: the scheduler got to it later than the job's catch-up window (Temporal down or behind);
 * - `paused`: the job was paused, or disabled by its service, at that time (`pause`);
 * - `not_due`: not yet due, due too recently to have started, or before the job existed;
 * - `unexplained`: none of these: a run the mirror lost, or a time Temporal dropped. It should never happen.
 */
export const FATES = ['ran', 'skipped', 'missed', 'paused', 'not_due', 'unexplained'] as const;
export type Fate = (typeof FATES)[number];

/** A run as the ledger needs it: when it was due and when it went. Times ISO-8601. */
export interface RunSpan {
  id: string;
  trigger: Trigger;
  triggeredBy: string | null;
  retryOf: string | null;
  status: ExecutionStatus;
  /** The nominal time a scheduled or backfilled run stands for; null for a manual run or a retry. */
  scheduledAt: string | null;
  startedAt: string;
  /** Null while it runs. */
  completedAt: string | null;
}

/** A change of whether the job runs (store/job-store.ts `PauseChange`), oldest first. */
export interface PauseSpan {
  at: string;
  paused: boolean;
  by: string | null;
  note: string | null;
}

export interface Occurrence {
  /** The nominal time, ISO-8601 UTC. */
  scheduledAt: string;
  fate: Fate;
  /** `ran`: the run; `skipped`: the run that held the job; else null. */
  executionId: string | null;
  /** `ran`: the run's status; else null. */
  status: ExecutionStatus | null;
  /** Why, in words (e.g. "skipped by the overlap policy skip: run … was still running"). */
  reason: string;
  /** `paused`: the pause in force at that time. */
  pause?: { at: string; by: string | null; note: string | null };
  /** A run an admin started later for this very time (a backfill), when there is one. */
  backfilledBy?: string;
}

export interface Ledger {
  occurrences: Occurrence[];
  /** The runs an admin or a retry started in the window (`manual`, `backfill`, `retry`), oldest first. */
  manual: RunSpan[];
  /** How many occurrences have each fate. */
  counts: Record<Fate, number>;
}

/** What the ledger needs of the job. */
export interface LedgerJob {
  overlap: OverlapPolicy;
  catchupWindowSeconds: number;
  jitterSeconds: number;
  /** When the job was first registered, ISO-8601. */
  createdAt: string;
}

/**
 * A due time may go this long (past its jitter) without a run before the ledger calls its fate: the scheduler's
 * own lag (Temporal's start rate, a burst at the top of the hour) stays well inside it.
 */
export const START_GRACE_MS = 60_000;

/**
 * How long after a run's recorded end Temporal's scheduler may still count it as running. The end row's
 * `completedAt` is taken as the run starts its end (before the end row is written and the run closes), and the
 * scheduler learns of the close from a watcher that reports asynchronously (service/worker/scheduler/workflow.go in
 * 1.29): a time that comes in between is skipped under `skip` or `buffer_one` although the recorded run had ended.
 */
const CLOSING_MS = 5_000;

/**
 * The ledger of a window [from, to) (epoch ms): the fate of each nominal time in it (ascending), and the runs started
 * in it by other triggers. `runs`: the job's runs that started from a day before `from` to past `to` by its catch-up
 * window, in any order; `pauses`: its pause history
 * ({@link PauseSpan}, oldest first, the first one possibly before the window). A time's rules, in order:
 * 1. a scheduled run for the time (its `scheduledAt`) → `ran`; a time to come, or before the job existed → `not_due`;
 * 2. the job was paused or disabled at the time → `paused`;
 * 3. under overlap `skip` or `buffer_one`, a scheduled run was going when the time came (within its jitter), or had
 *    recorded its end less than {@link CLOSING_MS} before it while the scheduler was up (its next run started within
 *    the catch-up window) → `skipped`, held by that run;
 * 4. the first scheduled run started at or after the time stands for an earlier time: the scheduler got to both in
 *    one pass (after an outage) and started the earlier first, so under `skip` or `buffer_one` → `skipped`;
 * 5. that first run (or now, when none has started since) came more than the catch-up window after the time →
 *    `missed`: the scheduler got to the time too late (had it not, the time would have its own run);
 * 6. due less than the job's jitter plus {@link START_GRACE_MS} ago, or nothing started since (within the catch-up
 *    window: the scheduler may still get to it) → `not_due` (not started yet);
 * 7. anything else → `unexplained`.
 * Limits, since nothing records when the scheduler was down: a time missed during an outage while a run of the job
 * stayed open through it shows as `skipped`; a run lost while the scheduler was up shows as `missed` when the job's
 * next run came more than its catch-up window later.
 */
export function buildLedger(
  window: { from: number; to: number },
  times: readonly number[],
  runs: readonly RunSpan[],
  pauses: readonly PauseSpan[],
  job: LedgerJob,
  now: number,
): Ledger {
  const scheduled = runs
    .filter((r) => r.trigger === 'schedule')
    .map((r) => ({ ...r, start: Date.parse(r.startedAt), end: r.completedAt ? Date.parse(r.completedAt) : Infinity }))
    .sort((a, b) => a.start - b.start);
  const byTime = new Map(scheduled.filter((r) => r.scheduledAt).map((r) => [Date.parse(r.scheduledAt!), r]));
  const backfills = new Map(
    runs.filter((r) => r.trigger === 'backfill' && r.scheduledAt).map((r) => [Date.parse(r.scheduledAt!), r.id]),
  );
  const pauseAt = pauseLookup(pauses);
  const holds = job.overlap === 'skip' || job.overlap === 'buffer_one';
  const jitterMs = job.jitterSeconds * 1000;
  const catchupMs = job.catchupWindowSeconds * 1000;
  const created = Date.parse(job.createdAt);

  // Runs still going at an instant, found by sweeping the times in order over the runs sorted by start.
  // The run that ended last before the instant, when it ended less than CLOSING_MS before: still closing to Temporal.
  let nextStart = 0;
  const open: typeof scheduled = [];
  let lastEnded: (typeof scheduled)[number] | null = null;
  const holderAt = (instant: number, until: number) => {
    while (nextStart < scheduled.length && scheduled[nextStart]!.start <= until) open.push(scheduled[nextStart++]!);
    for (let i = open.length - 1; i >= 0; i--) {
      const run = open[i]!;
      if (run.end > instant) continue;
      if (!lastEnded || run.end > lastEnded.end) lastEnded = run;
      open.splice(i, 1);
    }
    return open[0] ?? (lastEnded && instant - lastEnded.end < CLOSING_MS ? lastEnded : null);
  };
  const firstStartFrom = (instant: number) => {
    let lo = 0;
    let hi = scheduled.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (scheduled[mid]!.start < instant) lo = mid + 1;
      else hi = mid;
    }
    return scheduled[lo] ?? null;
  };

  const occurrences = times.map((time): Occurrence => {
    const scheduledAt = new Date(time).toISOString();
    const base = { scheduledAt, executionId: null, status: null };
    const withBackfill = (o: Occurrence): Occurrence => {
      const backfilledBy = backfills.get(time);
      return backfilledBy ? { ...o, backfilledBy } : o;
    };
    const holder = holds ? holderAt(time, time + jitterMs) : null;
    const run = byTime.get(time);
    if (run) return { ...base, fate: 'ran', executionId: run.id, status: run.status, reason: `ran as ${run.id}` };
    if (time < created) return { ...base, fate: 'not_due', reason: 'before the job was registered' };
    if (time > now) return { ...base, fate: 'not_due', reason: 'not yet due' };
    const pause = pauseAt(time);
    if (pause)
      return withBackfill({
        ...base,
        fate: 'paused',
        reason: pause.by ? `paused by ${pause.by}` : 'paused',
        pause: { at: pause.at, by: pause.by, note: pause.note },
      });
    const next = firstStartFrom(time);
    const reachedAt = next ? next.start : now;
    if (holder && holder.end > time) return withBackfill(skippedBy(base, holder.id, job.overlap));
    // a run that had just ended holds the time only if the scheduler was up then: it started the next run in time
    if (holder && reachedAt - time <= catchupMs + jitterMs) {
      const closing = `had ended ${time - holder.end} ms before, not yet seen by the scheduler`;
      return withBackfill(skippedBy(base, holder.id, job.overlap, closing));
    }
    if (holds && next?.scheduledAt && Date.parse(next.scheduledAt) < time)
      return withBackfill(skippedBy(base, next.id, job.overlap));
    if (reachedAt - time > catchupMs + jitterMs)
      return withBackfill({
        ...base,
        fate: 'missed',
        reason: next
          ? `missed: the scheduler next started a run at ${next.startedAt}, past the catch-up window of ${job.catchupWindowSeconds} s`
          : `missed: the scheduler has started nothing since, past the catch-up window of ${job.catchupWindowSeconds} s`,
      });
    // nothing started since, within the catch-up window: the scheduler may still get to it
    if (!next || time + jitterMs + START_GRACE_MS > now)
      return { ...base, fate: 'not_due', reason: 'due; not started yet' };
    return withBackfill({
      ...base,
      fate: 'unexplained',
      reason: 'no run, no pause, no overlap and no outage explain it',
    });
  });
  const counts = Object.fromEntries(FATES.map((f) => [f, 0])) as Record<Fate, number>;
  for (const o of occurrences) counts[o.fate]++;
  const manual = runs
    .filter((r) => r.trigger !== 'schedule')
    .filter((r) => Date.parse(r.startedAt) >= window.from && Date.parse(r.startedAt) < window.to)
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  return { occurrences, manual, counts };
}

/** A time skipped by the overlap policy, held by `holderId`: still running, or as `closing` says. */
function skippedBy(
  base: Pick<Occurrence, 'scheduledAt' | 'status'>,
  holderId: string,
  overlap: OverlapPolicy,
  closing = '',
): Occurrence {
  return {
    ...base,
    fate: 'skipped',
    executionId: holderId,
    reason: `skipped by the overlap policy ${overlap}: ${holderId} ${closing || 'was still running'}`,
  };
}

/** The pause in force at an instant (the last change at or before it, if it paused), for ascending instants. */
function pauseLookup(pauses: readonly PauseSpan[]): (instant: number) => PauseSpan | null {
  let i = -1;
  return (instant) => {
    while (i + 1 < pauses.length && Date.parse(pauses[i + 1]!.at) <= instant) i++;
    const change = pauses[i];
    return change?.paused ? change : null;
  };
}

/** How many nominal times (its spread included) the plan of a job's schedule has in [from, to) (epoch ms), counted without listing them. */
export function countPlannedTimes(
  job: JobTiming & Pick<JobDefinition, 'timezone'>,
  from: number,
  to: number,
  now: number,
) {
  return countFires(jobCron(job), job.timezone, new Date(from), new Date(to - 1), new Date(now));
}

/**
 * The nominal times (epoch ms, ascending) of the plan of a job's schedule in [from, to): the UTC calendars Temporal
 * is given (jobs/fire-plan.ts), daylight-saving policy included.
 */
export function plannedTimes(job: JobTiming & Pick<JobDefinition, 'timezone'>, from: number, to: number, now: number) {
  const count = countPlannedTimes(job, from, to, now);
  return nextFires(jobCron(job), job.timezone, new Date(from), count)
    .map((fire) => fire.at * 1000)
    .filter((at) => at < to);
}
