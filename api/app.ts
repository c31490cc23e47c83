import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyRequest, type FastifyServerOptions } from 'fastify';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import { getHeapStatistics } from 'node:v8';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { scan } from 'secure-json-parse';
import {
  clientErrorHandler,
  documentRefusals,
  errorHandler,
  ErrorSchema,
  InvalidRequestError,
  notFoundHandler,
  OverloadedError,
  RateLimitedError,
  routerRefusals,
  schemaErrorFormatter,
  ShuttingDownError,
} from './errors';
import type { ReconcileReport } from '../jobs/reconcile';
import type { ExecutionService } from './execution-service';
import { ANONYMOUS, requireAdmin, type Caller } from './identity';
import { OptionalKind, Type } from '@sinclair/typebox';
import { ReconcileReportSchema } from '../jobs/schema';
import { illFormedPath } from '../jobs/text';
import type { JobService } from './job-service';
import { executionRoutes } from './routes/executions';
import { healthRoutes, type HealthChecks } from './routes/health';
import { metricsRoutes, type MetricsEndpoint } from './routes/metrics';
import { jobRoutes } from './routes/jobs';
import { scheduleRoutes } from './routes/schedules';
import { serviceRoutes } from './routes/services';

export interface AppDeps {
  jobs: JobService;
  executions: ExecutionService;
  /** Resolves the Authorization header to a caller; throws a 401 error for a bad token. */
  authenticate: (authorization: string | undefined) => Promise<Caller>;
  checks: HealthChecks;
  /** Runs the reconciler now; its report, or null while it still runs after a minute. */
  reconcile: () => Promise<{ workflowId: string; report: ReconcileReport | null }>;
  /** Requests per minute per caller on /api (per client address before authentication); 0 = no limit. */
  rateLimitPerMinute: number;
  /** `/metrics`, and the timing of every request; none in unit tests. */
  metrics?: MetricsEndpoint;
  /** When /api sheds load; {@link DEFAULT_PRESSURE} unless given. */
  pressure?: Pressure;
}

/** Past either limit, new /api requests are a 503 `overloaded` with Retry-After; probes and metrics still answer. */
export interface Pressure {
  maxHeapUsedBytes: number;
  /** 0: not checked. */
  maxEventLoopDelayMs: number;
  /** How often both are sampled. */
  sampleIntervalMs: number;
}

/**
 * 85 % of the heap cap (the pod's `--max-old-space-size`), so that a flood of requests is refused before it runs the
 * process out of heap, and a second of event-loop lag, when answering late is as good as not answering.
 */
export const DEFAULT_PRESSURE: Pressure = {
  maxHeapUsedBytes: Math.floor(0.85 * getHeapStatistics().heap_size_limit),
  maxEventLoopDelayMs: 1000,
  sampleIntervalMs: 1000,
};
const PRESSURE_RETRY_AFTER_SECONDS = 5;

/** What a process without the API (SCHEDULER_ROLE=worker) still serves: probes and metrics. */
export type OpsDeps = Pick<AppDeps, 'checks' | 'metrics'>;

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

