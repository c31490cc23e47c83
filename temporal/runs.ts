import { isGrpcServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { defaultPayloadConverter, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { startedExecution, type ExecutionRecord, type Trigger } from '../jobs/execution';
import { nominalTimeOf } from '../jobs/ids';
import type { JobDefinition } from '../jobs/job';
import type { RunJobInput } from '../jobs/run-input';
import { runSearchAttributes } from './schedule-options';
import { WorkflowType } from '../jobs/workflow-types';

/** Runs we start ourselves (manual, retry, backfill), and what their history holds; their rows: ./mirror.ts. */

export interface StartRun {
  job: JobDefinition;
  trigger: Trigger;
  triggeredBy: string;
  retryOf?: string | null;
  workflowId: string;
  /** Backfills reuse a scheduled run's workflow id: an occurrence that already ran is refused, never run twice. */
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
    const handle = await client.workflow.start(WorkflowType.runJob, {
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

const GRPC_NOT_FOUND = 5;

/** A run's history events, or null once Temporal no longer has the run. */
export async function fetchRunHistory(client: Client, id: string) {
  try {
    return (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
  } catch (err) {
    // fetchHistory passes the raw gRPC error through: NOT_FOUND rather than WorkflowNotFoundError
    if (err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND)) return null;
    throw err;
  }
}

/** The input a run was started with (the first history event), or null once Temporal no longer has it. */
export async function fetchRunInput(client: Client, id: string): Promise<RunJobInput | null> {
  const payload = (await fetchRunHistory(client, id))?.[0]?.workflowExecutionStartedEventAttributes?.input
    ?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<RunJobInput>(payload) : null;
}
