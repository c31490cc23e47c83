/**
 * What the scheduler's admin API answers, as types (its `GET /api/jobs`, `GET /api/executions` and actions). The
 * package's own copy, so that it imports nothing from the scheduler; test/types/client-views.ts holds the scheduler's
 * answers to it, so the two cannot drift. Times are ISO-8601 strings (UTC); durations are in milliseconds.
 */

/** `running` until it ends; `failed` and `timed_out` count as failures in a job's stats. */
export type ExecutionStatus = 'running' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled' | 'terminated';

/** What started a run: its schedule, an admin (`manual`), a retry of an earlier run, a backfill. */
export type ExecutionTrigger = 'schedule' | 'manual' | 'retry' | 'backfill';

/** The job's policy when a run is due while the previous one still runs. */
export type OverlapPolicy = 'skip' | 'buffer_one' | 'buffer_all' | 'cancel_other' | 'terminate_other' | 'allow_all';

/** Run counts: lifetime totals. */
export interface JobStats {
  totalRuns: number;
  successfulRuns: number;
  /** Runs that failed or timed out. */
  failedRuns: number;
  /** The part of the three counts above whose rows history retention removed. */
  pruned: { totalRuns: number; successfulRuns: number; failedRuns: number };
  /** Occurrences skipped under the overlap policy. */
  skipped: number;
  /** Occurrences missed for longer than the catch-up window, and so skipped. */
  missed: number;
  /** Wall times a wildcard job skipped because the clocks sprang forward over them. */
  dstSkipped: number;
}

/** A job's alert rules in effect. Durations in seconds; null: the rule is off. */
export interface JobAlertRules {
  /** Alert when a run ends unsuccessful after its retries. */
  onFailure: boolean;
  /** Alert once when this many runs in a row end unsuccessful. */
  consecutiveFailures: number | null;
  /** The dead-man's switch: alert when no run succeeds for this long. */
  noSuccessWithinSeconds: number | null;
  /** Whether `noSuccessWithinSeconds` was derived from the schedule (`auto`). */
  noSuccessWithinDerived: boolean;
  /** Alert while a run is still going after this long. */
  runningLongerThanSeconds: number | null;
  /** Alert when the overlap policy skips occurrences. */
  onSkipped: boolean;
  /** Alert when occurrences are missed (the catch-up window). */
  onMissed: boolean;
  /** At most one message per rule per this long. */
  dampingSeconds: number;
  /** Where its alerts go: the destinations it names, or every configured one. */
  destinations: string[];
}

/** A job: its definition with the defaults applied, its state in Temporal and its mirrored runs. */
export interface JobView {
  name: string;
  service: string;
  /** A path on the owning service. */
  endpoint: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'GET';
  cron: string;
  /** IANA name. */
  timezone: string;
  /** The cron in words, in its zone (`At 09:00, only on Monday (America/New_York)`). */
  schedule: string;
  description: string;
  payload: Record<string, unknown>;
  enabled: boolean;
  timeoutSeconds: number;
  retry: {
    maxAttempts: number;
    initialIntervalSeconds: number;
    backoffCoefficient: number;
    maxIntervalSeconds: number;
  };
  overlap: OverlapPolicy;
  catchupWindowSeconds: number;
  jitterSeconds: number;
  /** The spread it asked for, 0–59; 0: fires exactly as written. */
  spreadSeconds: number;
  /** The fixed offset its name gives it within `spreadSeconds`: each time its cron names, it fires this much later. */
  spreadOffsetSeconds: number;
  /** From its service's declared set: a later set that leaves it out removes it. */
  declared: boolean;
  /** Its alert rules in effect: its own, else the scheduler's configured defaults. */
  alerts: JobAlertRules;
  paused: boolean;
  /** Who paused or resumed it last, and their note (`paused by ops: migration`); null when nobody has. */
  pauseNote: string | null;
  /** The next fire times, up to 5; empty while paused. */
  nextRunTimes: string[];
  lastExecution: { id: string; status: ExecutionStatus; startedAt: string; completedAt: string | null } | null;
  stats: JobStats;
  /** When its newest successful run ended; null before any. */
  lastSuccessAt: string | null;
  /** When its newest unsuccessful run (failed, timed out, cancelled, terminated) ended; null before any. */
  lastFailureAt: string | null;
  /** Unsuccessful runs that ended after `lastSuccessAt`; 0 when the last run to end succeeded. */
  consecutiveFailures: number;
  /** Run durations over its 20 latest-ended runs, in ms; null before any. */
  durations: { p50Ms: number | null; p95Ms: number | null };
  /** Its 20 newest runs, newest first. */
  recentRuns: { id: string; status: ExecutionStatus; startedAt: string }[];
  createdAt: string | null;
  updatedAt: string | null;
  /** Its schedule in Temporal Web. */
  temporal: { scheduleId: string; url: string };
}

