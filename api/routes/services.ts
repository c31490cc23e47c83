import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DeclaredJobSchema } from '../../jobs/schema';
import type { JobService } from '../job-service';

const Names = Type.Array(Type.String());

/** `PUT /api/services/:service/jobs`: a service's declared job set, sent on every start (docs/jobs.md). */
export const serviceRoutes: FastifyPluginAsyncTypebox<{ jobs: JobService }> = async (app, { jobs }) => {
  app.put(
    '/:service/jobs',
    {
      schema: {
        params: Type.Object(
          { service: Type.String({ minLength: 1, maxLength: 100 }) },
          { additionalProperties: false },
        ),
        querystring: Type.Object(
          {
            dryRun: Type.Boolean({
              default: false,
              description: 'Answer the diff without applying it.',
            }),
          },
          { additionalProperties: false },
        ),
        body: Type.Object({ jobs: Type.Array(DeclaredJobSchema, { maxItems: 500 }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            dryRun: Type.Boolean(),
            created: Names,
            updated: Names,
            unchanged: Names,
            removed: Names,
            kept: Names,
            reasons: Type.Record(Type.String(), Type.String(), {
              description: 'Why each removed or kept job was, by name.',
            }),
          }),
        },
      },
    },
    async (req) => jobs.replaceServiceJobs(req.params.service, req.body.jobs, req.caller, { dryRun: req.query.dryRun }),
  );
};
