/**
 * A job's alert rules: what its service registers (`alerts`), the defaults configuration gives (`SCHEDULER_ALERT_*`),
 * and the rules in effect that the watch (jobs/alert-watch.ts) evaluates and the job view shows. Inert and pure:
 * every time is an argument; the workflow bundle may import it, the API computes with it (workflows cannot read
 * configuration).
 */
import { chooseDestinations } from './alert';
import type { EffectiveAlertRules, WatchRules } from './alert-watch';
import { longestFireGap } from './fire-plan';
import { attemptSeconds, type JobDefinition } from './job';
import { jobCron, type JobTiming } from './spread';

/**
 * The `alerts` field of a registration, as stored (normalised: only what the service set). Absent: the configured
 * default; `null`: the rule off. Durations in seconds.
 */
export interface AlertRuleSettings {
  /** Alert when a run ends unsuccessful (failed, timed out) after its retries. */
  onFailure?: boolean;
  /** Alert once when this many runs in a row end unsuccessful (2–1000). */
  consecutiveFailures?: number | null;
  /** The dead-man's switch: alert when no run succeeds for this long (60 s–365 days); `auto`: derived from the schedule ({@link deadManSeconds}). */
  noSuccessWithinSeconds?: number | 'auto' | null;
  /** Alert while a run is still going after this long (10 s–365 days). */
  runningLongerThanSeconds?: number | null;
  /** Alert when occurrences are skipped by the overlap policy. */
  onSkipped?: boolean;
  /** Alert when occurrences are missed (older than the catch-up window when the scheduler got to them). */
  onMissed?: boolean;
  /** Configured destination names (`SCHEDULER_ALERT_WEBHOOKS`); absent or empty: every configured destination. */
  destinations?: string[];
}

/** The bounds of the rules' numbers, for the schema and the configuration alike. */
export const ALERT_RULE_LIMITS = Object.freeze({
  consecutiveFailures: { min: 2, max: 1000 },
  noSuccessWithinSeconds: { min: 60, max: 365 * 86_400 },
  runningLongerThanSeconds: { min: 10, max: 365 * 86_400 },
  dampingSeconds: { min: 0, max: 86_400 },
  destinations: { maxItems: 20 },
});

/** What configuration gives a job that does not set a rule (`SCHEDULER_ALERT_*`); null: off. */
export interface AlertRuleDefaults {
  onFailure: boolean;
  consecutiveFailures: number | null;
  noSuccessWithinSeconds: number | 'auto' | null;
  runningLongerThanSeconds: number | null;
  onSkipped: boolean;
  onMissed: boolean;
  /** At most one message per job and rule per this long (jobs/alert-watch.ts). */
  dampingSeconds: number;
}

/** The defaults when configuration says nothing (docs/configuration.md). */
export const DEFAULT_ALERT_RULES: Readonly<AlertRuleDefaults> = Object.freeze({
  onFailure: true,
  consecutiveFailures: 3,
  noSuccessWithinSeconds: 'auto',
  runningLongerThanSeconds: null,
  onSkipped: false,
  onMissed: true,
  dampingSeconds: 600,
});

/** What {@link alertRulesOf} needs of the configuration: `config.alerts` has this shape. */
export interface AlertSettings {
  rules: AlertRuleDefaults;
  /** The configured destinations, by name (only the names are read). */
  destinations: ReadonlyMap<string, unknown>;
}

/** A job's rules in effect, as its view shows them and the watch needs them. */
export interface JobAlertRules extends EffectiveAlertRules {
  /** Whether `noSuccessWithinSeconds` was derived from the schedule (`auto`). */
  noSuccessWithinDerived: boolean;
  /** The destinations its alerts go to (the ones it names that are configured, or every configured one). */
  destinations: string[];
}

/** The window whose fire times the dead-man default looks at. */
const DEAD_MAN_LOOKAHEAD_SECONDS = 8 * 7 * 86_400;
/** The dead-man default is never shorter than this. */
const DEAD_MAN_MIN_SECONDS = 600;

/**
 * The rules a job has in effect as of `now`: each rule the job sets, else the default; `auto` worked out by
 * {@link deadManSeconds} (null when the job does not fire within its plan: nothing to wait for).
 */
export function effectiveAlertRules(
  job: JobDefinition,
  defaults: AlertRuleDefaults,
  now: Date = new Date(),
): EffectiveAlertRules {
  const set = job.alerts ?? {};
  const noSuccess = pick(set.noSuccessWithinSeconds, defaults.noSuccessWithinSeconds);
  return {
    onFailure: pick(set.onFailure, defaults.onFailure),
    consecutiveFailures: pick(set.consecutiveFailures, defaults.consecutiveFailures),
    noSuccessWithinSeconds: noSuccess === 'auto' ? deadManSeconds(job, now) : noSuccess,
    runningLongerThanSeconds: pick(set.runningLongerThanSeconds, defaults.runningLongerThanSeconds),
    onSkipped: pick(set.onSkipped, defaults.onSkipped),
    onMissed: pick(set.onMissed, defaults.onMissed),
    dampingSeconds: defaults.dampingSeconds,
  };
}

