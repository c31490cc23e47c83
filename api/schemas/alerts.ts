import { Type, type Static } from '@sinclair/typebox';
import { EXECUTION_STATUSES } from '../../jobs/execution';
import { literals } from '../../jobs/schema';
import { NextCursor, Nullable, Timestamp } from './common';

/** The states of an alert episode. */
const ALERT_STATES = ['open', 'resolved'] as const;

/** The most episodes one page of `GET /api/alerts` holds. */
const MAX_ALERTS_PER_PAGE = 200;

/** How many of a job's open episodes its view (`GET /api/jobs/:name`) shows, newest first. */
export const OPEN_ALERTS_SHOWN = 10;

const Seconds = Type.Integer({ minimum: 1 });

/** The rule that opened an episode, with its settings (jobs/alert.ts AlertRule; durations in seconds). */
const AlertRuleSchema = Type.Union([
  Type.Object({ type: Type.Literal('run_failed') }),
  Type.Object({ type: Type.Literal('consecutive_failures'), count: Type.Integer({ minimum: 1 }) }),
  Type.Object({ type: Type.Literal('no_success_within'), seconds: Seconds }),
  Type.Object({ type: Type.Literal('running_too_long'), seconds: Seconds }),
  Type.Object({ type: Type.Literal('occurrences_skipped') }),
  Type.Object({ type: Type.Literal('occurrences_missed') }),
  Type.Object({ type: Type.Literal('unexplained_occurrence') }),
]);

/** A run an episode is about, as the mirror knew it when the watch decided. */
const AlertRunSchema = Type.Object({
  executionId: Type.String(),
  status: literals(EXECUTION_STATUSES),
  scheduledAt: Nullable(Timestamp),
  startedAt: Nullable(Timestamp),
  error: Nullable(Type.String()),
  httpStatus: Nullable(Type.Integer()),
});

/** The latest outcome of one message (`firing` or `resolved`) at one destination. */
const AlertDeliverySchema = Type.Object({
  destination: Type.String(),
  kind: literals(['firing', 'resolved'] as const),
  status: literals(['pending', 'delivered', 'undeliverable'] as const),
  /** When it reached this status. */
  at: Timestamp,
  /** The destination's HTTP status when delivered; the reason when undeliverable; null while pending. */
  detail: Nullable(Type.String()),
});

/** An alert episode as the API shows it (`GET /api/alerts`, a job view's `openAlerts`): the mirror's record, in words, with links. */
export const AlertViewSchema = Type.Object({
  /** The episode id: the same in every message of the episode (the deliveries' `Idempotency-Key` starts with it). */
  id: Type.String(),
  jobName: Type.String(),
  service: Type.String(),
  rule: AlertRuleSchema,
  /** The rule in a few words: `3 failed runs in a row`. */
  ruleText: Type.String(),
  state: literals(ALERT_STATES),
  summary: Type.String(),
  openedAt: Timestamp,
  resolvedAt: Nullable(Timestamp),
  /** The runs that matter, newest first, at most 5. */
  runs: Type.Array(AlertRunSchema),
  /** The latest outcome per destination and kind. */
  deliveries: Type.Array(AlertDeliverySchema),
  /** When the watch decided this state. */
  updatedAt: Timestamp,
  /** The job's page in the admin console and its schedule in Temporal Web. */
  links: Type.Object({ console: Type.String(), temporalWeb: Type.String() }),
});
export type AlertView = Static<typeof AlertViewSchema>;

/** `GET /api/alerts`: newest opened first. */
export const AlertListQuery = Type.Object(
  {
    state: Type.Optional(literals(ALERT_STATES)),
    job: Type.Optional(Type.String({ maxLength: 200 })),
    service: Type.Optional(Type.String({ maxLength: 200 })),
    limit: Type.Integer({ minimum: 1, maximum: MAX_ALERTS_PER_PAGE, default: 50 }),
    /** The previous page's `nextCursor`. */
    before: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

/** A page of episodes; pass `nextCursor` as `before` for the next, older page (null on the last). */
export const AlertPageSchema = Type.Object({ alerts: Type.Array(AlertViewSchema), nextCursor: NextCursor });
