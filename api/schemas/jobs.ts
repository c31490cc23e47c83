import { Type, type Static } from '@sinclair/typebox';
import { EXECUTION_STATUSES } from '../../jobs/execution';
import { HTTP_METHODS, OVERLAP_POLICIES } from '../../jobs/job';
import { JobNameSchema, literals, RetryPolicySchema } from '../../jobs/schema';
import { NextCursor, Nullable, Timestamp } from './common';
import { ExecutionViewSchema } from './executions';

/** The registration body itself is the domain's: `JobRegistrationSchema` in jobs/schema.ts. */

const LastExecutionSchema = Type.Object({
  id: Type.String(),
  status: literals(EXECUTION_STATUSES),
  startedAt: Timestamp,
  completedAt: Nullable(Timestamp),
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
  /** From its service's declared set: a later set that leaves it out removes it. */
  declared: Type.Boolean(),
  paused: Type.Boolean(),
  pauseNote: Nullable(Type.String()),
  nextRunTimes: Type.Array(Timestamp),
  lastExecution: Nullable(LastExecutionSchema),
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

/** `/api/jobs/:name`. */
export const JobNameParams = Type.Object({ name: JobNameSchema }, { additionalProperties: false });

/** `{ job }`: one job's answer. */
export const JobReply = Type.Object({ job: JobViewSchema });

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
