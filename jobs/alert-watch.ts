/**
 * What a job's alert rules decide, as a pure state machine: the watch workflow (workflows/watch-job.ts) feeds it the
 * job's run events, schedule counters and the passing of time, and delivers the messages it answers. Inert: the
 * workflow bundle imports it; every time is an argument (epoch ms), nothing reads a clock.
 *
 * Episodes: each rule has at most one open episode per job (a storm of failures is one episode). A message is
 * sent when an episode opens (`firing`) and when it closes (`resolved`: the recovery notice). Damping: a rule sends at
 * most one message per `dampingSeconds`; what changes inside that window is merged, and what stands at its end is
 * sent; an episode that closed and opened again (a flapping job) tells its recovery only once it has stayed closed
 * for a whole window, so a flapping job sends one alert and one recovery.
 */
import {
  defaultNextSteps,
  describeRule,
  MAX_ALERT_RUNS,
  type Alert,
  type AlertDeliveryRecord,
  type AlertRule,
  type AlertRun,
} from './alert';
import { FAILED_STATUSES, type ExecutionRecord, type ExecutionStatus, type Trigger } from './execution';

type AlertRuleType = AlertRule['type'];

/** A job's rules with every default applied and every duration worked out (seconds); null: the rule is off. */
export interface EffectiveAlertRules {
  /** A run that ends failed or timed out after its retries. */
  onFailure: boolean;
  /** This many unsuccessful runs in a row. */
  consecutiveFailures: number | null;
  /** No successful run for this long (the dead-man's switch). */
  noSuccessWithinSeconds: number | null;
  /** A run still going after this long. */
  runningLongerThanSeconds: number | null;
  onSkipped: boolean;
  onMissed: boolean;
  /** At most one message per rule per this long. */
  dampingSeconds: number;
}

/** A job's alert rules as the API works them out, and the destinations it names ([]: every configured one). */
export interface WatchRules {
  rules: EffectiveAlertRules;
  destinations: string[];
}

/** What the mirror says of a job's health: its last success (null before any) and its runs still going. */
export interface JobHealth {
  lastSuccessAt: string | null;
  running: WatchedRun[];
}

/**
 * The memo key under which a watch keeps the {@link WatchRules} it holds, so the reconciler can tell from one
 * visibility listing which watches are missing or behind their job (temporal/watch.ts `watchesToMend`).
 */
export const WATCH_RULES_MEMO = 'watchRules';

/**
 * A watch's workflow task timeout (Temporal's default: 10 s; its ceiling: 120 s), as its starter and its
 * continue-as-new set it. A task of a watch its worker no longer holds in memory replays the watch's history (150
 * events at most, about 0.3 s on an idle core); on a worker busy with a burst of runs that takes several times longer,
 * and a task past its timeout is tried again from the start, with the same replay.
 */
export const WATCH_WORKFLOW_TASK_TIMEOUT = '30s';

/** The watch workflow's input (workflows/watch-job.ts). */
export interface WatchJobInput extends WatchRules {
  job: { name: string; service: string };
  /** The job's health as its starter read it: the watch's first reading, with no activity for it. Absent: read it. */
  health?: JobHealth;
  /** Carried across continue-as-new: the decisions so far, and the deliveries of the episodes still in them. */
  state?: WatchState;
  deliveries?: Record<string, AlertDeliveryRecord[]>;
  /** Carried across continue-as-new: up to when (epoch ms) the ledger has been looked at for unexplained times. */
  ledgerCheckedTo?: number;
  /** Carried across continue-as-new: the events signalled while the last run's deliveries drained, in order. */
  inbox?: WatchEvent[];
}

/** A run as the watch hears of it: at its start, and again at its end (with its outcome). */
export interface WatchedRun extends AlertRun {
  trigger: Trigger;
  startedAt: string;
  /** Null while it runs. */
  completedAt: string | null;
}

/** A run as the watch hears of it, from its mirror row. */
export const watchedRunOf = (e: ExecutionRecord): WatchedRun => ({
  executionId: e.id,
  trigger: e.trigger,
  status: e.status,
  scheduledAt: e.scheduledAt,
  startedAt: e.startedAt,
  completedAt: e.completedAt,
  error: e.error,
  httpStatus: e.httpStatus,
});

/** Temporal's counters of a schedule, with the reading before them when known. */
export interface CountersReading {
  skipped: number;
  missed: number;
  previous?: { skipped: number; missed: number };
}

