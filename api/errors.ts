import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isGrpcServiceError, ScheduleNotFoundError, ServiceError } from '@temporalio/client';
import { InvalidJobError } from '../jobs/validate';
import { StoreError } from '../store/job-store';

/** An error the API answers with its own 4xx: one subclass per failure mode. */
export abstract class ApiError extends Error {
  abstract readonly statusCode: number;
  abstract readonly code: string;
  constructor(
    message: string,
    /** The request's field at fault, as a path (`payload.greeting`, `jobs.0.description`), when there is one. */
    readonly field?: string,
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
    super(`Job ${jobName} not found`);
  }
}

export class ExecutionNotFoundError extends ApiError {
  override readonly name = 'ExecutionNotFoundError';
  readonly statusCode = 404;
  readonly code = 'execution_not_found';
  constructor(id: string) {
    super(`Execution ${id} not found`);
  }
}

export class ServiceNotFoundError extends ApiError {
  override readonly name = 'ServiceNotFoundError';
  readonly statusCode = 404;
  readonly code = 'service_not_found';
  constructor(service: string) {
    super(`service: ${service} is not a configured service`);
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
      `Job ${job.name} is not paused by an admin but disabled by its service: it runs once ${job.service} registers it with enabled: true`,
    );
  }
}

/** Thrown when a job name is already taken by another service (SPEC §2). */
export class JobConflictError extends ApiError {
  override readonly name = 'JobConflictError';
  readonly statusCode = 409;
  readonly code = 'job_name_taken';
  constructor(jobName: string) {
    super(`name: job ${jobName} belongs to another service`);
  }
}

/**
 * Thrown for a request that passed the schema but still makes no sense, e.g. a forged cursor, or for a body the
 * schema never sees (not JSON, prototype poisoning, text that is not well-formed); `field` names the path at fault.
 */
export class InvalidRequestError extends ApiError {
  override readonly name = 'InvalidRequestError';
  readonly statusCode = 400;
  readonly code = 'invalid_request';
}

/** Thrown when an execution is in no state for the action, e.g. a retry of a run that succeeded. */
export class ExecutionConflictError extends ApiError {
  override readonly name = 'ExecutionConflictError';
  readonly statusCode = 409;
  readonly code = 'execution_conflict';
}

export class UnauthorizedError extends ApiError {
  override readonly name = 'UnauthorizedError';
  readonly statusCode = 401;
  readonly code = 'unauthorized';
}

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

export class RateLimitedError extends ApiError {
  override readonly name = 'RateLimitedError';
  readonly statusCode = 429;
  readonly code = 'rate_limited';
}

const INTERNAL_ERROR = { code: 'internal_error', message: 'Internal server error' };

/** The one place where errors become `{ error: { code, message } }` (SPEC §4). 5xx details stay in the log. */
export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) {
  if (err instanceof ApiError) {
    const field = err.field === undefined ? {} : { field: err.field };
    return reply.code(err.statusCode).send({ error: { code: err.code, message: err.message, ...field } });
  }
  if (err instanceof InvalidJobError) {
    return reply.code(400).send({ error: { code: 'invalid_job', message: err.message, field: err.field } });
  }
  if (err instanceof ScheduleNotFoundError) {
    return reply.code(404).send({ error: { code: 'job_not_found', message: 'Job not found' } });
  }
  if (err instanceof StoreError && err.refused) {
    // not a 503: the store answers, and the same request would be refused again (the door refuses the text
    // PostgreSQL cannot hold, so this is a rule of the database the API does not know)
    req.log.error({ err }, 'store refused the write for its content');
    return reply.code(500).send({ error: INTERNAL_ERROR });
  }
  if (err instanceof StoreError) {
    req.log.error({ err }, 'store unavailable');
    return reply.code(503).send({ error: { code: 'store_unavailable', message: 'The job store is not answering' } });
  }
  if (temporalUnavailable(err)) {
    req.log.error({ err }, 'Temporal unavailable');
    return reply.code(503).send({ error: { code: 'temporal_unavailable', message: 'Temporal is not answering' } });
  }
  const fastifyErr = err as FastifyError;
  if (fastifyErr.validation) {
    return reply.code(400).send({ error: { code: 'invalid_request', message: err.message } });
  }
  const status = fastifyErr.statusCode && fastifyErr.statusCode < 500 ? fastifyErr.statusCode : 500;
  if (status >= 500) {
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: INTERNAL_ERROR });
  }
  return reply
    .code(status)
    .send({ error: { code: (fastifyErr.code ?? 'bad_request').toLowerCase(), message: err.message } });
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

/** Schema errors name the field: `retry.maxAttempts: must be <= 20`, `colour: unknown field`. */
export function schemaErrorFormatter(
  errors: { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }[],
  dataVar: string,
): Error {
  const first = errors[0];
  if (!first) return new Error(`${dataVar}: invalid`);
  const path = first.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (first.keyword === 'additionalProperties') {
    const extra = String(first.params.additionalProperty);
    return new Error(`${path ? `${path}.` : ''}${extra}: unknown field`);
  }
  if (first.keyword === 'required')
    return new Error(`${path ? `${path}.` : ''}${String(first.params.missingProperty)}: is required`);
  return new Error(`${path || dataVar}: ${first.message ?? 'is invalid'}`);
}
