import { Type, type Static } from '@sinclair/typebox';
import { DROPPABLE_FIELDS, EXECUTION_STATUSES, TRIGGERS } from '../../jobs/execution';
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
  temporal: Type.Object({ url: Type.String() }),
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
  status: Type.Optional(literals(EXECUTION_STATUSES)),
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