const OPENAPI = {
  info: {
    title: 'scheduler-service',
    description: 'Recurring jobs for the fleet: each job a Temporal Schedule, each run a workflow calling its service.',
    version: '1',
  },
  components: { securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer' } } },
  security: [{ bearer: [] }],
};

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
 * `/health`, `/ready` and `/metrics`, with security headers and the error format: every role serves these. With
 * `docs`, the OpenAPI document of every route registered afterwards is served at `/docs/json`, its UI at `/docs`.
 * Every refusal, from every layer (Node's parser, the router, content-type parsers, schemas, our services, shutdown),
 * is `{ error: { code, message, field } }` (docs/errors.md).
 */
export function buildOpsApp(deps: OpsDeps, opts: FastifyServerOptions = {}, { docs = false } = {}) {
  const router = routerRefusals(MAX_PARAM_LENGTH);
  const app = Fastify({
    ...SERVER_LIMITS,
    ...opts,
    schemaErrorFormatter,
    frameworkErrors: router.frameworkErrors,
    clientErrorHandler,
    return503OnClosing: false, // Fastify's 503 is in its own shape: ShuttingDownError below answers ours
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRoute', router.onRoute);
  app.addSchema(ErrorSchema);
  app.addHook('onRoute', documentRefusals);
  if (docs) {
    app.register(swagger, {
      openapi: OPENAPI,
      // shared schemas by their $id (`ApiError`), not `def-0`
      refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    });
    app.register(swaggerUi, { routePrefix: '/docs' });
  }
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler(app));
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', async (_req, reply) => {
    if (!closing) return;
    void reply.header('connection', 'close');
    throw new ShuttingDownError();
  });
  app.register(helmet, { global: true });
  app.register(healthRoutes, { checks: deps.checks });
  const { metrics } = deps;
  if (metrics) {
    app.register(metricsRoutes, { metrics });
    app.addHook('onResponse', async (req, reply) => {
      // the route template (`/api/jobs/:name`), never the raw URL, so label values stay bounded
      metrics.observeRequest(
        req.method,
        req.routeOptions.url ?? 'unmatched',
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
    });
  }
  return app;
}

/** The HTTP facade: no env, no listen. Unknown fields are 400, errors are `{ error: { code, message, field } }`. */
export function buildApp(deps: AppDeps, opts: FastifyServerOptions = {}) {
  const app = buildOpsApp(deps, opts, { docs: true });
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if (httpPart !== 'body') return coercing.compile(schema);
    const validate = strict.compile(schema);
    if (!(OptionalKind in schema)) return validate;
    // `Type.Optional(...)` body: no body at all (`curl -X POST …/trigger`; Fastify passes null) is valid, anything sent must match.
    const optional = (data: unknown) => data === undefined || data === null || validate(data);
    return Object.defineProperty(optional, 'errors', { get: () => validate.errors });
  });
  // JSON only: a text/plain body would otherwise reach the schema as a string (`body: must be object`), not a 415
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.decorateRequest('caller', undefined as never);
  app.register(async (api) => {
    const pressure = deps.pressure ?? DEFAULT_PRESSURE;
    await api.register(underPressure, {
      maxHeapUsedBytes: pressure.maxHeapUsedBytes,
      maxEventLoopDelay: pressure.maxEventLoopDelayMs,
      sampleInterval: pressure.sampleIntervalMs,
      pressureHandler: async (_req, reply, type) => {
        void reply.header('retry-after', String(PRESSURE_RETRY_AFTER_SECONDS));
        throw new OverloadedError(
          `the scheduler is overloaded (${type === 'heapUsedBytes' ? 'heap' : 'event loop lag'}); retry in ${PRESSURE_RETRY_AFTER_SECONDS} s`,
        );
      },
    });
    await api.register(rateLimit, { global: false });
    const limit = deps.rateLimitPerMinute > 0 ? perCallerLimit(api.createRateLimit, deps.rateLimitPerMinute) : null;
    api.addHook('onRequest', async (req, reply) => {
      const caller = await deps.authenticate(req.headers.authorization).catch((err: Error) => err);
      // Counted before the token is judged, so guessing tokens is limited too (per client address).
      if (limit) {
        const verdict = await limit(req, caller instanceof Error ? null : caller);
        if (verdict) {
          void reply.header('retry-after', String(verdict.retryAfterSeconds));
          throw new RateLimitedError(
            `more than ${verdict.max} requests a minute; retry in ${verdict.retryAfterSeconds} s`,
          );
        }
      }
      if (caller instanceof Error) throw caller;
      req.caller = caller;
    });
    await api.register(jobRoutes, { prefix: '/api/jobs', jobs: deps.jobs, executions: deps.executions });
    await api.register(executionRoutes, { prefix: '/api/executions', executions: deps.executions });
    await api.register(serviceRoutes, { prefix: '/api/services', jobs: deps.jobs });
    await api.register(scheduleRoutes, { prefix: '/api/schedules' });
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

/** A JSON escape of a surrogate code unit, either half (`\ud83d`, `\uDE00`). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * JSON as Fastify parses it, prototype poisoning refused (its default), but with refusals that say what is wrong:
 * Fastify's own names nothing. Every body goes through here, so no route can forget the refusals: a string or key
 * that is not well-formed text (a lone surrogate, which PostgreSQL cannot hold) is a 400 naming its path.
 */
function parseJsonBody(body: string): unknown {
  if (body.length === 0) throw new InvalidRequestError('body: is empty, but content-type says application/json');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new InvalidRequestError('body: is not valid JSON');
  }
  // Only a `\uD800`–`\uDFFF` escape can parse to a lone surrogate (the body itself was decoded from UTF-8), so the
  // walk that names it runs only for a body holding one.
  if (SURROGATE_ESCAPE.test(body) || !body.isWellFormed()) {
    const field = illFormedPath(value);
    if (field !== null) {
      const at = field || 'body';
      throw new InvalidRequestError(
        `${at}: is not well-formed text: it holds a lone surrogate (a \\uD800-\\uDFFF escape without its pair)`,
        at,
      );
    }
  }
  if (value === null || typeof value !== 'object') return value;
  try {
    scan(value, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    // refused: only now is it worth a second walk, to say which key
    try {
      scan(value, { protoAction: 'error', constructorAction: 'ignore' });
    } catch {
      throw new InvalidRequestError('body: a "__proto__" key is not allowed anywhere in it');
    }
    throw new InvalidRequestError('body: a "constructor" object with a "prototype" key is not allowed anywhere in it');
  }
  return value;
}

/** One bucket per caller (an admin, a service); open mode and failed authentication count per client address. */
function perCallerLimit(createRateLimit: ReturnType<typeof Fastify>['createRateLimit'], max: number) {
  const check = createRateLimit({
    max,
    timeWindow: 60_000,
    keyGenerator: (req: FastifyRequest) => keys.get(req) ?? `ip:${req.ip}`,
  });
  const keys = new WeakMap<FastifyRequest, string>();
  return async (req: FastifyRequest, caller: Caller | null) => {
    if (caller && caller !== ANONYMOUS) keys.set(req, `${caller.kind}:${caller.name}`);
    const result = await check(req);
    // `isAllowed` means on the allow-list; over the limit is `isExceeded`
    return result.isAllowed || !result.isExceeded ? null : { max, retryAfterSeconds: result.ttlInSeconds };
  };
}
