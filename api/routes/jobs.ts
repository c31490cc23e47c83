import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { EXECUTION_STATUSES } from '../../jobs/execution';
import { ExecutionViewSchema, JobNameSchema, literals, JobRegistrationSchema, JobViewSchema } from '../../jobs/schema';
import type { ExecutionService } from '../execution-service';
import { requireAdmin, requireListOf } from '../identity';
import type { JobService } from '../job-service';

const NameParams = Type.Object({ name: JobNameSchema }, { additionalProperties: false });
const RegisterReply = Type.Object({
  status: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('unchanged')]),
  job: JobViewSchema,
});
export const ExecutionFilters = {
  status: Type.Optional(literals(EXECUTION_STATUSES)),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  before: Type.Optional(Type.String({ maxLength: 500 })),
  /** Runs started at or after this instant. */
  startedAfter: Type.Optional(Type.String({ format: 'date-time' })),
  /** Runs started before this instant. */
  startedBefore: Type.Optional(Type.String({ format: 'date-time' })),
};
export const ExecutionPageSchema = Type.Object({
  executions: Type.Array(ExecutionViewSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const jobRoutes: FastifyPluginAsyncTypebox<{ jobs: JobService; executions: ExecutionService }> = async (
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

  app.get(
    '/',
    {
      schema: {
        querystring: Type.Object(
          {
            service: Type.Optional(Type.String()),
            paused: Type.Optional(Type.Boolean()),
            limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
            after: Type.Optional(JobNameSchema),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ jobs: Type.Array(JobViewSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
        },
      },
    },
    async (req) => {
      requireListOf(req.caller, req.query.service, 'jobs');
      return jobs.list(req.query);
    },
  );

  app.get(
    '/:name',
    { schema: { params: NameParams, response: { 200: Type.Object({ job: JobViewSchema }) } } },
    async (req) => ({
      job: await jobs.get(req.params.name, req.caller),
    }),
  );

  app.post(
    '/:name/trigger',
    {
      schema: {
        params: NameParams,
        body: Type.Optional(
          Type.Object(
            { payload: Type.Optional(Type.Object({}, { additionalProperties: true })) },
            { additionalProperties: false },
          ),
        ),
        response: { 202: Type.Object({ execution: ExecutionViewSchema }) },
      },
    },
    async (req, reply) => {
      requireAdmin(req.caller);
      const execution = await jobs.trigger(req.params.name, req.body ?? {}, req.caller);
      return reply.code(202).send({ execution });
    },
  );

  app.delete('/:name', { schema: { params: NameParams, response: { 204: Type.Null() } } }, async (req, reply) => {
    await jobs.remove(req.params.name, req.caller);
    return reply.code(204).send(null);
  });

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/:name/${action}`,
      {
        schema: {
          params: NameParams,
          body: Type.Optional(
            Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
          ),
          response: { 200: Type.Object({ job: JobViewSchema }) },
        },
      },
      async (req) => {
        requireAdmin(req.caller);
        return { job: await jobs[action](req.params.name, req.body?.note ?? '', req.caller) };
      },
    );
  }

  app.post(
    '/:name/backfill',
    {
      schema: {
        params: NameParams,
        body: Type.Object(
          { from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            executions: Type.Array(ExecutionViewSchema),
            skipped: Type.Array(Type.Object({ scheduledAt: Type.String(), executionId: Type.String() })),
          }),
        },
      },
    },
    async (req, reply) => {
      requireAdmin(req.caller);
      return reply.code(202).send(await jobs.backfill(req.params.name, req.body, req.caller));
    },
  );

  app.get(
    '/:name/executions',
    {
      schema: {
        params: NameParams,
        querystring: Type.Object(ExecutionFilters, { additionalProperties: false }),
        response: { 200: ExecutionPageSchema },
      },
    },
    async (req) => executions.listOfJob(req.params.name, req.query, req.caller),
  );
};
