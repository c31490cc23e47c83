import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { JobUseCases } from '../use-cases/jobs';
import { DeclaredSetBody, DeclaredSetQuery, DeclaredSetReply, ServiceParams } from '../schemas/services';

/** `PUT /api/services/:service/jobs`: a service's declared job set, sent on every start (docs/jobs.md). */
export const serviceRoutes: FastifyPluginAsyncTypebox<{ jobs: JobUseCases }> = async (app, { jobs }) => {
  app.put(
    '/:service/jobs',
    {
      schema: {
        params: ServiceParams,
        querystring: DeclaredSetQuery,
        body: DeclaredSetBody,
        response: { 200: DeclaredSetReply },
      },
    },
    async (req) => jobs.replaceServiceJobs(req.params.service, req.body.jobs, req.caller, { dryRun: req.query.dryRun }),
  );
};
