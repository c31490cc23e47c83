import { Type } from '@sinclair/typebox';
import { CronSchema, literals, TimezoneSchema } from '../../jobs/schema';
import { Timestamp } from './common';

/** `POST /api/schedules/preview`: the same cron and zone a registration takes. */
export const PreviewRequestSchema = Type.Object(
  {
    cron: CronSchema,
    timezone: Type.Optional(TimezoneSchema),
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
