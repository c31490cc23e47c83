import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { previewSchedule } from '../../jobs/preview';
import { PreviewRequestSchema, SchedulePreviewSchema } from '../schemas/schedules';

/** `POST /api/schedules/preview`: any caller may see when a cron would fire before registering it. */
export const scheduleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/preview',
    { schema: { body: PreviewRequestSchema, response: { 200: SchedulePreviewSchema } } },
    async (req) => previewSchedule(req.body),
  );
};
