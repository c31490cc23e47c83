import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ExecutionUseCases } from '../use-cases/executions';
import type { ReportUseCases } from '../use-cases/reports';
import { CompletionBody, CompletionReply, HeartbeatBody, HeartbeatReply } from '../schemas/reports';
import { requireAdmin, requireListOf } from '../identity';
import {
  ExecutionIdParams,
  ExecutionListQuery,
  ExecutionPageSchema,
  ExecutionReply,
  statusesOf,
} from '../schemas/executions';

export const executionRoutes: FastifyPluginAsyncTypebox<{
  executions: ExecutionUseCases;
  reports?: ReportUseCases;
}> = async (app, { executions, reports }) => {
  app.get('/', { schema: { querystring: ExecutionListQuery, response: { 200: ExecutionPageSchema } } }, async (req) => {
    requireListOf(req.caller, req.query.service, 'executions');
    const { job, status, ...filters } = req.query;
    return executions.list({ ...filters, statuses: statusesOf(status), jobName: job }, req.caller);
  });

  app.post(
    '/:id/retry',
    { schema: { params: ExecutionIdParams, response: { 202: ExecutionReply } } },
    async (req, reply) => {
      requireAdmin(req.caller);
      return reply.code(202).send({ execution: await executions.retry(req.params.id, req.caller) });
    },
  );

  if (reports) {
    // an async job's service reports on its own runs (docs/long-running.md); loadExecution refuses another's
    app.post(
      '/:id/heartbeat',
      {
        config: { callProof: true },
        schema: { params: ExecutionIdParams, body: HeartbeatBody, response: { 200: HeartbeatReply } },
      },
      async (req) => reports.heartbeat(req.params.id, req.body, req.caller),
    );
    app.post(
      '/:id/complete',
      {
        config: { callProof: true },
        schema: { params: ExecutionIdParams, body: CompletionBody, response: { 200: CompletionReply } },
      },
      async (req) => reports.complete(req.params.id, req.body, req.caller),
    );
    app.post(
      '/:id/cancel',
      { schema: { params: ExecutionIdParams, response: { 202: ExecutionReply } } },
      async (req, reply) => {
        requireAdmin(req.caller);
        return reply.code(202).send({ execution: await reports.cancel(req.params.id, req.caller) });
      },
    );
  }

  app.get('/:id', { schema: { params: ExecutionIdParams, response: { 200: ExecutionReply } } }, async (req) => ({
    execution: await executions.get(req.params.id, req.caller),
  }));
};
