import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { JobRegistrationSchema } from '../../jobs/schema';
import type { JobService } from '../job-service';

const Names = Type.Array(Type.String());

/** `PUT /api/services/:service/jobs`: a service's whole job set, declared on every start. */
export const serviceRoutes: FastifyPluginAsyncTypebox<{ jobs: JobService }> = async (app, { jobs }) => {
  app.put(
    '/:service/jobs',
    {
      schema: {
        params: Type.Object(
          { service: Type.String({ minLength: 1, maxLength: 100 }) },
          { additionalProperties: false },
        ),
        body: Type.Object(
          { jobs: Type.Array(JobRegistrationSchema, { maxItems: 500 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ created: Names, updated: Names, unchanged: Names, removed: Names }) },
      },
    },
    async (req) => jobs.replaceServiceJobs(req.params.service, req.body.jobs, req.caller),
  );
};
