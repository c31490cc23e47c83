import { Type, type Static } from '@sinclair/typebox';
import { ALERT_RULE_LIMITS } from './alert-rules';
import {
  COMPLETION_TIMEOUT,
  HTTP_METHODS,
  JOB_NAME_PATTERN,
  MAX_ENDPOINT_LENGTH,
  MIN_HEARTBEAT_TIMEOUT_SECONDS,
  OVERLAP_POLICIES,
} from './job';
import { MAX_SPREAD_SECONDS } from './spread';

/**
 * A job as JSON Schema: the registration body and a service's declared job. Defaults are applied by
 * `normalizeJob`, not here, so that the same rules hold for every caller, not only for requests. The API's views,
 * queries and replies are in api/schemas/.
 */

/** A string enum whose static type keeps the literals. */
export const literals = <T extends readonly string[]>(values: T) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values] });

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

/** A cron in the service's dialect (docs/cron.md); the preview takes the same. */
export const CronSchema = Type.String({
  minLength: 1,
  maxLength: 200,
  description: CRON_DESCRIPTION,
  examples: CRON_EXAMPLES,
});
/** The zone a cron runs in; the preview takes the same. */
export const TimezoneSchema = Type.String({ minLength: 1, maxLength: 64, description: TIMEZONE_DESCRIPTION });

export const JobNameSchema = Type.String({ pattern: JOB_NAME_PATTERN });

/** A job's `spreadSeconds` (jobs/spread.ts); the preview takes the same. */
export const SpreadSecondsSchema = Type.Integer({
  minimum: 0,
  maximum: MAX_SPREAD_SECONDS,
  description:
    "Fire at a fixed offset of 0 to this many seconds after each time the cron names, derived from the job's name " +
    '(the first 4 bytes of SHA-256(name), big-endian, mod spreadSeconds + 1): the same second on every start, ' +
    'shown in next run times and previews. Spreads a fleet on `0 * * * *` over a minute (docs/herds.md). ' +
    'Default 0: no shift. Refused with a six-field cron (it names its own seconds).',
});

export const RetryPolicySchema = Type.Object(
  {
    maxAttempts: Type.Integer({ minimum: 1, maximum: 20 }),
    initialIntervalSeconds: Type.Number({ minimum: 1, maximum: 3600 }),
    backoffCoefficient: Type.Number({ minimum: 1, maximum: 10 }),
    maxIntervalSeconds: Type.Number({ minimum: 1, maximum: 86400 }),
  },
  { additionalProperties: false },
);

/** A name of `SCHEDULER_ALERT_WEBHOOKS`. */
export const ALERT_DESTINATION_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';

const { consecutiveFailures, noSuccessWithinSeconds, runningLongerThanSeconds } = ALERT_RULE_LIMITS;
const bounded = (limits: { min: number; max: number }) => Type.Integer({ minimum: limits.min, maximum: limits.max });

/** A job's alert rules (docs/alerts.md#rules): each left out takes its configured default; null turns it off. */
const AlertRulesSchema = Type.Object(
  {
    onFailure: Type.Optional(Type.Boolean({ description: 'Alert when a run ends unsuccessful after its retries.' })),
    consecutiveFailures: Type.Optional(
      Type.Union([bounded(consecutiveFailures), Type.Null()], {
        description: 'Alert once when this many runs in a row end unsuccessful; null: off.',
      }),
    ),
    noSuccessWithinSeconds: Type.Optional(
      Type.Union([bounded(noSuccessWithinSeconds), Type.Literal('auto'), Type.Null()], {
        description:
          "Alert when no run succeeds for this long (the dead-man's switch); `auto`: derived from the schedule (docs/alerts.md#rules); null: off.",
      }),
    ),
    runningLongerThanSeconds: Type.Optional(
      Type.Union([bounded(runningLongerThanSeconds), Type.Null()], {
        description: 'Alert while a run is still going after this long; null: off.',
      }),
    ),
    onSkipped: Type.Optional(Type.Boolean({ description: 'Alert when the overlap policy skips occurrences.' })),
    onMissed: Type.Optional(Type.Boolean({ description: 'Alert when occurrences are missed (catch-up window).' })),
    destinations: Type.Optional(
      Type.Array(Type.String({ pattern: ALERT_DESTINATION_PATTERN }), {
        uniqueItems: true,
        maxItems: ALERT_RULE_LIMITS.destinations.maxItems,
        description: 'Names of SCHEDULER_ALERT_WEBHOOKS; none: every configured destination.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const JobRegistrationSchema = Type.Object(
  {
    name: JobNameSchema,
    service: Type.String({ minLength: 1, maxLength: 100 }),
    endpoint: Type.String({ minLength: 1, maxLength: MAX_ENDPOINT_LENGTH }),
    method: Type.Optional(literals(HTTP_METHODS)),
    cron: CronSchema,
    timezone: Type.Optional(TimezoneSchema),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    payload: Type.Optional(Type.Object({}, { additionalProperties: true })),
    enabled: Type.Optional(Type.Boolean()),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    retry: Type.Optional(Type.Partial(RetryPolicySchema)),
    overlap: Type.Optional(literals(OVERLAP_POLICIES)),
    catchupWindowSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 365 * 86400 })),
    jitterSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 86400,
        description:
          'Temporal delays each run by a random 0 to this many seconds, anew each time (lateness grows by up to it). Default 0.',
      }),
    ),
    spreadSeconds: Type.Optional(SpreadSecondsSchema),
    alerts: Type.Optional(AlertRulesSchema),
    async: Type.Optional(
      Type.Boolean({
        description:
          'The service answers 202 Accepted and reports the end (POST /api/executions/:id/complete); any other 2xx is recorded as a failure. Default false.',
      }),
    ),
    completionTimeoutSeconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: COMPLETION_TIMEOUT.maxSeconds,
        description: `An async job's time from the call to its reported end, per attempt. Default ${COMPLETION_TIMEOUT.defaultSeconds}.`,
      }),
    ),
    heartbeatTimeoutSeconds: Type.Optional(
      Type.Integer({
        minimum: MIN_HEARTBEAT_TIMEOUT_SECONDS,
        maximum: COMPLETION_TIMEOUT.maxSeconds,
        description:
          "An async job's longest silence between heartbeats (POST /api/executions/:id/heartbeat); none by default.",
      }),
    ),
  },
  { additionalProperties: false },
);

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
