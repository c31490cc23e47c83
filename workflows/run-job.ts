import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  startChild,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { startedExecution, type ExecutionRecord, type ExecutionStatus } from '../jobs/execution';
import type { ExecutionSinks } from '../jobs/execution-events';
import { mirrorTaskQueueOf, nominalTimeOf } from '../jobs/ids';
import type { JobDefinition } from '../jobs/job';
import { NON_RETRYABLE_CALL_FAILURES, type CallFailureDetails, type RunJobInput } from '../jobs/run-input';

// No attempt limit on purpose: a store outage only delays the rows, it never loses them.
const MIRROR_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m' },
};
/** Runs started before the mirror's own task queue (the bulkhead) write on the run's queue, as they always did. */
const { recordExecution: recordOnRunQueue } = proxyActivities<Activities>(MIRROR_OPTIONS);
/** The mirror writes, on their own task queue, so that writes stuck on the store never take the calls' slots. */
const mirrorWriter = () =>
  proxyActivities<Activities>({ ...MIRROR_OPTIONS, taskQueue: mirrorTaskQueueOf(workflowInfo().taskQueue) })
    .recordExecution;
/**
 * The end row, written by the run's own worker as the run ends: no task queue round trip, no child. Short and tried
 * once: a mirror that cannot take it at once (down, locked, slow) gets it from {@link mirrorExecution} instead, so the
 * run still ends on time. A write that lands after its timeout is harmless: the child writes the same record.
 * A write takes milliseconds; the timeouts keep a run of a job firing every second, on a loaded machine, shorter than
 * its interval while the mirror is locked (a run that outlasts it makes overlap `skip` skip the next occurrence).
 */
const { recordExecution: recordEndInPlace } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '250ms',
  scheduleToCloseTimeout: '400ms', // a worker short of local-activity slots hands the row on too
  retry: { maximumAttempts: 1 },
});
const { executions } = proxySinks<ExecutionSinks>();

/** The job's own policy: a per-attempt timeout and the retries it registered (SPEC §2, §5). */
export function callOptions(job: JobDefinition): ActivityOptions {
  return {
    // The call aborts itself at timeoutSeconds; Temporal's timeout only catches a worker that died mid-call.
    startToCloseTimeout: `${job.timeoutSeconds + 10}s`,
    heartbeatTimeout: '30s',
    retry: {
      maximumAttempts: job.retry.maxAttempts,
      initialInterval: `${job.retry.initialIntervalSeconds}s`,
      backoffCoefficient: job.retry.backoffCoefficient,
      maximumInterval: `${job.retry.maxIntervalSeconds}s`,
      nonRetryableErrorTypes: [...NON_RETRYABLE_CALL_FAILURES],
    },
  };
}

/**
 * Runs started before this change write on their own task queue and wait for their end row to be written. Later
 * ones write on the mirror's queue and hand the end row to {@link mirrorExecution}, so a slow or locked mirror
 * never holds a run open (and never makes a schedule with overlap `skip` skip its next occurrence).
 */
const MIRROR_BULKHEAD = 'mirror-bulkhead';
/** Runs started before this change hand every end row to the child; later ones try a local write first. */
const END_ROW_IN_PLACE = 'end-row-in-place';

/**
 * One execution: mirror its start, call the owning service, write its end row (or hand it to a child workflow when
 * the mirror cannot take it at once), end with it as the result (or the failure's details). The mirror never delays the call, and the run's end by 0.4 s at most.
 */
