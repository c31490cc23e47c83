import { Type, type Static } from '@sinclair/typebox';
import { DROPPABLE_FIELDS, EXECUTION_STATUSES, TRIGGERS } from './execution';
import { HTTP_METHODS, JOB_NAME_PATTERN, MAX_ENDPOINT_LENGTH, OVERLAP_POLICIES } from './job';

/** JSON schemas of the API's bodies and views. Defaults are applied by `normalizeJob`, not here, so that
 * the same rules hold for every caller, not only for requests. */

/** A string enum whose static type keeps the literals. */
export const literals = <T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** The dialect in brief, for the OpenAPI description; docs/cron.md has it whole. */
const CRON_DESCRIPTION =
  'Five fields (minute hour day-of-month month day-of-week), or six with seconds first. Names (JAN, MON), lists, ' +
  'ranges a-b and steps */n, a-b/n, a/n; ? as *; L (last day of the month), FRIL or 5L (last Friday), MON#1 (first ' +
  'Monday). @yearly @annually @monthly @weekly @daily @midnight @hourly; @every <duration>[/<offset>] in d h m s, ' +
  'from the epoch in no zone. An optional CRON_TZ=<zone> or TZ=<zone> prefix. When day-of-month and day-of-week ' +
  'are both restricted, either matches (POSIX). W, H, a year field and a cron that never fires are refused (400 on ' +
  'cron). Daylight saving (Vixie cron): a job whose minute or hour starts with * runs at every matching wall time ' +
  '(both copies of a repeated hour, none in a gap); any other runs a repeated time once (first copy) and a time in ' +
  'a gap at the first instant after it. See docs/cron.md.';
const CRON_EXAMPLES = ['0 9 * * MON', '*/15 * * * *', '0 13 * * MON#1', '0 0 L * *', '*/10 * * * * *', '@every 15m'];
const TIMEZONE_DESCRIPTION =
  "IANA zone the cron runs in; default UTC, or the cron's CRON_TZ= prefix (which must agree when both are given).";

export const JobNameSchema = Type.String({ pattern: JOB_NAME_PATTERN });

export const RetryPolicySchema = Type.Object(
  {
    maxAttempts: Type.Integer({ minimum: 1, maximum: 20 }),
    initialIntervalSeconds: Type.Number({ minimum: 1, maximum: 3600 }),
    backoffCoefficient: Type.Number({ minimum: 1, maximum: 10 }),
    maxIntervalSeconds: Type.Number({ minimum: 1, maximum: 86400 }),
  },
  { additionalProperties: false },
);

export const JobRegistrationSchema = Type.Object(
  {
    name: JobNameSchema,
    service: Type.String({ minLength: 1, maxLength: 100 }),
    endpoint: Type.String({ minLength: 1, maxLength: MAX_ENDPOINT_LENGTH }),
    method: Type.Optional(literals(HTTP_METHODS)),
    cron: Type.String({ minLength: 1, maxLength: 200, description: CRON_DESCRIPTION, examples: CRON_EXAMPLES }),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: TIMEZONE_DESCRIPTION })),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    payload: Type.Optional(Type.Object({}, { additionalProperties: true })),
    enabled: Type.Optional(Type.Boolean()),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    retry: Type.Optional(Type.Partial(RetryPolicySchema)),
    overlap: Type.Optional(literals(OVERLAP_POLICIES)),
    catchupWindowSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 365 * 86400 })),
    jitterSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86400 })),
  },
  { additionalProperties: false },
);
export type JobRegistrationBody = Static<typeof JobRegistrationSchema>;

/** A job of a declared set (`PUT /api/services/:service/jobs`): `service` may be left out, the path names it. */
export const DeclaredJobSchema = Type.Object(
  {
    ...JobRegistrationSchema.properties,
    service: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'The service the path names; another is a 400.' }),
    ),
  },
  { additionalProperties: false },
);
export type DeclaredJobBody = Static<typeof DeclaredJobSchema>;

const Timestamp = Type.String({ format: 'date-time' });

export const LastExecutionSchema = Type.Object({
  id: Type.String(),
  status: literals(EXECUTION_STATUSES),
  startedAt: Timestamp,
  completedAt: Nullable(Timestamp),
});

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

export const ExecutionViewSchema = Type.Object({
  id: Type.String(),
  jobName: Type.String(),
  service: Type.String(),
  status: literals(EXECUTION_STATUSES),
  trigger: literals(TRIGGERS),
  triggeredBy: Nullable(Type.String()),
  retryOf: Nullable(Type.String()),
  scheduledAt: Nullable(Timestamp),
  startedAt: Timestamp,
  completedAt: Nullable(Timestamp),
  durationMs: Nullable(Type.Integer()),
  attempts: Type.Integer(),
  httpStatus: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  response: Nullable(Type.String()),
  workflowId: Type.String(),
  runId: Nullable(Type.String()),
  /** The fields the mirror's store refused and the row was stored without (e.g. `["response"]`); null when whole. */
  droppedFields: Nullable(Type.Array(literals(DROPPABLE_FIELDS))),
  temporal: Type.Object({ url: Type.String() }),
});
export type ExecutionView = Static<typeof ExecutionViewSchema>;

export const PreviewRequestSchema = Type.Object(
  {
    cron: Type.String({ minLength: 1, maxLength: 200, description: CRON_DESCRIPTION, examples: CRON_EXAMPLES }),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: TIMEZONE_DESCRIPTION })),
    count: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  },
  { additionalProperties: false },
);

export const SchedulePreviewSchema = Type.Object({
  cron: Type.String(),
  timezone: Type.String(),
  description: Type.String(),
  nextRunTimes: Type.Array(
    Type.Object({
      at: Timestamp,
      wallClock: Type.String(),
      dst: Type.Union([literals(['shifted', 'repeated'] as const), Type.Null()]),
    }),
  ),
  skipped: Type.Array(Type.String()),
});

export const ErrorSchema = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), field: Type.Optional(Type.String()) }),
});

export const ReconcileReportSchema = Type.Object({
  jobsMirrored: Type.Array(Type.String()),
  jobsRemoved: Type.Array(Type.String()),
  jobsReplanned: Type.Array(Type.String()),
  jobsStateFixed: Type.Array(Type.String()),
  executionsChecked: Type.Integer(),
  executionsRepaired: Type.Array(Type.String()),
  failures: Type.Array(Type.String()),
  retention: Nullable(Type.Object({ endedBefore: Timestamp, rowsRemoved: Type.Integer(), finished: Type.Boolean() })),
});
