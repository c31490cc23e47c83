import {
  isGrpcServiceError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { defaultPayloadConverter, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { startedExecution, type ExecutionRecord, type ExecutionStatus, type Trigger } from '../jobs/execution';
import { nominalTimeOf } from '../jobs/ids';
import type { JobDefinition } from '../jobs/job';
import type { RunJobInput } from '../jobs/run-input';
import { runSearchAttributes } from './schedule-options';
import { JOB_NAME, JOB_SERVICE, JOB_TRIGGER } from './search-attributes';

/** Runs we start ourselves (manual, retry, backfill) and runs as Temporal describes them. */

const STATUS_OF: Record<string, ExecutionStatus> = {
  RUNNING: 'running',
  COMPLETED: 'succeeded',
  FAILED: 'failed',
  TIMED_OUT: 'timed_out',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
};

export interface StartRun {
  job: JobDefinition;
  trigger: Trigger;
  triggeredBy: string;
  retryOf?: string | null;
  workflowId: string;
  /** Backfills reuse a scheduled run's id: an occurrence that already ran is refused, never run twice. */
  rejectDuplicate?: boolean;
}

/**
 * Starts one run of `runJob`. @returns the execution as it stands at start, or null when `rejectDuplicate` found
 * a run with that id already.
 */
export async function startRun(client: Client, taskQueue: string, run: StartRun): Promise<ExecutionRecord | null> {
  const retryOf = run.retryOf ?? null;
  const input: RunJobInput = { job: run.job, trigger: run.trigger, triggeredBy: run.triggeredBy, retryOf };
  let runId: string;
  try {
    const handle = await client.workflow.start('runJob', {
      taskQueue,
      workflowId: run.workflowId,
      args: [input],
      typedSearchAttributes: runSearchAttributes(run.job, run.trigger),
      memo: { triggeredBy: run.triggeredBy, retryOf },
      workflowIdReusePolicy: run.rejectDuplicate ? 'REJECT_DUPLICATE' : undefined,
    });
    runId = handle.firstExecutionRunId;
  } catch (err) {
    if (run.rejectDuplicate && err instanceof WorkflowExecutionAlreadyStartedError) return null;
    throw err;
  }
  const now = new Date().toISOString();
  return startedExecution({
    id: run.workflowId,
    jobName: run.job.name,
    service: run.job.service,
    trigger: run.trigger,
    triggeredBy: run.triggeredBy,
    retryOf,
    scheduledAt: nominalTimeOf(run.workflowId) ?? now,
    startedAt: now,
    runId,
  });
}

/** A run as Temporal knows it, for one whose mirror row is missing or behind; null if it is not a run of ours. */
export async function describeRun(client: Client, id: string): Promise<ExecutionRecord | null> {
  let d: WorkflowExecutionDescription;
  try {
    d = await client.workflow.getHandle(id).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  return runOf(d);
}

/** Maps a workflow description (or a visibility listing entry) of a `runJob` run to an execution record. */
export function runOf(d: Omit<WorkflowExecutionInfo, 'raw'>): ExecutionRecord | null {
  const jobName = d.typedSearchAttributes.get(JOB_NAME);
  const service = d.typedSearchAttributes.get(JOB_SERVICE);
  if (d.type !== 'runJob' || !jobName || !service) return null;
  const memo = (d.memo ?? {}) as { triggeredBy?: string; retryOf?: string | null };
  const completedAt = d.closeTime ?? null;
  const startedAt = d.startTime.toISOString();
  return {
    ...startedExecution({
      id: d.workflowId,
      jobName,
      service,
      trigger: (d.typedSearchAttributes.get(JOB_TRIGGER) ?? 'schedule') as Trigger,
      triggeredBy: memo.triggeredBy ?? null,
      retryOf: memo.retryOf ?? null,
      scheduledAt: nominalTimeOf(d.workflowId) ?? startedAt,
      startedAt,
      runId: d.runId,
    }),
    status: STATUS_OF[d.status.name] ?? 'running',
    completedAt: completedAt?.toISOString() ?? null,
    durationMs: completedAt ? completedAt.getTime() - d.startTime.getTime() : null,
    error: d.status.name === 'TERMINATED' ? 'terminated in Temporal' : null,
  };
}

const GRPC_NOT_FOUND = 5;

/** A run's history events, or null once Temporal no longer has the run. */
async function eventsOf(client: Client, id: string) {
  try {
    return (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
  } catch (err) {
    // fetchHistory passes the raw gRPC error through: NOT_FOUND rather than WorkflowNotFoundError
    if (err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND)) return null;
    throw err;
  }
}

/** The input a run was started with (the first history event), or null once Temporal no longer has it. */
export async function inputOf(client: Client, id: string): Promise<RunJobInput | null> {
  const payload = (await eventsOf(client, id))?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<RunJobInput>(payload) : null;
}

/**
 * The last execution record a run handed to its mirror, read from the run's history: what the mirror would hold had
 * every write landed. That is the run's result or its failure's details (runs that write their end row in place),
 * else the input of the `mirrorExecution` child it handed its end row to or of its last `recordExecution` activity
 * (earlier runs). Null when the history has none (or is gone).
 */
export async function recordedExecutionOf(client: Client, id: string): Promise<ExecutionRecord | null> {
  for (const event of [...((await eventsOf(client, id)) ?? [])].reverse()) {
    const activity = event.activityTaskScheduledEventAttributes;
    const child = event.startChildWorkflowExecutionInitiatedEventAttributes;
    const payload =
      event.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0] ??
      event.workflowExecutionFailedEventAttributes?.failure?.applicationFailureInfo?.details?.payloads?.[0] ??
      (activity?.activityType?.name === 'recordExecution'
        ? activity.input?.payloads?.[0]
        : child?.workflowType?.name === 'mirrorExecution'
          ? child.input?.payloads?.[0]
          : undefined);
    const record = payload && defaultPayloadConverter.fromPayload<ExecutionRecord | undefined>(payload);
    // an earlier run ended with no result (null), or failed with no details
    if (record && typeof record === 'object' && record.id === id) return record;
  }
  return null;
}