export type WatchEvent =
  /** A run that ended unsuccessful (signalled by the mirror's write of its end row), or one seen starting. */
  | { type: 'run'; run: WatchedRun }
  /**
   * What the mirror says of the job when the watch looks (at a deadline, and every minute while an episode is open
   * or runs are watched for their length): its last success and the runs still going.
   */
  | ({ type: 'health' } & JobHealth)
  /**
   * Temporal's lifetime counters of the schedule (`numActionsSkippedOverlap`, `numActionsMissedCatchupWindow`), and
   * (from the reconciler) the reading before them: the baseline of a watch that has seen none.
   */
  | ({ type: 'counters' } & CountersReading)
  /** Nominal times the occurrence ledger could not explain (fate `unexplained`), found by the watch's hourly look. */
  | { type: 'unexplained'; times: string[] }
  | { type: 'rules'; rules: EffectiveAlertRules };

interface Episode {
  id: string;
  rule: AlertRule;
  openedAt: number;
  resolvedAt: number | null;
  /** How many times it closed and opened again before its recovery was told: a flapping job. */
  flaps: number;
  runs: AlertRun[];
}

interface Channel {
  episode: Episode;
  /** The last message sent for this rule: which episode, which kind, when. */
  sent: { episodeId: string; kind: Alert['kind']; at: number } | null;
}

/** Everything the watch keeps between events; plain JSON, carried across continue-as-new. */
export interface WatchState {
  job: { name: string; service: string };
  rules: EffectiveAlertRules;
  /** Since when the watch has known the job (epoch ms): the dead-man's switch counts from here before a success. */
  since: number;
  lastSuccessAt: number | null;
  /** Unsuccessful runs since the last success: how many, and the newest few. */
  streak: { count: number; runs: AlertRun[] };
  /** Runs going, by execution id. */
  running: Record<string, WatchedRun>;
  /** The latest ended runs heard of, so that a run told twice (its end row written twice) counts once. */
  ended: string[];
  /** The schedule's counters last seen; null before the first. */
  counters: { skipped: number; missed: number } | null;
  channels: Partial<Record<AlertRuleType, Channel>>;
}

export function initialWatchState(
  job: WatchState['job'],
  rules: EffectiveAlertRules,
  now: number,
  lastSuccessAt: number | null = null,
): WatchState {
  return {
    job,
    rules,
    since: now,
    lastSuccessAt,
    streak: { count: 0, runs: [] },
    running: {},
    ended: [],
    counters: null,
    channels: {},
  };
}

const SUCCEEDED: ExecutionStatus = 'succeeded';
const newestFirst = (runs: AlertRun[]) => runs.slice(0, MAX_ALERT_RUNS);
const asAlertRun = ({ executionId, status, scheduledAt, startedAt, error, httpStatus }: WatchedRun): AlertRun => ({
  executionId,
  status,
  scheduledAt,
  startedAt,
  error,
  httpStatus,
});

/**
 * Applies one event at `now`, then the passing of time ({@link advance}); answers the new state and the messages to
 * send now. The state passed in is not changed.
 */
export function applyWatchEvent(state: WatchState, event: WatchEvent, now: number): [WatchState, Alert[]] {
  const next = structuredCloneOf(state);
  if (event.type === 'rules') next.rules = event.rules;
  if (event.type === 'counters') onCounters(next, event, now);
  if (event.type === 'run') onRun(next, event.run, now);
  if (event.type === 'health') onHealth(next, event, now);
  if (event.type === 'unexplained' && event.times.length > 0) open(next, { type: 'unexplained_occurrence' }, now, []);
  return advance(next, now);
}

/**
 * The passing of time to `now`: deadlines that came (no success within, a run going too long) open their episodes,
 * rules off close theirs, and every rule whose message is due sends it. Answers the new state and the messages.
 */
export function advance(state: WatchState, now: number): [WatchState, Alert[]] {
  const next = structuredCloneOf(state);
  const { rules } = next;
  const deadManAt = deadManDeadline(next);
  if (deadManAt !== null && now >= deadManAt)
    open(next, { type: 'no_success_within', seconds: rules.noSuccessWithinSeconds! }, now, next.streak.runs);
  const overdue = overdueRuns(next, now);
  if (overdue.length > 0)
    open(next, { type: 'running_too_long', seconds: rules.runningLongerThanSeconds! }, now, overdue);
  else resolve(next, 'running_too_long', now);
  for (const type of Object.keys(next.channels) as AlertRuleType[])
    if (!ruleIsOn(rules, type)) resolve(next, type, now);
  const messages: Alert[] = [];
  for (const channel of channelsOf(next)) {
    const message = dueMessage(next, channel, now);
    if (message) {
      channel.sent = { episodeId: message.id, kind: message.kind, at: now };
      messages.push(message);
    }
  }
  return [next, messages];
}

