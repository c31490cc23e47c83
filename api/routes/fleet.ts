import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireListOf } from '../identity';
import { FleetFiresQuery, FleetFiresSchema } from '../schemas/fleet';
import type { JobUseCases } from '../use-cases/jobs';

/** `GET /api/fleet/fires`: how many jobs fire in each second of the next hour, herds flagged (docs/herds.md). */
export const fleetRoutes: FastifyPluginAsyncTypebox<{ jobs: JobUseCases }> = async (app, { jobs }) => {
  app.get('/fires', { schema: { querystring: FleetFiresQuery, response: { 200: FleetFiresSchema } } }, async (req) => {
    requireListOf(req.caller, req.query.service, 'jobs');
    return jobs.fleetFires(req.query);
  });
};
