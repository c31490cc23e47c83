import { Type, type Static } from '@sinclair/typebox';
import { DROPPABLE_FIELDS, EXECUTION_STATUSES, TRIGGERS, type ExecutionStatus } from '../../jobs/execution';
import { InvalidRequestError } from '../errors';
import { literals } from '../../jobs/schema';
import { NextCursor, Nullable, Timestamp } from './common';

/** One run as the API shows it (`GET /api/executions/:id`, lists, trigger, retry, backfill). */
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
  /** The runs that retried this one (their `retryOf` is its id), oldest first; [] when none has. */
  retriedBy: Type.Array(Type.Object({ id: Type.String(), status: literals(EXECUTION_STATUSES) })),
  temporal: Type.Object({ url: Type.String() }),
  /**
   * The run's call as Temporal holds it, in the view of one running run (`GET /api/executions/:id`) only: the
   * attempt, whether it is open or waits to call again, and for an async job the service's last heartbeat and
   * progress (docs/long-running.md).
   */
  call: Type.Optional(
    Type.Object({
      attempt: Type.Integer(),
      state: Type.Union([Type.Literal('open'), Type.Literal('backoff')]),
      lastHeartbeatAt: Nullable(Timestamp),
      progress: Type.Unknown(),
      lastFailure: Nullable(Type.String()),
    }),
  ),
});
export type ExecutionView = Static<typeof ExecutionViewSchema>;

/** `{ execution }`: one run's answer. */
export const ExecutionReply = Type.Object({ execution: ExecutionViewSchema });

/** A page of runs, newest first. */
export const ExecutionPageSchema = Type.Object({
  executions: Type.Array(ExecutionViewSchema),
  nextCursor: NextCursor,
});

/** The filters every list of runs takes (`GET /api/executions`, `GET /api/jobs/:name/executions`). */
const ExecutionFilters = {
  /** One status, or several separated by commas (`failed,timed_out`): runs in any of them. */
  status: Type.Optional(
    Type.String({ maxLength: 200, description: `One or more of ${EXECUTION_STATUSES.join(', ')}, comma-separated.` }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  before: Type.Optional(Type.String({ maxLength: 500 })),
  /** Runs started at or after this instant. */
  startedAfter: Type.Optional(Type.String({ format: 'date-time' })),
  /** Runs started before this instant. */
  startedBefore: Type.Optional(Type.String({ format: 'date-time' })),
};

/** `GET /api/jobs/:name/executions`. */
export const JobExecutionsQuery = Type.Object(ExecutionFilters, { additionalProperties: false });

/** `GET /api/executions`: the filters, and a job or a service. */
export const ExecutionListQuery = Type.Object(
  { ...ExecutionFilters, job: Type.Optional(Type.String()), service: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

/** `/api/executions/:id`. */
export const ExecutionIdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 300 }) },
  { additionalProperties: false },
);

/**
 * A list query's `status` (one status, or several separated by commas) as the statuses it names; undefined when absent.
 * @throws {@link InvalidRequestError} on `status` when a name in it is not a status.
 */
export function statusesOf(status: string | undefined): ExecutionStatus[] | undefined {
  if (status === undefined) return undefined;
  const names = status.split(',').map((name) => name.trim());
  if (!names.every((name): name is ExecutionStatus => (EXECUTION_STATUSES as readonly string[]).includes(name))) {
    throw new InvalidRequestError(
      `status: must be one of ${EXECUTION_STATUSES.join(', ')}, or several of them separated by commas`,
    );
  }
  return [...new Set(names)];
}