/**
 * When the watch must look again after `now` (epoch ms): the next deadline or the end of a damping window still to
 * come; null: never, until the next event.
 */
export function nextWakeAt(state: WatchState, now: number): number | null {
  const times: number[] = [];
  const deadMan = deadManDeadline(state);
  if (deadMan !== null) times.push(deadMan);
  const limit = state.rules.runningLongerThanSeconds;
  if (limit !== null)
    for (const run of Object.values(state.running)) times.push(Date.parse(run.startedAt) + limit * 1000);
  for (const channel of channelsOf(state)) {
    const due = dueAt(state, channel);
    if (due !== null) times.push(due);
  }
  const later = times.filter((t) => t > now);
  return later.length === 0 ? null : Math.min(...later);
}

/** The job's open episodes, newest first: what its view shows. */
export function openEpisodes(state: WatchState): { id: string; rule: AlertRule; openedAt: string }[] {
  return channelsOf(state)
    .filter((c) => c.episode.resolvedAt === null)
    .map((c) => ({ id: c.episode.id, rule: c.episode.rule, openedAt: new Date(c.episode.openedAt).toISOString() }))
    .sort((a, b) => (a.openedAt < b.openedAt ? 1 : -1));
}

const channelsOf = (state: WatchState): Channel[] => Object.values(state.channels).filter((c) => c !== undefined);

/** How many ended runs the watch remembers to drop repeats. */
const ENDED_KEPT = 100;

function onRun(state: WatchState, run: WatchedRun, now: number): void {
  if (run.completedAt === null) {
    state.running[run.executionId] = run;
    return;
  }
  delete state.running[run.executionId];
  if (state.ended.includes(run.executionId)) return;
  state.ended = [...state.ended, run.executionId].slice(-ENDED_KEPT);
  if (run.status === SUCCEEDED) {
    succeeded(state, Date.parse(run.completedAt), now);
    return;
  }
  if (run.status === 'running') return;
  const failed = asAlertRun(run);
  state.streak = { count: state.streak.count + 1, runs: newestFirst([failed, ...state.streak.runs]) };
  const { rules } = state;
  if (rules.onFailure && FAILED_STATUSES.includes(run.status)) open(state, { type: 'run_failed' }, now, [failed]);
  if (rules.consecutiveFailures !== null && state.streak.count >= rules.consecutiveFailures)
    open(state, { type: 'consecutive_failures', count: rules.consecutiveFailures }, now, state.streak.runs);
}

/** A success at `at`: the streak ends, and the episodes a success answers close. */
function succeeded(state: WatchState, at: number, now: number): void {
  if (state.lastSuccessAt !== null && at <= state.lastSuccessAt) return;
  state.lastSuccessAt = at;
  state.streak = { count: 0, runs: [] };
  // skips and misses are over too once a run goes through again
  const answered = [
    'run_failed',
    'consecutive_failures',
    'no_success_within',
    'occurrences_skipped',
    'occurrences_missed',
  ] as const;
  for (const type of answered) {
    const episode = state.channels[type]?.episode;
    if (episode && episode.openedAt <= at) resolve(state, type, now);
  }
}

/** A reading of the mirror; the runs going are kept only for the rule that times them (the state stays small). */
function onHealth(state: WatchState, health: JobHealth, now: number): void {
  if (health.lastSuccessAt !== null) succeeded(state, Date.parse(health.lastSuccessAt), now);
  const timed = state.rules.runningLongerThanSeconds === null ? [] : health.running;
  state.running = Object.fromEntries(timed.map((run) => [run.executionId, run]));
}

/** Whether the watch should look at the mirror every minute: an episode waits for a success, or runs are timed. */
export function watchesHealth(state: WatchState): boolean {
  return state.rules.runningLongerThanSeconds !== null || channelsOf(state).some((c) => c.episode.resolvedAt === null);
}

function onCounters(state: WatchState, counters: CountersReading, now: number): void {
  const seen = state.counters ?? counters.previous ?? null;
  state.counters = { skipped: counters.skipped, missed: counters.missed };
  if (!seen) return; // the first reading is the baseline
  if (state.rules.onSkipped && counters.skipped > seen.skipped) open(state, { type: 'occurrences_skipped' }, now, []);
  if (state.rules.onMissed && counters.missed > seen.missed) open(state, { type: 'occurrences_missed' }, now, []);
}