export async function runJob(input: RunJobInput): Promise<ExecutionRecord> {
  const info = workflowInfo();
  const { job } = input;
  const { callService } = proxyActivities<Activities>(callOptions(job));
  const startedAt = info.runStartTime.toISOString();
  const execution = startedExecution({
    id: info.workflowId,
    jobName: job.name,
    service: job.service,
    trigger: input.trigger,
    triggeredBy: input.triggeredBy,
    retryOf: input.retryOf,
    scheduledAt: scheduledAtOf(info.workflowId, info.searchAttributes) ?? startedAt,
    startedAt,
    runId: info.runId,
  });
  const event = {
    executionId: execution.id,
    job: job.name,
    service: job.service,
    trigger: input.trigger,
    scheduledAt: execution.scheduledAt ?? startedAt,
  };
  executions.started(event);
  const bulkhead = patched(MIRROR_BULKHEAD);
  const recordExecution = bulkhead ? mirrorWriter() : recordOnRunQueue;
  // Not cancellable: a run cancelled by its overlap policy must still get both of its rows.
  const started = CancellationScope.nonCancellable(() => recordExecution(execution));

  let outcome: Partial<ExecutionRecord>;
  let failure: unknown = null;
  try {
    const result = await callService({
      job,
      executionId: execution.id,
      scheduledAt: execution.scheduledAt ?? startedAt,
      trigger: input.trigger,
    });
    outcome = {
      status: 'succeeded',
      attempts: result.attempt,
      httpStatus: result.httpStatus,
      response: result.response,
    };
  } catch (err) {
    failure = err;
    outcome = failureOutcome(err, job);
  }
  const completedAt = new Date();
  const durationMs = completedAt.getTime() - info.runStartTime.getTime();
  executions.ended({
    ...event,
    status: outcome.status ?? 'failed',
    attempts: outcome.attempts ?? null,
    httpStatus: outcome.httpStatus ?? null,
    durationMs,
    error: outcome.error ?? null,
  });
  const ended: ExecutionRecord = { ...execution, ...outcome, completedAt: completedAt.toISOString(), durationMs };
  await CancellationScope.nonCancellable(async () => {
    if (!bulkhead) {
      await started;
      await recordExecution(ended);
      return;
    }
    // A start row still being written is left to finish or not: the end row carries the whole record, and the
    // store never lets a late `running` write undo an end.
    if (patched(END_ROW_IN_PLACE)) {
      const written = await recordEndInPlace(ended).then(
        () => true,
        () => false,
      );
      if (written) return;
    }
    await startChild(mirrorExecution, {
      workflowId: `${execution.id}-mirror`,
      args: [ended],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    }).catch((err: unknown) => {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    });
  });
  // The end row also goes into the run's history, as its result or its failure's details: the reconciler restores a
  // lost row from it (a row written in place leaves no activity input behind).
  if (failure !== null) {
    if (isCancellation(failure)) throw failure;
    // The run stays failed in Temporal too; retrying is the activity's job, not the workflow's.
    throw ApplicationFailure.create({
      message: outcome.error ?? 'call failed',
      type: 'JobRunFailed',
      nonRetryable: true,
      details: [ended],
    });
  }
  return ended;
}

function failureOutcome(err: unknown, job: JobDefinition): Partial<ExecutionRecord> {
  if (isCancellation(err)) return { status: 'cancelled', error: 'cancelled' };
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const details =
    cause instanceof ApplicationFailure ? (cause.details?.[0] as CallFailureDetails | undefined) : undefined;
  const attempts =
    details?.attempt ??
    (err instanceof ActivityFailure && err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' ? job.retry.maxAttempts : 1);
  const timedOut = details ? details.timedOut : cause instanceof Error && cause.name === 'TimeoutFailure';
  const status: ExecutionStatus = timedOut ? 'timed_out' : 'failed';
  return {
    status,
    attempts,
    httpStatus: details?.httpStatus ?? null,
    // the last answer's body: a failed run keeps what the service said, as a succeeded one does
    response: details?.response ?? null,
    error: cause instanceof Error ? cause.message : String(cause),
  };
}

/** A scheduled run's nominal time: Temporal's search attribute, else the time it appends to the workflow id. */
function scheduledAtOf(workflowId: string, attributes: Record<string, unknown> | undefined): string | null {
  const values = attributes?.TemporalScheduledStartTime;
  const value: unknown = Array.isArray(values) ? values[0] : values;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return nominalTimeOf(workflowId);
}

/** Writes a run's end row however long the mirror is unavailable (no attempt limit); the run has already ended. */
export async function mirrorExecution(ended: ExecutionRecord): Promise<void> {
  await mirrorWriter()(ended);
}
