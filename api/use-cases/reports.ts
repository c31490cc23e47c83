import { MAX_RESPONSE_BYTES } from '../../jobs/execution';
import { cutUtf8 } from '../../jobs/text';
import {
  cancelRun,
  describeRunCall,
  endCall,
  heartbeatCall,
  type CallReport,
  type PendingCall,
} from '../../temporal/reports';
import { callBodyOf } from '../../jobs/call-body';
import { signatureMatches } from '../../jobs/signature';
import { fetchRunRow, fetchRunStatus } from '../../temporal/mirror';
import { fetchRunInput } from '../../temporal/runs';
import { ExecutionConflictError, ExecutionNotFoundError, InvalidRequestError, UnauthorizedError } from '../errors';
import type { Caller } from '../identity';
import type { ExecutionView } from '../schemas/executions';
import {
  MAX_PROGRESS_BYTES,
  type CompletionBody,
  type CompletionReply,
  type HeartbeatBody,
  type HeartbeatReply,
} from '../schemas/reports';
import type { UseCaseContext } from './context';
import { getExecution, loadExecution } from './executions';

/*
 * What an async job's service reports of a run, and an admin's cancel (docs/long-running.md). Every report
 * describes the run in Temporal afresh: nothing is held between requests, and a report survives any restart.
 */

/** The execution use cases of long-running jobs, bound to one context. */
export function createReportUseCases(ctx: UseCaseContext) {
  return {
    /** See {@link reportHeartbeat}. */
    heartbeat: (id: string, body: HeartbeatBody, caller: Caller) => reportHeartbeat(ctx, id, body, caller),
    /** See {@link reportCompletion}. */
    complete: (id: string, body: CompletionBody, caller: Caller) => reportCompletion(ctx, id, body, caller),
    /** See {@link cancelExecution}. */
    cancel: (id: string, caller: Caller) => cancelExecution(ctx, id, caller),
    /** See {@link callerOfProof}. */
    authenticateCall: (proof: CallProof) => callerOfProof(ctx, proof),
  };
}

/**
 * What a service may present instead of its token when it reports on a run: the call it received, by its headers
 * `Idempotency-Key` (the execution id), `X-Scheduler-Attempt` and `X-Scheduler-Signature` (verbatim).
 */
export interface CallProof {
  executionId: string;
  attempt: number;
  signature: string;
}

/**
 * The service a call proof speaks for: the run's owner, when the signature is the one the scheduler gave that
 * attempt's call (rebuilt from the run's input, jobs/call-body.ts). It proves the caller received the call, which
 * only the owning service did.
 * @throws UnauthorizedError when the scheduler does not sign its calls, when the job is a GET (its call signs an empty
 * body, which proves nothing), or when the signature is not that call's.
 * @throws ExecutionNotFoundError when there is no such run.
 */
async function callerOfProof(ctx: UseCaseContext, { executionId, attempt, signature }: CallProof): Promise<Caller> {
  if (!ctx.signingSecret) {
    throw new UnauthorizedError('Authorization: a Bearer token is required (the scheduler does not sign its calls)');
  }
  const row = (await ctx.store.getExecution(executionId)) ?? (await fetchRunRow(ctx.client, executionId));
  const input = row && (await fetchRunInput(ctx.client, executionId));
  if (!row || !input) throw new ExecutionNotFoundError(executionId);
  const { job, trigger } = input;
  const body = callBodyOf({ job, executionId, scheduledAt: row.scheduledAt ?? row.startedAt, trigger }, attempt);
  if (body === undefined) {
    throw new UnauthorizedError(
      "Authorization: a GET job's call signs no body, so its signature proves nothing: report with the service's token",
    );
  }
  if (!signatureMatches(ctx.signingSecret, signature, body)) {
    throw new UnauthorizedError(`X-Scheduler-Signature: not the signature of attempt ${attempt} of ${executionId}`);
  }
  return { kind: 'service', name: row.service };
}

export type ReportUseCases = ReturnType<typeof createReportUseCases>;

/**
 * Records a heartbeat of the run's open attempt, with its `progress`.
 * @returns `cancelRequested: true` when the run is cancelled or being cancelled: the service should stop.
 * @throws ExecutionNotFoundError when there is no such run, or it is another service's.
 * @throws {@link ExecutionConflictError} when the run ended otherwise, waits between attempts, or is on another
 * attempt than `attempt`.
 */
async function reportHeartbeat(
  ctx: UseCaseContext,
  id: string,
  { progress, attempt }: HeartbeatBody,
  caller: Caller,
): Promise<HeartbeatReply> {
  if (progress !== undefined && Buffer.byteLength(JSON.stringify(progress)) > MAX_PROGRESS_BYTES) {
    throw new InvalidRequestError(`progress: must serialise to at most ${MAX_PROGRESS_BYTES} bytes`);
  }
  for (let tries = 1; ; tries++) {
    const call = await openCall(ctx, id, caller, attempt, { cancelled: () => true });
    if (call === true) return { cancelRequested: true };
    const outcome = await heartbeatCall(ctx.client, call, progress ?? null);
    // an attempt that ended between the describe and the heartbeat: described again, to say how it ended
    if (outcome !== 'gone' || tries === REPORT_TRIES) return { cancelRequested: outcome === 'cancelRequested' };
  }
}

