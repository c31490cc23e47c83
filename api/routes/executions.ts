import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ExecutionViewSchema } from '../../jobs/schema';
import type { ExecutionService } from '../execution-service';
import { requireAdmin, requireListOf } from '../identity';
import { ExecutionFilters, ExecutionPageSchema } from './jobs';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 300 }) }, { additionalProperties: false });

export const executionRoutes: FastifyPluginAsyncTypebox<{ executions: ExecutionService }> = async (
  app,
  { executions },
) => {
  app.get(
    '/',
    {
      schema: {
        querystring: Type.Object(
          { ...ExecutionFilters, job: Type.Optional(Type.String()), service: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
        response: { 200: ExecutionPageSchema },
      },
    },
    async (req) => {
      requireListOf(req.caller, req.query.service, 'executions');
      const { job, ...filters } = req.query;
      return executions.list({ ...filters, jobName: job }, req.caller);
    },
  );

  app.post(
    '/:id/retry',
    { schema: { params: IdParams, response: { 202: Type.Object({ execution: ExecutionViewSchema }) } } },
    async (req, reply) => {
      requireAdmin(req.caller);
      return reply.code(202).send({ execution: await executions.retry(req.params.id, req.caller) });
    },
  );

  app.get(
    '/:id',
    { schema: { params: IdParams, response: { 200: Type.Object({ execution: ExecutionViewSchema }) } } },
    async (req) => ({
      execution: await executions.get(req.params.id, req.caller),
    }),
  );
};
