import { Type } from '@sinclair/typebox';
import { CronSchema, JobNameSchema, literals, SpreadSecondsSchema, TimezoneSchema } from '../../jobs/schema';
import { Timestamp } from './common';

/**
 * `POST /api/schedules/preview`: the same cron and zone a registration takes; with the job's `name` and
 * `spreadSeconds`, the times its spread gives it.
 */
export const PreviewRequestSchema = Type.Object(
  {
    cron: CronSchema,
    timezone: Type.Optional(TimezoneSchema),
    name: Type.Optional(JobNameSchema),
    spreadSeconds: Type.Optional(SpreadSecondsSchema),
    count: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  },
  { additionalProperties: false },
);

export const SchedulePreviewSchema = Type.Object({
  cron: Type.String(),
  timezone: Type.String(),
  description: Type.String(),
  /** The offset `name` and `spreadSeconds` give (seconds after each time the cron names); 0 without them. */
  spreadOffsetSeconds: Type.Integer(),
  nextRunTimes: Type.Array(
    Type.Object({
      at: Timestamp,
      wallClock: Type.String(),
      dst: Type.Union([literals(['shifted', 'repeated'] as const), Type.Null()]),
    }),
  ),
  skipped: Type.Array(Type.String()),
});
