import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { errorHandler, schemaErrorFormatter } from './errors';
import type { ReconcileReport } from '../jobs/reconcile';
import type { ExecutionService } from './execution-service';
import { requireAdmin, type Caller } from './identity';
import { OptionalKind, Type } from '@sinclair/typebox';
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
  /** Runs the reconciler now; its report, or null while it still runs after a minute. */
  reconcile: () => Promise<{ workflowId: string; report: ReconcileReport | null }>;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}

/**
 * Bodies are JSON and validated as sent: `"enabled": null` or `"name": 123` is a 400, never coerced. Query strings
 * and path parameters are text, so they are coerced (`limit=20`, `paused=true`). Unknown fields are kept so the
 * schema can refuse them.
 */
const ajvOptions = { removeAdditional: false, useDefaults: true, allErrors: false } as const;
const strict = addFormats(new Ajv({ ...ajvOptions, coerceTypes: false }));
const coercing = addFormats(new Ajv({ ...ajvOptions, coerceTypes: 'array' }));

/** The HTTP facade: no env, no listen. Unknown fields are 400, errors are `{ error: { code, message } }`. */
export function buildApp(deps: AppDeps, opts: FastifyServerOptions = {}) {
  const app = Fastify({ ...opts, schemaErrorFormatter }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart !== 'body') return coercing.compile(schema);
    const validate = strict.compile(schema);
    if (!(OptionalKind in schema)) return validate;
    // `Type.Optional(...)` body: no body at all (`curl -X POST …/trigger`; Fastify passes null) is valid, anything sent must match.
    const optional = (data: unknown) => data === undefined || data === null || validate(data);
    return Object.defineProperty(optional, 'errors', { get: () => validate.errors });
  });
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
      {
        schema: {
          response: {
            200: Type.Object({ workflowId: Type.String(), report: ReconcileReportSchema }),
            202: Type.Object({ workflowId: Type.String(), report: Type.Null() }),
          },
        },
      },
      async (req, reply) => {
        requireAdmin(req.caller);
        const result = await deps.reconcile();
        return reply.code(result.report ? 200 : 202).send(result);
      },
    );
  });
  return app;
}

export type App = ReturnType<typeof buildApp>;
