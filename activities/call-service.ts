import { Context } from '@temporalio/activity';
import { ApplicationFailure, CompleteAsyncError } from '@temporalio/common';
import { callBodyOf, type CallOf } from '../jobs/call-body';
import { MAX_RESPONSE_BYTES } from '../jobs/execution';
import type { JobDefinition } from '../jobs/job';
import { CALL_FAILURE, NON_RETRYABLE_CALL_FAILURES, type CallFailureDetails, type CallResult } from '../jobs/run-input';
import { targetUrl, TargetUrlError, type ServiceRegistry } from '../jobs/services';
import { cutChars, wellFormed } from '../jobs/text';
import { isRetryableStatus, readStart, retryAfterMs } from './http';
import type { Signer } from '../jobs/signature';

export interface CallDeps {
  services: ServiceRegistry;
  fetch: typeof fetch;
  /** Signs each call's body when `SCHEDULER_SIGNING_SECRET` is set. */
  signer?: Signer;
  /** How often a running call heartbeats, so a lost worker is noticed and cancellation arrives. */
  heartbeatIntervalMs?: number;
  /** Told about every attempt (metrics). */
  observer?: CallObserver;
}

export interface CallObserver {
  /** A scheduled run's first attempt is about to reach its service, `seconds` after the nominal time. */
  calling(job: JobDefinition, lateSeconds: number): void;
  /** How one attempt ended: the HTTP status, or `timeout`, `network`, `refused` (no call was made). */
  answered(job: JobDefinition, outcome: string): void;
}

/** One call of a run: its whole job definition, and what the call says of the run. */
export interface CallRequest extends CallOf {
  job: JobDefinition;
}

/** How much of a failed call's response its error message quotes, in characters. */
const ERROR_EXCERPT_CHARS = 200;

export function callActivities(deps: CallDeps) {
  return {
    /** One attempt of the call of SPEC §5. Throws an ApplicationFailure whose details say what happened. */
    async callService(req: CallRequest): Promise<CallResult> {
      const ctx = Context.current();
      const attempt = ctx.info.attempt;
      const { job } = req;
      const observer = deps.observer;
      let url: URL;
      try {
        url = targetUrl(deps.services, job.service, job.endpoint);
      } catch (err) {
        if (!(err instanceof TargetUrlError)) throw err;
        observer?.answered(job, 'refused');
        throw fail(err.message, CALL_FAILURE.target, { attempt, httpStatus: null, timedOut: false });
      }
      const { body, headers } = requestOf(req, attempt, deps.signer);
      const timeout = AbortSignal.timeout(job.timeoutSeconds * 1000);
      const heartbeat = setInterval(() => ctx.heartbeat(), deps.heartbeatIntervalMs ?? 5000);
      if (attempt === 1 && req.trigger === 'schedule') {
        observer?.calling(job, (Date.now() - Date.parse(req.scheduledAt)) / 1000);
      }
      try {
        const res = await deps.fetch(url, {
          method: job.method,
          headers,
          body,
          signal: AbortSignal.any([ctx.cancellationSignal, timeout]),
          redirect: 'manual', // a redirect could lead away from the service's own origin
        });
        const response = await readStart(res, MAX_RESPONSE_BYTES);
        const status = res.status;
        observer?.answered(job, String(status));
        if (status >= 200 && status < 300) {
          if (job.async !== true) return { httpStatus: status, attempt, response };
          if (status === 202) awaitReport(ctx, response);
          throw fail(
            `${job.method} ${url.pathname} answered HTTP ${status}, but the job is async: its service must answer 202 Accepted and report the end`,
            CALL_FAILURE.notAccepted,
            { attempt, httpStatus: status, timedOut: false, response },
          );
        }
        const details: CallFailureDetails = { attempt, httpStatus: status, timedOut: false, response };
        const message = `${job.method} ${url.pathname} answered HTTP ${status}${response ? `: ${cutChars(response, ERROR_EXCERPT_CHARS)}` : ''}`;
        if (isRetryableStatus(status)) {
          throw fail(message, CALL_FAILURE.retryable, details, retryAfterMs(res, job.retry.maxIntervalSeconds));
        }
        throw fail(message, CALL_FAILURE.client, details);
      } catch (err) {
        if (err instanceof ApplicationFailure || err instanceof CompleteAsyncError) throw err;
        if (ctx.cancellationSignal.aborted) throw err;
        observer?.answered(job, timeout.aborted ? 'timeout' : 'network');
        if (timeout.aborted) {
          throw fail(`no answer within ${job.timeoutSeconds}s`, CALL_FAILURE.timeout, {
            attempt,
            httpStatus: null,
            timedOut: true,
          });
        }
        const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
        // the message may quote what the network or the target sent: recorded, so made well-formed, never refused
        throw fail(
          wellFormed(`${job.method} ${url.pathname} failed${cause || `: ${String(err)}`}`),
          CALL_FAILURE.network,
          {
            attempt,
            httpStatus: null,
            timedOut: false,
          },
        );
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}

/**
 * An async job's service accepted the call: the attempt stays open, to be ended by the service's report through
 * the API (api/use-cases/reports.ts completes it by its activity id), or by its completion or heartbeat timeout.
 * The answer's `progress`, if any, is the attempt's first heartbeat.
 * @throws CompleteAsyncError, always: the SDK's signal that the activity completes later.
 */
function awaitReport(ctx: Context, response: string | null): never {
  const progress = progressOf(response);
  if (progress !== undefined) ctx.heartbeat({ progress });
  throw new CompleteAsyncError();
}

/** The `progress` object of a 202 answer's JSON body, if it has one. */
function progressOf(response: string | null): unknown {
  try {
    const body: unknown = JSON.parse(response ?? '');
    return body && typeof body === 'object' && 'progress' in body ? body.progress : undefined;
  } catch {
    return undefined;
  }
}

function fail(message: string, type: string, details: CallFailureDetails, nextRetryDelayMs?: number) {
  return ApplicationFailure.create({
    message,
    type,
    details: [details],
    nonRetryable: NON_RETRYABLE_CALL_FAILURES.includes(type),
    nextRetryDelay: nextRetryDelayMs,
  });
}

/** The body and headers of SPEC §5; a GET carries the body's fields as headers instead. */
function requestOf(req: CallRequest, attempt: number, signer: Signer | undefined) {
  const { job, executionId, scheduledAt, trigger } = req;
  const headers: Record<string, string> = {
    'Idempotency-Key': executionId, // the same on every attempt of one execution
    'X-Scheduler-Job': job.name,
    'X-Scheduler-Execution': executionId,
    'X-Scheduler-Attempt': String(attempt),
    'X-Scheduler-Scheduled-At': scheduledAt,
    'X-Scheduler-Trigger': trigger,
    'User-Agent': 'scheduler-service',
  };
  const body = callBodyOf(req, attempt);
  if (body === undefined) {
    // base64url: a header carries Latin-1 only, and the payload may hold any character
    headers['X-Scheduler-Payload'] = Buffer.from(JSON.stringify(job.payload)).toString('base64url');
  } else {
    headers['Content-Type'] = 'application/json';
  }
  if (signer) headers['X-Scheduler-Signature'] = signer.sign(body ?? '');
  return { body, headers };
}
