import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Static, Type } from '@sinclair/typebox';
import { isGrpcServiceError, ScheduleNotFoundError, ServiceError } from '@temporalio/client';
import { cutChars } from '../jobs/text';
import { InvalidJobError } from '../jobs/validate';
import { StoreError } from '../store/job-store';

/**
 * Every code an answer of the API can carry (docs/errors.md has the table: status, when, whether `field` is set).
 * A test fails when a code used in api/ is missing here or from the table.
 */
export const ERROR_CODES = [
  'invalid_request',
  'invalid_job',
  'malformed_request',
  'unauthorized',
  'forbidden',
  'route_not_found',
  'job_not_found',
  'execution_not_found',
  'service_not_found',
  'method_not_allowed',
  'request_timeout',
  'job_name_taken',
  'job_disabled',
  'execution_conflict',
  'payload_too_large',
  'uri_too_long',
  'unsupported_media_type',
  'rate_limited',
  'headers_too_large',
  'internal_error',
  'store_unavailable',
  'temporal_unavailable',
  'overloaded',
  'shutting_down',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The body of every refusal. `field` is always present: the part of the request at fault (a JSON path into the body
 * such as `retry.maxAttempts` or `jobs.0.cron`, `body` for the body as a whole, or a query or path parameter's name),
 * null when no single part is (identity, limits, headers, the server's own state). When set, `message` starts with it.
 */
export const ErrorSchema = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.Unsafe<ErrorCode>({ type: 'string', enum: [...ERROR_CODES] }),
        message: Type.String(),
        field: Type.Union([Type.String(), Type.Null()]),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'ApiError', additionalProperties: false },
);
export type ErrorBody = Static<typeof ErrorSchema>;

/** Our body for a refusal; `field` null unless given. */
export const errorBody = (code: ErrorCode, message: string, field: string | null = null): ErrorBody => ({
  error: { code, message, field },
});

/**
 * Sends a refusal as JSON, whatever the route's response schemas say (`/ready` documents its own 503 body), so that a
 * refusal can never fail to serialize.
 */
export function sendError(reply: FastifyReply, status: number, body: ErrorBody) {
  return reply.code(status).type('application/json; charset=utf-8').serializer(JSON.stringify).send(body);
}

/** An error the API answers with its own 4xx: one subclass per failure mode. */
export abstract class ApiError extends Error {
  abstract readonly statusCode: number;
  abstract readonly code: ErrorCode;
  constructor(
    message: string,
    /** The request's part at fault (`payload.greeting`, `jobs.0.description`, `limit`); null when no single part is. */
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

/** Thrown when a job does not exist, or exists but belongs to another service that must not learn of it. */
export class JobNotFoundError extends ApiError {
  override readonly name = 'JobNotFoundError';
  readonly statusCode = 404;
  readonly code = 'job_not_found';
  constructor(jobName: string) {
    super(`name: job ${jobName} not found`, 'name');
  }
}

/** Thrown when an execution does not exist, or belongs to a service the caller may not act for. */
export class ExecutionNotFoundError extends ApiError {
  override readonly name = 'ExecutionNotFoundError';
  readonly statusCode = 404;
  readonly code = 'execution_not_found';
  constructor(id: string) {
    super(`id: execution ${id} not found`, 'id');
  }
}

/** Thrown when a path names a service the scheduler has no URL for. */
export class ServiceNotFoundError extends ApiError {
  override readonly name = 'ServiceNotFoundError';
  readonly statusCode = 404;
  readonly code = 'service_not_found';
  constructor(service: string) {
    super(`service: ${service} is not a configured service`, 'service');
  }
}

/**
 * Thrown on resuming a job that no admin has paused but its service has disabled (`enabled: false`): only its
 * service can make it run, by registering it with `enabled: true`.
 */
export class JobDisabledError extends ApiError {
  override readonly name = 'JobDisabledError';
  readonly statusCode = 409;
  readonly code = 'job_disabled';
  constructor(job: { name: string; service: string }) {
    super(
      `name: job ${job.name} is not paused by an admin but disabled by its service: it runs once ${job.service} registers it with enabled: true`,
      'name',
    );
  }
}

/** Thrown when a job name is already taken by another service (SPEC §2); `field` is where the name was given. */
export class JobConflictError extends ApiError {
  override readonly name = 'JobConflictError';
  readonly statusCode = 409;
  readonly code = 'job_name_taken';
  constructor(jobName: string, field = 'name') {
    super(`${field}: job ${jobName} belongs to another service`, field);
  }
}

/** A message's leading `path: ` (`to: must be after from` → `to`), the field our messages name first. */
const LEADING_PATH = /^([\w$-]+(?:\.[\w$-]+)*): /;

/**
 * Thrown for a request that passed the schema but still makes no sense, e.g. a forged cursor, or for a body the
 * schema never sees (not JSON, prototype poisoning, text that is not well-formed). `field` names the path at fault;
 * left out, it is the message's leading `path: `.
 */
export class InvalidRequestError extends ApiError {
  override readonly name = 'InvalidRequestError';
  readonly statusCode = 400;
  readonly code = 'invalid_request';
  constructor(message: string, field: string | null = LEADING_PATH.exec(message)?.[1] ?? null) {
    super(message, field);
  }
}

/** Thrown when an execution is in no state for the action, e.g. a retry of a run that succeeded. */
export class ExecutionConflictError extends ApiError {
  override readonly name = 'ExecutionConflictError';
  readonly statusCode = 409;
  readonly code = 'execution_conflict';
}

/** Thrown when a request has no valid credentials (tokens configured, none or an unknown one sent). */
export class UnauthorizedError extends ApiError {
  override readonly name = 'UnauthorizedError';
  readonly statusCode = 401;
  readonly code = 'unauthorized';
}

/** Thrown when the caller is known but may not do this (a service acting for another, a service on an admin route). */
export class ForbiddenError extends ApiError {
  override readonly name = 'ForbiddenError';
  readonly statusCode = 403;
  readonly code = 'forbidden';
}

/** The process is short of heap or its event loop lags: new API requests are shed until it recovers. */
export class OverloadedError extends ApiError {
  override readonly name = 'OverloadedError';
  readonly statusCode = 503;
  readonly code = 'overloaded';
}

/** Thrown when a caller sent more requests this minute than SCHEDULER_RATE_LIMIT_PER_MINUTE allows. */
export class RateLimitedError extends ApiError {
  override readonly name = 'RateLimitedError';
  readonly statusCode = 429;
  readonly code = 'rate_limited';
}

/** Thrown for a request that arrives while the server shuts down; the load balancer should send it elsewhere. */
export class ShuttingDownError extends ApiError {
  override readonly name = 'ShuttingDownError';
  readonly statusCode = 503;
  readonly code = 'shutting_down';
  constructor() {
    super('the scheduler is shutting down; retry, another instance will answer');
  }
}

const INTERNAL_ERROR = errorBody('internal_error', 'Internal server error');

/**
 * Fastify's own refusals of a request, as ours: the framework's codes (`FST_ERR_*`) never reach a client. Each is
 * thrown before the route's handler, so the route's schemas never saw the request.
 */
const FRAMEWORK_REFUSALS: Record<string, (req: FastifyRequest) => { status: number; body: ErrorBody }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (req) => ({
    status: 413,
    body: errorBody('payload_too_large', `body: larger than ${req.routeOptions.bodyLimit} bytes`, 'body'),
  }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (req) => ({
    status: 415,
    body: errorBody(
      'unsupported_media_type',
      `Content-Type: ${JSON.stringify(cutChars(String(req.headers['content-type'] ?? ''), 100))} is not accepted; send application/json`,
    ),
  }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => ({
    status: 400,
    body: errorBody('malformed_request', 'Content-Length: does not match the length of the body sent'),
  }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => ({
    status: 400,
    body: errorBody('invalid_request', 'body: is empty, but content-type says application/json', 'body'),
  }),
  FST_ERR_CTP_INVALID_JSON_BODY: () => ({
    status: 400,
    body: errorBody('invalid_request', 'body: is not valid JSON', 'body'),
  }),
};

/** The one place where errors become `{ error: { code, message, field } }` (SPEC §4). 5xx details stay in the log. */
export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof ApiError) {
    return sendError(reply, err.statusCode, errorBody(err.code, err.message, err.field));
  }
  if (err instanceof InvalidJobError) {
    return sendError(reply, 400, errorBody('invalid_job', err.message, err.field));
  }
  if (err instanceof ScheduleNotFoundError) {
    return sendError(reply, 404, errorBody('job_not_found', 'Job not found'));
  }
  if (err instanceof StoreError && err.refused) {
    // not a 503: the store answers, and the same request would be refused again (the door refuses the text
    // PostgreSQL cannot hold, so this is a rule of the database the API does not know)
    req.log.error({ err }, 'store refused the write for its content');
    return sendError(reply, 500, INTERNAL_ERROR);
  }
  if (err instanceof StoreError) {
    req.log.error({ err }, 'store unavailable');
    return sendError(reply, 503, errorBody('store_unavailable', 'The job store is not answering'));
  }
  if (temporalUnavailable(err)) {
    req.log.error({ err }, 'Temporal unavailable');
    return sendError(reply, 503, errorBody('temporal_unavailable', 'Temporal is not answering'));
  }
  const { code, statusCode } = err as FastifyError;
  const refusal = code === undefined ? undefined : FRAMEWORK_REFUSALS[code];
  if (refusal) {
    const { status, body } = refusal(req);
    return sendError(reply, status, body);
  }
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    // a refusal of the framework this table does not know yet: still our shape and code, its text kept for the caller
    req.log.warn({ err }, 'unmapped client error');
    return sendError(reply, 400, errorBody('malformed_request', err.message));
  }
  req.log.error({ err }, 'request failed');
  return sendError(reply, 500, INTERNAL_ERROR);
}

const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

function temporalUnavailable(err: unknown): boolean {
  const grpc = isGrpcServiceError(err)
    ? err
    : err instanceof ServiceError && isGrpcServiceError(err.cause)
      ? err.cause
      : null;
  return grpc?.code === GRPC_UNAVAILABLE || grpc?.code === GRPC_DEADLINE_EXCEEDED;
}

/**
 * Schema errors name the field, in the message and in `field`: `retry.maxAttempts: must be <= 20`, `colour: unknown
 * field`, `overlap: must be one of skip, buffer_one, …`. `dataVar` (`body`, `querystring`, `params`) stands for the
 * part as a whole; a whole body at fault is `body`.
 */
export function schemaErrorFormatter(
  errors: { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }[],
  dataVar: string,
): Error {
  const first = errors[0];
  const at = (path: string) => new InvalidRequestError(`${path}: ${describeRule(first)}`, path);
  const path = (first?.instancePath ?? '').replace(/^\//, '').split('/').map(unescapePointer).join('.');
  const child = (name: unknown) => (path ? `${path}.${String(name)}` : String(name));
  if (first?.keyword === 'additionalProperties') return at(child(first.params.additionalProperty));
  if (first?.keyword === 'required') return at(child(first.params.missingProperty));
  return at(path || (dataVar === 'body' ? 'body' : dataVar));
}

function describeRule(error: { message?: string; keyword: string; params: Record<string, unknown> } | undefined) {
  if (error?.keyword === 'additionalProperties') return 'unknown field';
  if (error?.keyword === 'required') return 'is required';
  if (error?.keyword === 'enum' && Array.isArray(error.params.allowedValues)) {
    return `must be one of ${error.params.allowedValues.map(String).join(', ')}`;
  }
  return error?.message ?? 'is invalid';
}

/** A JSON pointer's segment as the key it names (`a~1b` is `a/b`). */
const unescapePointer = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

/**
 * Fastify's `frameworkErrors`: the router's refusals (a path parameter that is not valid percent-encoding, or longer
 * than `maxParamLength`) bypass the error handler; these answers name the parameter of the route the path was for.
 * `onRoute` must see every route for that.
 */
export function routerRefusals(maxParamLength: number) {
  const templates: string[] = [];
  return {
    onRoute: (route: { url: string }) => {
      if (route.url.includes(':')) templates.push(route.url);
    },
    frameworkErrors: (err: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
      const [status, body] = routerRefusal(err, req);
      void sendError(reply, status, body);
    },
  };

  function routerRefusal(err: FastifyError, req: FastifyRequest): [number, ErrorBody] {
    const path = req.url.split('?')[0] ?? '';
    const named = (code: ErrorCode, param: string | null, message: string) =>
      param ? errorBody(code, `${param}: ${message}`, param) : errorBody(code, `a segment of the path ${message}`);
    if (err.code === 'FST_ERR_BAD_URL') {
      const param = paramAt(templates, path, (segment) => !decodes(segment));
      return [400, named('invalid_request', param, 'is not valid percent-encoding (each byte of its UTF-8 as %XX)')];
    }
    if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      const param = paramAt(templates, path, (segment) => segment.length > maxParamLength);
      return [414, named('uri_too_long', param, `is longer than ${maxParamLength} characters`)];
    }
    req.log.error({ err }, 'router failed');
    return [500, INTERNAL_ERROR];
  }
}

function decodes(segment: string): boolean {
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}

/** The parameter of the first route template `path` fits whose segment `atFault` picks out. */
function paramAt(templates: string[], path: string, atFault: (segment: string) => boolean): string | null {
  const segments = path.split('/');
  for (const template of templates) {
    const parts = template.split('/');
    if (parts.length !== segments.length) continue;
    let param: string | null = null;
    const fits = parts.every((part, i) => {
      const segment = segments[i] ?? '';
      if (!part.startsWith(':')) return part === segment;
      if (param === null && atFault(segment)) param = part.slice(1);
      return true;
    });
    if (fits && param !== null) return param;
  }
  return null;
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before Fastify sees a request (headers too large,
 * not HTTP, a request that does not arrive within `requestTimeout`) is written straight to the socket, in our shape.
 */
export function clientErrorHandler(err: Error & { code?: string; reason?: unknown }, socket: Duplex) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return; // the client is gone: nobody to answer
  const [status, body] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, errorBody('request_timeout', 'the request did not arrive whole in time')]
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [
            431,
            errorBody(
              'headers_too_large',
              `the request line and headers are larger than ${Math.floor(maxHeaderSize / 1024)} KiB`,
            ),
          ]
        : [
            400,
            errorBody(
              'malformed_request',
              `the request is not well-formed HTTP${typeof err.reason === 'string' ? `: ${cutChars(err.reason, 200)}` : ''}`,
            ),
          ];
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(err);
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** No route for the path: 404 `route_not_found`; a route for the path under other methods: 405 with `Allow`. */
export function notFoundHandler(app: Pick<FastifyInstance, 'findRoute'>) {
  return (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? '';
    // a catch-all (`OPTIONS *`, which answers CORS preflights: api/plugins/cors.ts) makes no path an endpoint
    const allowed = METHODS.filter((method) => {
      const route = app.findRoute({ method, url: path });
      return route !== null && !('*' in route.params);
    });
    if (allowed.length > 0) {
      void reply.header('allow', allowed.join(', '));
      return sendError(
        reply,
        405,
        errorBody('method_not_allowed', `${req.method} ${path}: this endpoint answers ${allowed.join(', ')}`),
      );
    }
    return sendError(reply, 404, errorBody('route_not_found', `${req.method} ${path} is not an endpoint`));
  };
}

/**
 * Routes that can answer 409, with its codes: a job name another service holds, a retry of an execution in no state
 * for it, a resume of a job only its service can run.
 */
const CONFLICTING_ROUTES = new Map<string, ErrorCode[]>([
  ['POST /api/jobs/register', ['job_name_taken']],
  ['PUT /api/services/:service/jobs', ['job_name_taken']],
  ['POST /api/executions/:id/retry', ['execution_conflict']],
  ['POST /api/executions/:id/heartbeat', ['execution_conflict']],
  ['POST /api/executions/:id/complete', ['execution_conflict']],
  ['POST /api/executions/:id/cancel', ['execution_conflict']],
  ['POST /api/jobs/:name/resume', ['job_disabled']],
]);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The refusals a route can answer, by status, with the codes each may carry (docs/errors.md says when). */
export function refusalsOf(route: { method: string | string[]; url: string; schema?: { querystring?: unknown } }) {
  const methods = [route.method].flat();
  const api = route.url.startsWith('/api/');
  const params = route.url.includes(':');
  const body = methods.some((method) => BODY_METHODS.has(method));
  const refusals: [number, ErrorCode[]][] = [];
  if (body || params || route.schema?.querystring) {
    refusals.push([400, ['invalid_request', ...(body ? (['invalid_job', 'malformed_request'] as const) : [])]]);
  }
  if (api) refusals.push([401, ['unauthorized']], [403, ['forbidden']]);
  if (params) refusals.push([404, ['job_not_found', 'execution_not_found', 'service_not_found']]);
  const conflicts = methods.flatMap((method) => CONFLICTING_ROUTES.get(`${method} ${route.url}`) ?? []);
  if (conflicts.length > 0) refusals.push([409, conflicts]);
  if (body) refusals.push([413, ['payload_too_large']]);
  if (params) refusals.push([414, ['uri_too_long']]);
  if (body) refusals.push([415, ['unsupported_media_type']]);
  if (api) refusals.push([429, ['rate_limited']]);
  refusals.push([500, ['internal_error']]);
  refusals.push([
    503,
    api ? ['overloaded', 'store_unavailable', 'temporal_unavailable', 'shutting_down'] : ['shutting_down'],
  ]);
  return refusals;
}

/**
 * An `onRoute` hook: every route's OpenAPI responses list the refusals it can answer, each an {@link ErrorSchema}
 * (`$ref: 'ApiError#'`, added with `addSchema`), so no route can forget one. A status the route documents itself
 * (`/ready`'s 503) is left as it is.
 */
export function documentRefusals(route: {
  method: string | string[];
  url: string;
  schema?: { hide?: boolean; querystring?: unknown; response?: unknown };
}) {
  if (route.schema?.hide) return;
  const schema = (route.schema ??= {});
  const responses = (schema.response ??= {}) as Record<string, unknown>;
  for (const [status, codes] of refusalsOf(route)) {
    responses[status] ??= { $ref: 'ApiError#', description: codes.map((code) => `\`${code}\``).join(', ') };
  }
}
