import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { MAX_RESPONSE_BYTES, type Trigger } from '../jobs/execution';
import type { JobDefinition } from '../jobs/job';
import { CALL_FAILURE, NON_RETRYABLE_CALL_FAILURES, type CallFailureDetails, type CallResult } from '../jobs/run-input';
import { targetUrl, TargetUrlError, type ServiceRegistry } from '../jobs/services';
import { cutChars, cutUtf8, wellFormed } from '../jobs/text';
import type { Signer } from './signing';

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

export interface CallRequest {
  job: JobDefinition;
  executionId: string;
  scheduledAt: string;
  trigger: Trigger;
}

const RETRYABLE_STATUSES = new Set([408, 425, 429]);
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
        const response = await readStart(res);
        const status = res.status;
        observer?.answered(job, String(status));
        if (status >= 200 && status < 300) return { httpStatus: status, attempt, response };
        const details: CallFailureDetails = { attempt, httpStatus: status, timedOut: false, response };
        const message = `${job.method} ${url.pathname} answered HTTP ${status}${response ? `: ${cutChars(response, ERROR_EXCERPT_CHARS)}` : ''}`;
        if (status >= 500 || RETRYABLE_STATUSES.has(status)) {
          throw fail(message, CALL_FAILURE.retryable, details, retryAfterMs(res, job.retry.maxIntervalSeconds));
        }
        throw fail(message, CALL_FAILURE.client, details);
      } catch (err) {
        if (err instanceof ApplicationFailure || ctx.cancellationSignal.aborted) throw err;
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
  let body: string | undefined;
  if (job.method === 'GET') {
    // base64url: a header carries Latin-1 only, and the payload may hold any character
    headers['X-Scheduler-Payload'] = Buffer.from(JSON.stringify(job.payload)).toString('base64url');
  } else {
    body = JSON.stringify({ job: job.name, executionId, scheduledAt, trigger, attempt, payload: job.payload });
    headers['Content-Type'] = 'application/json';
  }
  if (signer) headers['X-Scheduler-Signature'] = signer.sign(body ?? '');
  return { body, headers };
}

/**
 * The first 2 KiB of the body (SPEC §5), without reading more of it than that: at most {@link MAX_RESPONSE_BYTES}
 * bytes of UTF-8, cut on a whole character. Bytes that are not UTF-8 read as U+FFFD, so the text is well-formed.
 */
async function readStart(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    // 4 bytes past the budget: a character cut by the end of what was read starts after the budget, so it is dropped
    while (size < MAX_RESPONSE_BYTES + 4) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined); // the rest of the body is not wanted
  }
  const read = Buffer.concat(chunks);
  const text = cutUtf8(read.subarray(0, MAX_RESPONSE_BYTES + 4).toString('utf8'), MAX_RESPONSE_BYTES);
  return text.length > 0 ? text : null;
}

/** `Retry-After` (seconds or an HTTP date) in ms, capped by the job's longest retry interval. */
function retryAfterMs(res: Response, maxIntervalSeconds: number): number | undefined {
  const header = res.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.round(Math.min(Math.max(seconds, 0), maxIntervalSeconds) * 1000) || undefined;
}