/** One change of whether a job runs. */
export interface PauseChange {
  at: string;
  /** True: from `at` the job does not run (an admin paused it, or its service disabled it); false: it runs again. */
  paused: boolean;
  /** The admin's name, `service` for its registration's `enabled`, null when unknown (paused in Temporal itself). */
  by: string | null;
  /** The schedule's note at the change (`paused by ops: migration`). */
  note: string | null;
}

/** One job (`GET /api/jobs/:name`): its view, its pause history and its open alerts. */
export interface JobDetailView extends JobView {
  /** Its 20 latest pauses and resumes, newest first. */
  pauseHistory: PauseChange[];
  /** Its open alert episodes, newest first, at most 10 (absent from a scheduler before alerts). */
  openAlerts?: AlertView[];
}

/** The rule that opened an alert episode, with its settings (durations in seconds). */
export type AlertRule =
  | { type: 'run_failed' }
  | { type: 'consecutive_failures'; count: number }
  | { type: 'no_success_within'; seconds: number }
  | { type: 'running_too_long'; seconds: number }
  | { type: 'occurrences_skipped' }
  | { type: 'occurrences_missed' }
  | { type: 'unexplained_occurrence' };

/**
 * An alert episode (`GET /api/alerts`): one job's rule fired at `openedAt` and, once the job recovered, was resolved.
 * Its `id` starts the `Idempotency-Key` of each message delivered for it.
 */
export interface AlertView {
  id: string;
  jobName: string;
  service: string;
  rule: AlertRule;
  /** The rule in a few words: `3 failed runs in a row`. */
  ruleText: string;
  state: 'open' | 'resolved';
  /** One line: what is wrong, or that it is over. */
  summary: string;
  openedAt: string;
  resolvedAt: string | null;
  /** The runs that matter, newest first, at most 5. */
  runs: {
    executionId: string;
    status: ExecutionStatus;
    scheduledAt: string | null;
    startedAt: string | null;
    error: string | null;
    httpStatus: number | null;
  }[];
  /** The latest outcome of each message (`firing`, `resolved`) at each destination. */
  deliveries: {
    destination: string;
    kind: 'firing' | 'resolved';
    status: 'pending' | 'delivered' | 'undeliverable';
    at: string;
    /** The destination's HTTP status when delivered; the reason when undeliverable; null while pending. */
    detail: string | null;
  }[];
  /** When the scheduler decided this state. */
  updatedAt: string;
  /** The job's page in the admin console and its schedule in Temporal Web. */
  links: { console: string; temporalWeb: string };
}

/** One run of a job (one Temporal workflow: `id` is its workflow id). */
export interface ExecutionView {
  id: string;
  jobName: string;
  service: string;
  status: ExecutionStatus;
  trigger: ExecutionTrigger;
  /** The admin or service that started it by hand; null for a scheduled run. */
  triggeredBy: string | null;
  /** The run this one retries. */
  retryOf: string | null;
  /** The runs that retried this one, oldest first. */
  retriedBy: { id: string; status: ExecutionStatus }[];
  /** The fire time it stands for; null for a manual run. */
  scheduledAt: string | null;
  startedAt: string;
  completedAt: string | null;
  durationMs: number | null;
  attempts: number;
  /** The owning service's answer to the last attempt. */
  httpStatus: number | null;
  error: string | null;
  /** The first 2 KiB of the service's answer. */
  response: string | null;
  workflowId: string;
  runId: string | null;
  /** Fields the mirror could not store (e.g. `["response"]`); null when the row is whole. */
  droppedFields: ('response' | 'error')[] | null;
  /** The run in Temporal Web. */
  temporal: { url: string };
}

/** A page of a list: pass `nextCursor` back (`after` for jobs, `before` for runs and alerts) for the next; null on the last. */
export interface Page {
  nextCursor: string | null;
}

/** `GET /api/jobs`: jobs by name. */
export interface JobPage extends Page {
  jobs: JobView[];
}

/** `GET /api/executions`: runs, newest first. */
export interface ExecutionPage extends Page {
  executions: ExecutionView[];
}

/** `GET /api/alerts`: alert episodes, newest opened first. */
export interface AlertPage extends Page {
  alerts: AlertView[];
}
