import { Type, type Static } from '@sinclair/typebox';
import { EXECUTION_STATUSES, RECENT_RUNS } from '../../jobs/execution';
import { HTTP_METHODS, OVERLAP_POLICIES } from '../../jobs/job';
import { JobNameSchema, literals, RetryPolicySchema } from '../../jobs/schema';
import { NextCursor, Nullable, Timestamp } from './common';
import { AlertViewSchema, OPEN_ALERTS_SHOWN } from './alerts';
import { ExecutionViewSchema } from './executions';

/** The registration body itself is the domain's: `JobRegistrationSchema` in jobs/schema.ts. */

const LastExecutionSchema = Type.Object({
  id: Type.String(),
  status: literals(EXECUTION_STATUSES),
  startedAt: Timestamp,
  completedAt: Nullable(Timestamp),
});

/**
 * A job's alert rules in effect (jobs/alert-rules.ts `JobAlertRules`): durations in seconds, null for a rule off;
 * `destinations` are the ones its alerts go to.
 */
const JobAlertRulesSchema = Type.Object({
  onFailure: Type.Boolean(),
  consecutiveFailures: Nullable(Type.Integer()),
  noSuccessWithinSeconds: Nullable(Type.Integer()),
  /** Whether `noSuccessWithinSeconds` was derived from the schedule (`auto`). */
  noSuccessWithinDerived: Type.Boolean(),
  runningLongerThanSeconds: Nullable(Type.Integer()),
  onSkipped: Type.Boolean(),
  onMissed: Type.Boolean(),
  /** At most one message per rule per this long. */
  dampingSeconds: Type.Integer(),
  destinations: Type.Array(Type.String()),
});

/** A job as the API shows it: its definition with defaults applied, its state in Temporal and its mirrored runs. */
export const JobViewSchema = Type.Object({
  name: Type.String(),
  service: Type.String(),
  endpoint: Type.String(),
  method: literals(HTTP_METHODS),
  cron: Type.String(),
  timezone: Type.String(),
  /** The cron in words, in its zone (cronstrue). */
  schedule: Type.String(),
  description: Type.String(),
  payload: Type.Object({}, { additionalProperties: true }),
  enabled: Type.Boolean(),
  timeoutSeconds: Type.Integer(),
  retry: RetryPolicySchema,
  overlap: literals(OVERLAP_POLICIES),
  catchupWindowSeconds: Type.Integer(),
  jitterSeconds: Type.Integer(),
  /** The spread it asked for, 0–59 (0: fires exactly as written); see docs/herds.md. */
  spreadSeconds: Type.Integer(),
  /**
   * The fixed offset its name gives it within `spreadSeconds` (jobs/spread.ts): every time its cron names, and so
   * `nextRunTimes`, falls this many seconds later.
   */
  spreadOffsetSeconds: Type.Integer(),
  /** From its service's declared set: a later set that leaves it out removes it. */
  declared: Type.Boolean(),
  /** Its alert rules in effect: its own, else the configured defaults (docs/alerts.md#rules). */
  alerts: JobAlertRulesSchema,
  paused: Type.Boolean(),
  pauseNote: Nullable(Type.String()),
  nextRunTimes: Type.Array(Timestamp),
  lastExecution: Nullable(LastExecutionSchema),
  /** The latest `completedAt` of the job's succeeded runs; kept when history retention removes the run. */
  lastSuccessAt: Nullable(Timestamp),
  /** The latest `completedAt` of its unsuccessful runs (failed, timed_out, cancelled, terminated); kept likewise. */
  lastFailureAt: Nullable(Timestamp),
  /** Unsuccessful runs that ended after `lastSuccessAt` (all of them before any success); 0 when the last run to end succeeded. */
  consecutiveFailures: Type.Integer({ minimum: 0 }),
  /** Nearest-rank percentiles of `durationMs` (whole ms) over its 20 latest-ended runs; null while none has one. */
  durations: Type.Object({ p50Ms: Nullable(Type.Integer()), p95Ms: Nullable(Type.Integer()) }),
  /** Its 20 newest runs, newest first (by `startedAt`, then `id`). */
  recentRuns: Type.Array(
    Type.Object({ id: Type.String(), status: literals(EXECUTION_STATUSES), startedAt: Timestamp }),
    { maxItems: RECENT_RUNS },
  ),
  stats: Type.Object({
    /** Lifetime totals: the rows still kept plus `pruned`. */
    totalRuns: Type.Integer(),
    successfulRuns: Type.Integer(),
    failedRuns: Type.Integer(),
    /** The part of the three counts above whose rows history retention removed. */
    pruned: Type.Object({ totalRuns: Type.Integer(), successfulRuns: Type.Integer(), failedRuns: Type.Integer() }),
    /** Occurrences Temporal skipped under the overlap policy. */
    skipped: Type.Integer(),
    /** Occurrences missed for longer than the catch-up window, and so skipped. */
    missed: Type.Integer(),
    /** Wall times a wildcard job skipped because the clocks sprang forward over them, since it was created. */
    dstSkipped: Type.Integer(),
  }),
  createdAt: Nullable(Timestamp),
  updatedAt: Nullable(Timestamp),
  temporal: Type.Object({ scheduleId: Type.String(), url: Type.String() }),
});
export type JobView = Static<typeof JobViewSchema>;