/**
 * A job's rules in effect with its destinations, from the configuration (`config.alerts`): what the job view shows,
 * and what the API hands the watch workflow (which cannot read configuration).
 */
export function alertRulesOf(job: JobDefinition, settings: AlertSettings, now: Date = new Date()): JobAlertRules {
  const rules = effectiveAlertRules(job, settings.rules, now);
  const noSuccess = pick(job.alerts?.noSuccessWithinSeconds, settings.rules.noSuccessWithinSeconds);
  // not a spread followed by more properties, which V8 builds slowly (api/views.ts): every job view asks this
  return Object.assign(rules, {
    noSuccessWithinDerived: noSuccess === 'auto',
    destinations: chooseDestinations(job.alerts?.destinations, [...settings.destinations.keys()]),
  });
}

/**
 * What the watch workflow takes of a job: its rules in effect, and the destinations it names ([]: every one
 * configured when a message goes, which the watch asks then), so a destination configured later is not missed.
 */
export function watchRulesOf(job: JobDefinition, settings: AlertSettings, now: Date = new Date()): WatchRules {
  return { rules: effectiveAlertRules(job, settings.rules, now), destinations: job.alerts?.destinations ?? [] };
}

/** The job's value when it set one (null included: off), else the default. */
const pick = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);

/**
 * The dead-man's switch derived from the schedule (`noSuccessWithinSeconds: "auto"`), in seconds:
 *
 *     max(600, 2 × longest gap + jitterSeconds + run budget)
 *
 * - *longest gap*: the longest wait between consecutive fire times over the 8 weeks from the start of the current
 *   hour, as the job's plan has them (its time zone and daylight saving included; see {@link longestFireGap});
 * - *run budget*: how long one run may take with its retries, {@link runBudgetSeconds}.
 *
 * Twice the gap: one occurrence may fail (or be skipped) without the switch firing; it fires once two in a row
 * brought no success. Null when the job does not fire within its plan's horizon.
 */
export function deadManSeconds(
  job: JobTiming &
    Pick<JobDefinition, 'timezone' | 'jitterSeconds' | 'timeoutSeconds' | 'retry'> &
    Parameters<typeof runBudgetSeconds>[0],
  now: Date,
): number | null {
  const gap = longestGapFrom(job, Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);
  if (gap === null) return null;
  return Math.max(DEAD_MAN_MIN_SECONDS, Math.ceil(2 * gap + job.jitterSeconds + runBudgetSeconds(job)));
}

const HOUR_MS = 3_600_000;
const gaps = new Map<string, number | null>();

/**
 * The longest gap of the 8 weeks from `from` (the start of an hour: every view of a job within the hour agrees, and
 * a page of jobs asks this of each), cached.
 */
function longestGapFrom(job: JobTiming & Pick<JobDefinition, 'timezone'>, from: number): number | null {
  const cron = jobCron(job); // the spread moves the first fire after `from`
  const key = `${from} ${job.timezone} ${cron.kind === 'interval' ? cron.offsetSeconds : (cron.fields.shiftSeconds ?? 0)} ${job.cron}`;
  if (gaps.has(key)) return gaps.get(key)!;
  const lookahead = new Date(from + DEAD_MAN_LOOKAHEAD_SECONDS * 1000);
  const gap = longestFireGap(cron, job.timezone, new Date(from), lookahead);
  if (gaps.size >= 1000) gaps.clear();
  gaps.set(key, gap);
  return gap;
}

/**
 * How long one run may take, its retries included (seconds): every attempt its whole length ({@link attemptSeconds}:
 * `timeoutSeconds`, plus `completionTimeoutSeconds` for an async job), and the waits between attempts of its retry
 * policy (`initialIntervalSeconds × backoffCoefficient^k`, each at most `maxIntervalSeconds`, which also caps a
 * `Retry-After`).
 */
export function runBudgetSeconds(
  job: Pick<
    JobDefinition,
    'timeoutSeconds' | 'retry' | 'async' | 'completionTimeoutSeconds' | 'heartbeatTimeoutSeconds'
  >,
): number {
  const { maxAttempts, initialIntervalSeconds, backoffCoefficient, maxIntervalSeconds } = job.retry;
  let waits = 0;
  for (let k = 0; k < maxAttempts - 1; k++) {
    waits += Math.min(initialIntervalSeconds * backoffCoefficient ** k, maxIntervalSeconds);
  }
  return attemptSeconds(job) * maxAttempts + waits;
}
