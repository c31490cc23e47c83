import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { JobRegistrationSchema } from '../../jobs/schema';
import type { ExecutionUseCases } from '../use-cases/executions';
import { requireAdmin, requireListOf } from '../identity';
import type { JobUseCases } from '../use-cases/jobs';
import { NoContent } from '../schemas/common';
import { LedgerQuery, LedgerReply } from '../schemas/occurrences';
import { ExecutionPageSchema, ExecutionReply, JobExecutionsQuery, statusesOf } from '../schemas/executions';
import {
  BackfillBody,
  BackfillReply,
  JobDetailReply,
  JobListQuery,
  JobNameParams,
  JobPageSchema,
  JobReply,
  NoteBody,
  RegisterReply,
  TriggerBody,
} from '../schemas/jobs';

export const jobRoutes: FastifyPluginAsyncTypebox<{ jobs: JobUseCases; executions: ExecutionUseCases }> = async (
  app,
  { jobs, executions },
) => {
  app.post(
    '/register',
    { schema: { body: JobRegistrationSchema, response: { 200: RegisterReply, 201: RegisterReply } } },
    async (req, reply) => {
      const result = await jobs.register(req.body, req.caller);
      return reply.code(result.status === 'created' ? 201 : 200).send(result);
    },
  );

  app.get('/', { schema: { querystring: JobListQuery, response: { 200: JobPageSchema } } }, async (req) => {
    requireListOf(req.caller, req.query.service, 'jobs');
    return jobs.list(req.query);
  });

  app.get('/:name', { schema: { params: JobNameParams, response: { 200: JobDetailReply } } }, async (req) => ({
    job: await jobs.get(req.params.name, req.caller),
  }));

  app.post(
    '/:name/trigger',
    { schema: { params: JobNameParams, body: TriggerBody, response: { 202: ExecutionReply } } },
    async (req, reply) => {
      requireAdmin(req.caller);
      const execution = await jobs.trigger(req.params.name, req.body ?? {}, req.caller);
      return reply.code(202).send({ execution });
    },
  );

  app.delete('/:name', { schema: { params: JobNameParams, response: { 204: NoContent } } }, async (req, reply) => {
    await jobs.remove(req.params.name, req.caller);
    return reply.code(204).send(null);
  });

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/:name/${action}`,
      { schema: { params: JobNameParams, body: NoteBody, response: { 200: JobReply } } },
      async (req) => {
        requireAdmin(req.caller);
        return { job: await jobs[action](req.params.name, req.body?.note ?? '', req.caller) };
      },
    );
  }

  app.post(
    '/:name/backfill',
    { schema: { params: JobNameParams, body: BackfillBody, response: { 202: BackfillReply } } },
    async (req, reply) => {
      requireAdmin(req.caller);
      return reply.code(202).send(await jobs.backfill(req.params.name, req.body, req.caller));
    },
  );

  app.get(
    '/:name/occurrences',
    { schema: { params: JobNameParams, querystring: LedgerQuery, response: { 200: LedgerReply } } },
    async (req) => jobs.ledger(req.params.name, req.query, req.caller),
  );

  app.get(
    '/:name/executions',
    { schema: { params: JobNameParams, querystring: JobExecutionsQuery, response: { 200: ExecutionPageSchema } } },
    async (req) => {
      const { status, ...filters } = req.query;
      return executions.listOfJob(req.params.name, { ...filters, statuses: statusesOf(status) }, req.caller);
    },
  );
};
