import {
  ActivityCancelledError,
  ActivityNotFoundError,
  WorkflowNotFoundError,
  type Client,
  type FullActivityId,
} from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter, optionalTsToDate } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutionStatus } from '../jobs/execution';
import { CALL_FAILURE, type CallFailureDetails, type CallResult } from '../jobs/run-input';
import { ActivityType, RunSignal } from '../jobs/workflow-types';
import { runRowOf } from './mirror';

/*
 * The Temporal side of long-running jobs (docs/long-running.md): an async job's call activity stays open after its
 * service answered 202, and is ended here, by its activity id, when the service reports through the API. Nothing is
 * held in memory: each report describes the run afresh.
 */

const { PendingActivityState } = temporal.api.enums.v1;

/** A run's call as Temporal describes it while the run is open. */
export interface PendingCall {
  /** What Temporal completes, fails or heartbeats: the run's workflow id and run id, and the activity's id. */
  activity: FullActivityId & { runId: string };
  /** The attempt now open, or the next one while the call waits out its retry backoff. */
  attempt: number;
  /** `open`: an attempt is under way (calling, or awaiting its service's report); `backoff`: between attempts. */
  state: 'open' | 'backoff';
  /** When the attempt last heartbeat (the worker's own while calling, then the service's); null if never. */
  lastHeartbeatAt: Date | null;
  /** The `progress` of the last heartbeat that carried one; null if none did. */
  progress: unknown;
  /** The last failed attempt's error; null if none failed. */
  lastFailure: string | null;
}

/** A run's status as Temporal has it, and its call while the run is open (null once it is closed, or before the call). */
export interface RunCall {
  status: ExecutionStatus;
  call: PendingCall | null;
}

/**
 * Describes run `workflowId` for its call.
 * @returns null when Temporal has no such run.
 */
export async function describeRunCall(client: Client, workflowId: string): Promise<RunCall | null> {
  let description;
  try {
    description = await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  const status = runRowOf(description)?.status ?? 'running';
  const pending = description.raw.pendingActivities?.find((a) => a.activityType?.name === ActivityType.callService);
  if (status !== 'running' || !pending?.activityId) return { status, call: null };
  const details = pending.heartbeatDetails?.payloads?.[0];
  const heartbeat = details ? defaultPayloadConverter.fromPayload<{ progress?: unknown }>(details) : null;
  return {
    status,
    call: {
      activity: { workflowId, runId: description.runId, activityId: pending.activityId },
      attempt: pending.attempt ?? 1,
      state: pending.state === PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED ? 'backoff' : 'open',
      lastHeartbeatAt: optionalTsToDate(pending.lastHeartbeatTime) ?? null,
      progress: heartbeat?.progress ?? null,
      lastFailure: pending.lastFailure?.message ?? null,
    },
  };
}

/** What an async job's service reported of one attempt (`POST /api/executions/:id/complete`). */
export type CallReport =
  | { status: 'succeeded'; attempt: number; response: string | null }
  | { status: 'failed'; attempt: number; response: string | null; error: string };

/**
 * Ends the open attempt `call` as its service reported: completed with the call's result (HTTP status 202, the
 * result as the response excerpt), or failed with a retryable `ReportedFailure`, so the job's retry policy decides.
 * @returns false when the attempt had already ended (Temporal no longer has it open).
 */
export async function endCall(client: Client, call: PendingCall, report: CallReport): Promise<boolean> {
  try {
    if (report.status === 'succeeded') {
      const result: CallResult = { httpStatus: 202, attempt: report.attempt, response: report.response };
      await client.activity.complete(call.activity, result);
    } else {
      const details: CallFailureDetails = {
        attempt: report.attempt,
        httpStatus: 202,
        timedOut: false,
        response: report.response,
      };
      await client.activity.fail(
        call.activity,
        ApplicationFailure.create({ message: report.error, type: CALL_FAILURE.reported, details: [details] }),
      );
    }
    return true;
  } catch (err) {
    if (err instanceof ActivityNotFoundError) return false;
    throw err;
  }
}

/**
 * Records a heartbeat of the open attempt `call`, with its `progress` (kept by Temporal as the attempt's heartbeat
 * details, shown in the execution view).
 * @returns `cancelRequested`: the run is being cancelled and its service should stop; `gone`: the attempt had
 * already ended.
 */
export async function heartbeatCall(
  client: Client,
  call: PendingCall,
  progress: unknown,
): Promise<'ok' | 'cancelRequested' | 'gone'> {
  try {
    await client.activity.heartbeat(call.activity, { progress });
    return 'ok';
  } catch (err) {
    if (err instanceof ActivityNotFoundError) return 'gone';
    if (err instanceof ActivityCancelledError) return 'cancelRequested';
    throw err;
  }
}

/** How long {@link cancelRun} waits for the run to close, in ms. */
const CANCEL_WAIT_MS = 5000;

/**
 * Cancels run `workflowId` for `by` (who asked): it is told who first (recorded in its end row), then cancelled
 * as Temporal cancels any run, which cancels its call; then waits (5 s at most) for it to close, so that what the
 * caller reads next, and an async job's service's next heartbeat, find it cancelled.
 */
export async function cancelRun(client: Client, workflowId: string, by: string): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  await handle.signal(RunSignal.cancelRequested, { by });
  await handle.cancel();
  const closed = handle.result().catch(() => undefined); // a cancelled run's result is its cancellation
  const waiting = new AbortController();
  await Promise.race([closed, sleep(CANCEL_WAIT_MS, undefined, { signal: waiting.signal }).catch(() => undefined)]);
  waiting.abort();
}
