import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ExecutionUseCases } from '../use-cases/executions';
import { requireAdmin, requireListOf } from '../identity';
import { ExecutionIdParams, ExecutionListQuery, ExecutionPageSchema, ExecutionReply } from '../schemas/executions';

export const executionRoutes: FastifyPluginAsyncTypebox<{ executions: ExecutionUseCases }> = async (
  app,
  { executions },
) => {
  app.get('/', { schema: { querystring: ExecutionListQuery, response: { 200: ExecutionPageSchema } } }, async (req) => {
    requireListOf(req.caller, req.query.service, 'executions');
    const { job, ...filters } = req.query;
    return executions.list({ ...filters, jobName: job }, req.caller);
  });

  app.post(
    '/:id/retry',
    { schema: { params: ExecutionIdParams, response: { 202: ExecutionReply } } },
    async (req, reply) => {
      requireAdmin(req.caller);
      return reply.code(202).send({ execution: await executions.retry(req.params.id, req.caller) });
    },
  );

  app.get('/:id', { schema: { params: ExecutionIdParams, response: { 200: ExecutionReply } } }, async (req) => ({
    execution: await executions.get(req.params.id, req.caller),
  }));
};
