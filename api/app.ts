import Fastify, { type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorHandler, schemaErrorFormatter } from './errors';
import type { ReconcileReport } from '../jobs/reconcile';
import type { ExecutionService } from './execution-service';
import { requireAdmin, type Caller } from './identity';
import { Type } from '@sinclair/typebox';
import { ReconcileReportSchema } from '../jobs/schema';
import type { JobService } from './job-service';
import { executionRoutes } from './routes/executions';
import { healthRoutes, type HealthChecks } from './routes/health';
import { jobRoutes } from './routes/jobs';
import { serviceRoutes } from './routes/services';

export interface AppDeps {
  jobs: JobService;
  executions: ExecutionService;
  /** Resolves the Authorization header to a caller; throws a 401 error for a bad token. */
  authenticate: (authorization: string | undefined) => Promise<Caller>;
  checks: HealthChecks;
  /** Runs the reconciler now and returns its report. */
  reconcile: () => Promise<ReconcileReport>;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

/** The HTTP facade: no env, no listen. Unknown fields are 400, errors are `{ error: { code, message } }`. */
export function buildApp(deps: AppDeps, opts: FastifyServerOptions = {}) {
  const app = Fastify({
    ...opts,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    schemaErrorFormatter,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      error: { code: 'route_not_found', message: `${req.method} ${req.url.split('?')[0]} is not an endpoint` },
    }),
  );
  app.decorateRequest('caller', undefined as never);
  app.register(healthRoutes, { checks: deps.checks });
  app.register(async (api) => {
    api.addHook('onRequest', async (req) => {
      req.caller = await deps.authenticate(req.headers.authorization);
    });
    await api.register(jobRoutes, { prefix: '/api/jobs', jobs: deps.jobs, executions: deps.executions });
    await api.register(executionRoutes, { prefix: '/api/executions', executions: deps.executions });
    await api.register(serviceRoutes, { prefix: '/api/services', jobs: deps.jobs });
    api.post(
      '/api/reconcile',
      { schema: { response: { 200: Type.Object({ report: ReconcileReportSchema }) } } },
      async (req) => {
        requireAdmin(req.caller);
        return { report: await deps.reconcile() };
      },
    );
  });
  return app;
}

export type App = ReturnType<typeof buildApp>;