/** How often a report is tried against an attempt that ends under it, before it is answered as it then stands. */
const REPORT_TRIES = 2;

/**
 * Ends the run's open attempt as its service reports: `succeeded` completes the run (the `result` kept as its
 * response excerpt, 2 KiB of JSON); `failed` fails the attempt, which the job's retry policy may call again. A report
 * the run already took (the same status for the same attempt) changes nothing.
 * @throws ExecutionNotFoundError when there is no such run, or it is another service's.
 * @throws {@link ExecutionConflictError} when the run ended otherwise (cancelled, timed out, or the other status),
 * waits between attempts after another failure, or is on another attempt than `attempt`.
 */
async function reportCompletion(
  ctx: UseCaseContext,
  id: string,
  body: CompletionBody,
  caller: Caller,
): Promise<CompletionReply> {
  const response = body.result === undefined ? null : cutUtf8(JSON.stringify(body.result), MAX_RESPONSE_BYTES);
  const error = body.error ?? 'the service reported a failure';
  // the same status, of the same attempt when both are known
  const same = (status: string, attempt: number | null) =>
    status === body.status && (attempt === null || body.attempt === undefined || attempt === body.attempt);
  for (let tries = 1; ; tries++) {
    const call = await openCall(ctx, id, caller, body.attempt, {
      ended: same,
      failedBefore: (lastFailure, attempt) => lastFailure === error && same('failed', attempt),
    });
    if (call === true) return { changed: false, status: body.status, attempt: body.attempt ?? null };
    const report: CallReport =
      body.status === 'succeeded'
        ? { status: 'succeeded', attempt: call.attempt, response }
        : { status: 'failed', attempt: call.attempt, response, error };
    // an attempt that ended between the describe and the report: described again, to say how it ended
    if ((await endCall(ctx.client, call, report)) || tries === REPORT_TRIES) {
      return { changed: true, status: body.status, attempt: call.attempt };
    }
  }
}

/**
 * Cancels a running execution for an admin: the run ends `cancelled`, its error naming who cancelled it; an async
 * job's service learns it from its next heartbeat.
 * @returns the run once it has closed, or as it stands after 5 s (temporal/reports.ts's `cancelRun`).
 * @throws ExecutionNotFoundError when there is no such run.
 * @throws {@link ExecutionConflictError} when it is no longer running.
 */
async function cancelExecution(ctx: UseCaseContext, id: string, caller: Caller): Promise<ExecutionView> {
  const row = await loadExecution(ctx, id, caller);
  const status = await fetchRunStatus(ctx.client, row);
  if (status !== 'running') {
    throw new ExecutionConflictError(`execution ${id} is ${status}: only a running one can be cancelled`);
  }
  await cancelRun(ctx.client, id, caller.name);
  return getExecution(ctx, id, caller);
}

/**
 * What a report may be taken as when the run is not waiting for it: already done (`true`), or a conflict. Each
 * returns true when the report is one the run already took.
 */
interface AlreadyTaken {
  /** The run ended with `status` after `attempts` attempts (null: its end row is not written yet). */
  ended?: (status: string, attempts: number | null) => boolean;
  /** The run ended cancelled, or is being cancelled. */
  cancelled?: () => boolean;
  /** The run waits to call again after attempt `attempt` failed with `lastFailure`. */
  failedBefore?: (lastFailure: string | null, attempt: number) => boolean;
}

/**
 * The run's attempt that is waiting for a report, for a caller allowed to report on it, and on `attempt` when given.
 * @returns the open attempt, or true when the run is not waiting but already took what is reported ({@link AlreadyTaken}).
 * @throws ExecutionNotFoundError when there is no such run, or it is another service's.
 * @throws {@link ExecutionConflictError} otherwise, naming the run's status or attempt.
 */
async function openCall(
  ctx: UseCaseContext,
  id: string,
  caller: Caller,
  attempt: number | undefined,
  taken: AlreadyTaken,
): Promise<PendingCall | true> {
  const row = await loadExecution(ctx, id, caller);
  const run = await describeRunCall(ctx.client, id);
  if (run?.status !== 'running') {
    // the row's end where it has one, else Temporal's; null: Temporal no longer has the run whose row says running
    const ended = row.status !== 'running' ? row.status : (run?.status ?? null);
    if (ended === 'cancelled' && taken.cancelled?.()) return true;
    if (ended && taken.ended?.(ended, row.status === 'running' ? null : row.attempts)) return true;
    throw new ExecutionConflictError(`execution ${id} has ended${ended ? ` ${ended}` : ''}: it takes no more reports`);
  }
  const call = run.call;
  if (!call) throw new ExecutionConflictError(`execution ${id} has not called its service yet`);
  if (call.state === 'backoff') {
    if (taken.failedBefore?.(call.lastFailure, call.attempt - 1)) return true;
    throw new ExecutionConflictError(
      `execution ${id} waits to call its service again (attempt ${call.attempt}): no attempt is open`,
    );
  }
  if (attempt !== undefined && attempt !== call.attempt) {
    throw new ExecutionConflictError(
      `attempt: execution ${id} is on attempt ${call.attempt}, not ${attempt}`,
      'attempt',
    );
  }
  return call;
}