/** How many of a job's pause changes its view shows, newest first. */
export const PAUSE_HISTORY_SHOWN = 20;

/** One change of whether a job runs (store/job-store.ts PauseChange). */
const PauseChangeSchema = Type.Object({
  at: Timestamp,
  /** True: from `at` the job does not run (an admin paused it, or its service disabled it); false: it runs again. */
  paused: Type.Boolean(),
  /** The admin's name, `service` for its registration's `enabled`, null when unknown (paused in Temporal itself). */
  by: Nullable(Type.String()),
  /** The schedule's note at the change. */
  note: Nullable(Type.String()),
});

/**
 * `GET /api/jobs/:name`: the job's view, its {@link PAUSE_HISTORY_SHOWN} latest pause changes and its
 * {@link OPEN_ALERTS_SHOWN} latest open alert episodes, newest first.
 */
export const JobDetailViewSchema = Type.Composite([
  JobViewSchema,
  Type.Object({
    pauseHistory: Type.Array(PauseChangeSchema, { maxItems: PAUSE_HISTORY_SHOWN }),
    openAlerts: Type.Array(AlertViewSchema, { maxItems: OPEN_ALERTS_SHOWN }),
  }),
]);
export type JobDetailView = Static<typeof JobDetailViewSchema>;

/** `/api/jobs/:name`. */
export const JobNameParams = Type.Object({ name: JobNameSchema }, { additionalProperties: false });

/** `{ job }`: one job's answer. */
export const JobReply = Type.Object({ job: JobViewSchema });

/** `GET /api/jobs/:name`'s answer. */
export const JobDetailReply = Type.Object({ job: JobDetailViewSchema });

/** `POST /api/jobs/register`: 201 created, 200 updated or unchanged. */
export const RegisterReply = Type.Object({
  status: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('unchanged')]),
  job: JobViewSchema,
});

/** `GET /api/jobs`: by name, after the cursor's name. */
export const JobListQuery = Type.Object(
  {
    service: Type.Optional(Type.String()),
    paused: Type.Optional(Type.Boolean()),
    /** Only jobs whose name contains this text, ignoring case. */
    q: Type.Optional(Type.String({ maxLength: 200 })),
    /** Only jobs with unsuccessful runs since their last success (`consecutiveFailures > 0`), or (false) none. */
    failing: Type.Optional(Type.Boolean()),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    after: Type.Optional(JobNameSchema),
  },
  { additionalProperties: false },
);

export const JobPageSchema = Type.Object({ jobs: Type.Array(JobViewSchema), nextCursor: NextCursor });

/** `POST /api/jobs/:name/trigger`: no body at all is valid (`curl -X POST`); `payload` replaces the registered one for this run only. */
export const TriggerBody = Type.Optional(
  Type.Object(
    { payload: Type.Optional(Type.Object({}, { additionalProperties: true })) },
    { additionalProperties: false },
  ),
);

/** `POST /api/jobs/:name/pause` and `…/resume`: an optional note; no body at all is valid. */
export const NoteBody = Type.Optional(
  Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
);

/** `POST /api/jobs/:name/backfill`: the occurrences in [from, to]. */
export const BackfillBody = Type.Object(
  { from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) },
  { additionalProperties: false },
);

export const BackfillReply = Type.Object({
  executions: Type.Array(ExecutionViewSchema),
  skipped: Type.Array(Type.Object({ scheduledAt: Type.String(), executionId: Type.String() })),
});