/** Opens the rule's episode, or adds runs to the one open; an episode closed but not yet announced reopens. */
function open(state: WatchState, rule: AlertRule, now: number, runs: AlertRun[]): void {
  const channel = state.channels[rule.type];
  if (channel && (channel.episode.resolvedAt === null || !resolutionSent(channel))) {
    if (channel.episode.resolvedAt !== null) channel.episode.flaps++;
    channel.episode.resolvedAt = null;
    channel.episode.runs = newestFirst(uniqueRuns([...runs, ...channel.episode.runs]));
    return;
  }
  const episode: Episode = {
    id: `${state.job.name}:${rule.type}:${new Date(now).toISOString()}`,
    rule,
    openedAt: now,
    resolvedAt: null,
    flaps: 0,
    runs: newestFirst(runs),
  };
  state.channels[rule.type] = { episode, sent: channel?.sent ?? null };
}

function resolve(state: WatchState, type: AlertRuleType, now: number): void {
  const channel = state.channels[type];
  if (channel && channel.episode.resolvedAt === null) channel.episode.resolvedAt = now;
}

/**
 * When the rule's next message may go (epoch ms), null when there is nothing new to say: once the damping window
 * of its last message has passed, and for the recovery of an episode that flapped, once it has stayed closed for a
 * window too.
 */
function dueAt(state: WatchState, channel: Channel): number | null {
  if (!differs(channel)) return null;
  const window = state.rules.dampingSeconds * 1000;
  const { episode, sent } = channel;
  const settled = episode.resolvedAt !== null && episode.flaps > 0 ? episode.resolvedAt + window : 0;
  return Math.max(sent ? sent.at + window : 0, settled);
}

const resolutionSent = (c: Channel) => c.sent?.episodeId === c.episode.id && c.sent.kind === 'resolved';
const kindOf = (c: Channel): Alert['kind'] => (c.episode.resolvedAt === null ? 'firing' : 'resolved');
/** Whether what stands differs from what was last said. An episode closed before it was ever told needs no word. */
function differs(c: Channel): boolean {
  if (!c.sent || c.sent.episodeId !== c.episode.id) return kindOf(c) === 'firing';
  return c.sent.kind !== kindOf(c);
}

function dueMessage(state: WatchState, channel: Channel, now: number): Alert | null {
  const due = dueAt(state, channel);
  if (due === null || now < due) return null;
  const { episode } = channel;
  const kind = kindOf(channel);
  return {
    id: episode.id,
    kind,
    job: state.job,
    rule: episode.rule,
    summary:
      kind === 'firing'
        ? `${state.job.name}: ${describeRule(episode.rule)}`
        : `${state.job.name}: recovered (${describeRule(episode.rule)})`,
    openedAt: new Date(episode.openedAt).toISOString(),
    resolvedAt: episode.resolvedAt === null ? null : new Date(episode.resolvedAt).toISOString(),
    runs: episode.runs,
    nextSteps: defaultNextSteps(episode.rule, kind),
  };
}

function deadManDeadline(state: WatchState): number | null {
  const seconds = state.rules.noSuccessWithinSeconds;
  if (seconds === null) return null;
  const channel = state.channels.no_success_within;
  if (channel && channel.episode.resolvedAt === null) return null; // open: it fires once
  return (state.lastSuccessAt ?? state.since) + seconds * 1000;
}

function overdueRuns(state: WatchState, now: number): AlertRun[] {
  const limit = state.rules.runningLongerThanSeconds;
  if (limit === null) return [];
  return Object.values(state.running)
    .filter((run) => now >= Date.parse(run.startedAt) + limit * 1000)
    .map(asAlertRun);
}

function ruleIsOn(rules: EffectiveAlertRules, type: AlertRuleType): boolean {
  switch (type) {
    case 'run_failed':
      return rules.onFailure;
    case 'consecutive_failures':
      return rules.consecutiveFailures !== null;
    case 'no_success_within':
      return rules.noSuccessWithinSeconds !== null;
    case 'running_too_long':
      return rules.runningLongerThanSeconds !== null;
    case 'occurrences_skipped':
      return rules.onSkipped;
    case 'occurrences_missed':
      return rules.onMissed;
    case 'unexplained_occurrence':
      return true;
  }
}

function uniqueRuns(runs: AlertRun[]): AlertRun[] {
  const seen = new Set<string>();
  return runs.filter((r) => !seen.has(r.executionId) && seen.add(r.executionId));
}

/** A deep copy of plain JSON state (workflow code: no structuredClone in every sandbox). */
const structuredCloneOf = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
