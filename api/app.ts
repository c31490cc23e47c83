import Fastify, { type FastifyServerOptions } from 'fastify';
import helmet from '@fastify/helmet';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { clientErrorHandler, routerRefusals, schemaErrorFormatter } from './errors';
import type { AlertUseCases } from './use-cases/alerts';
import type { ExecutionUseCases } from './use-cases/executions';
import type { ReportUseCases } from './use-cases/reports';
import type { Caller } from './identity';
import type { JobUseCases } from './use-cases/jobs';
import { authentication } from './plugins/authentication';
import { bodyParsing } from './plugins/body-parsing';
import { apiCors } from './plugins/cors';
import { errorShape } from './plugins/error-shape';
import { DEFAULT_PRESSURE, loadShedding, type Pressure } from './plugins/load-shedding';
import { openApi } from './plugins/open-api';
import { OneLinePerRequest } from './plugins/request-log';
import { requestMetrics } from './plugins/request-metrics';
import { alertRoutes } from './routes/alerts';
import { executionRoutes } from './routes/executions';
import { fleetRoutes } from './routes/fleet';
import { consoleRoutes } from './plugins/console';
import { healthRoutes, type HealthChecks } from './routes/health';
import { identityRoutes } from './routes/identity';
import { jobRoutes } from './routes/jobs';
import { metricsRoutes, type MetricsEndpoint } from './routes/metrics';
import { reconcileRoutes, type ReconcileNow } from './routes/reconcile';
import { scheduleRoutes } from './routes/schedules';
import { serviceRoutes } from './routes/services';
import { SERIALIZERS_ON_FIRST_USE } from './compile-on-first-use';

export interface AppDeps {
  jobs: JobUseCases;
  executions: ExecutionUseCases;
  /** An async job's reports and an admin's cancel; absent (unit tests that need none): those routes are not served. */
  reports?: ReportUseCases;
  alerts: AlertUseCases;
  /** Resolves the Authorization header to a caller; throws a 401 error for a bad token. */
  authenticate: (authorization: string | undefined) => Promise<Caller>;
  checks: HealthChecks;
  /** Runs the reconciler now; its report, or null while it still runs after a minute. */
  reconcile: ReconcileNow;
  /** Requests per minute per caller on /api (per client address before authentication); 0 = no limit. */
  rateLimitPerMinute: number;
  /** `/metrics`, and the timing of every request; none in unit tests. */
  metrics?: MetricsEndpoint;
  /** When /api sheds load; {@link DEFAULT_PRESSURE} unless given. */
  pressure?: Pressure;
  /** Origins whose pages may call /api from the browser (`SCHEDULER_CORS_ORIGINS`); none unless given. */
  corsOrigins?: readonly string[];
  /** The built admin console served at `/admin/`; default `dist/console` (api/plugins/console.ts). */
  consoleDir?: string;
}

/** What a process without the API (SCHEDULER_ROLE=worker) still serves: probes and metrics. */
export type OpsDeps = Pick<AppDeps, 'checks' | 'metrics'>;

/**
 * The longest path parameter the router takes: above every parameter's own `maxLength`, so that a long name or id is
 * a 400 naming its rule, and only a path no route could accept is a 414.
 */
const MAX_PARAM_LENGTH = 500;

/** Limits for a service on a public ingress; `opts` may override them. */
const SERVER_LIMITS: FastifyServerOptions = {
  bodyLimit: 1024 * 1024, // a registration's payload is at most 64 KiB
  requestTimeout: 15_000, // the whole request must arrive within 15 s (slow-loris)
  routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
};

/**
 * The server: our limits, and our error shape for what Node's parser, the router and schemas refuse before any
 * plugin runs (api/plugins/error-shape.ts does the rest).
 */
function createServer(opts: FastifyServerOptions) {
  const router = routerRefusals(MAX_PARAM_LENGTH);
  const app = Fastify({
    ...SERVER_LIMITS,
    logController: new OneLinePerRequest(),
    ...opts,
    schemaErrorFormatter,
    frameworkErrors: router.frameworkErrors,
    clientErrorHandler,
    return503OnClosing: false, // Fastify's 503 is in its own shape: error-shape answers ours
    schemaController: SERIALIZERS_ON_FIRST_USE,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRoute', router.onRoute);
  return app;
}

/**
 * `/health`, `/ready` and `/metrics`, with security headers and the error format: every role serves these. With
 * `docs`, the OpenAPI document of every route registered afterwards is served at `/docs/json`, its UI at `/docs`.
 * Every refusal, from every layer (Node's parser, the router, content-type parsers, schemas, our services, shutdown),
 * is `{ error: { code, message, field } }` (docs/errors.md).
 */
export function buildOpsApp(deps: OpsDeps, opts: FastifyServerOptions = {}, { docs = false } = {}) {
  const app = createServer(opts);
  app.register(errorShape);
  if (deps.metrics) app.register(requestMetrics, { metrics: deps.metrics });
  if (docs) app.register(openApi);
  app.register(helmet, { global: true });
  app.register(healthRoutes, { checks: deps.checks });
  if (deps.metrics) app.register(metricsRoutes, { metrics: deps.metrics });
  return app;
}

/** The HTTP facade: no env, no listen. Unknown fields are 400, errors are `{ error: { code, message, field } }`. */
export function buildApp(deps: AppDeps, opts: FastifyServerOptions = {}) {
  const app = buildOpsApp(deps, opts, { docs: true });
  app.register(bodyParsing);
  app.register(apiCors, { origins: deps.corsOrigins ?? [] }); // before the /api scope: preflights skip its hooks
  // The console's page and assets are public, outside /api: its data calls carry the caller's token.
  app.register(consoleRoutes, { root: deps.consoleDir });
  // One scope for /api: load shedding and authentication reach its routes, never the probes, metrics or docs.
  app.register(async function api(scope) {
    await scope.register(loadShedding, { pressure: deps.pressure ?? DEFAULT_PRESSURE });
    // a write (any method but GET) is answered only after the shared list reads are dropped: the next read sees it
    scope.addHook('onSend', async (req) => {
      if (req.method !== 'GET') deps.jobs.forgetReads();
    });
    await scope.register(authentication, {
      authenticate: deps.authenticate,
      rateLimitPerMinute: deps.rateLimitPerMinute,
      authenticateCall: deps.reports?.authenticateCall,
    });
    await scope.register(jobRoutes, { prefix: '/api/jobs', jobs: deps.jobs, executions: deps.executions });
    await scope.register(executionRoutes, {
      prefix: '/api/executions',
      executions: deps.executions,
      reports: deps.reports,
    });
    await scope.register(alertRoutes, { prefix: '/api/alerts', alerts: deps.alerts });
    await scope.register(fleetRoutes, { prefix: '/api/fleet', jobs: deps.jobs });
    await scope.register(serviceRoutes, { prefix: '/api/services', jobs: deps.jobs });
    await scope.register(scheduleRoutes, { prefix: '/api/schedules' });
    await scope.register(reconcileRoutes, { prefix: '/api', reconcile: deps.reconcile });
    await scope.register(identityRoutes, { prefix: '/api' });
  });
  return app;
}

export type App = ReturnType<typeof buildApp>;
