import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  defineSignal,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  proxySinks,
  setHandler,
  startChild,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { startedExecution, type ExecutionRecord, type ExecutionStatus } from '../jobs/execution';
import type { ExecutionSinks, ExecutionStarted } from '../jobs/execution-events';
import { mirrorTaskQueueOf, nominalTimeOf } from '../jobs/ids';
import { attemptSeconds, completionOf, type JobDefinition } from '../jobs/job';
import { RunSignal } from '../jobs/workflow-types';
import { NON_RETRYABLE_CALL_FAILURES, type CallFailureDetails, type RunJobInput } from '../jobs/run-input';

/*
 * Workflow version 1.0 (docs/workflow-versions.md). A change to what this file asks of Temporal, or in which order,
 * is a new version: it goes behind `patched()`, with recorded histories of both versions (test/replay.int.test.ts).
 */

/**
 * The mirror writes, on their own task queue, so that writes stuck on the store never take the calls' slots. No
 * attempt limit on purpose: a store outage only delays the rows, it never loses them.
 */
const mirrorWriter = () =>
  proxyActivities<Activities>({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', maximumInterval: '1m' },
    taskQueue: mirrorTaskQueueOf(workflowInfo().taskQueue),
  }).recordExecution;
/**
 * The end row, written by the run's own worker as the run ends: no task queue round trip, no child. Short and tried
 * once: a mirror that cannot take it at once (down, locked, slow) gets it from {@link mirrorExecution} instead, so the
 * run still ends on time. A write that lands after its timeout is harmless: the child writes the same record.
 * A write takes milliseconds; the timeouts keep a run of a job firing every second, on a loaded machine, shorter than
 * its interval while the mirror is locked (a run that outlasts it makes overlap `skip` skip the next occurrence).
 */
const { recordExecution: recordEndInPlace } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '250ms', // activities/mirror.ts's IN_PLACE_BUDGET_MS
  scheduleToCloseTimeout: '400ms', // a worker short of local-activity slots hands the row on too
  retry: { maximumAttempts: 1 },
});
const { executions } = proxySinks<ExecutionSinks>();

/** Who asked to cancel the run: `{by}`, sent by the API just before it cancels the run. */
const cancelRequested = defineSignal<[{ by: string }]>(RunSignal.cancelRequested);

/**
 * The job's own policy: a per-attempt timeout and the retries it registered (SPEC §2, §5). An async job's attempt
 * lasts until its service reports the end (docs/long-running.md): its call's timeout plus its completion timeout,
 * and its heartbeat timeout when it has one; the worker heartbeats only while the call itself is open.
 */
function callOptions(job: JobDefinition): ActivityOptions {
  const completion = completionOf(job);
  const timeouts: Pick<ActivityOptions, 'startToCloseTimeout' | 'heartbeatTimeout'> = completion.async
    ? {
        startToCloseTimeout: `${attemptSeconds(job)}s`,
        heartbeatTimeout: completion.heartbeatTimeoutSeconds ? `${completion.heartbeatTimeoutSeconds}s` : undefined,
      }
    : // The call aborts itself at timeoutSeconds; Temporal's timeout only catches a worker that died mid-call.
      { startToCloseTimeout: `${job.timeoutSeconds + 10}s`, heartbeatTimeout: '30s' };
  return {
    ...timeouts,
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
 * One execution: mirror its start, call the owning service, write its end row (or hand it to a child workflow when
 * the mirror cannot take it at once), end with it as the result (or the failure's details). The mirror never delays
 * the call, and delays the run's end by 0.4 s at most.
 * @throws an `ApplicationFailure` of type `JobRunFailed` (non-retryable, the end record as its details) when the call
 *   failed, or the cancellation itself when the run was cancelled.
 */
export async function runJob(input: RunJobInput): Promise<ExecutionRecord> {
  let cancelledBy: string | null = null;
  setHandler(cancelRequested, ({ by }) => void (cancelledBy ??= by));
  const execution = recordStart(input);
  const call = await callTheService(input, execution, () => cancelledBy);
  const ended = await recordEnd(execution, call);
  return endWith(ended, call);
}

/** What the call came to: the end row's outcome fields, and what it threw (null when it succeeded). */
interface CallOutcome {
  fields: Partial<ExecutionRecord>;
  failure: unknown;
}

/**
 * The run as it starts: logged and counted, and its `running` row sent to the mirror's queue without waiting for
 * it. Not cancellable: a run cancelled by its overlap policy must still get both of its rows. A start row still
 * being written as the run ends is left to finish or not: the end row carries the whole record, and the store never
 * lets a late `running` write undo an end.
 */
function recordStart(input: RunJobInput): ExecutionRecord {
  const info = workflowInfo();
  const { job } = input;
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
  executions.started(startEventOf(execution));
  const recordExecution = mirrorWriter();
  void CancellationScope.nonCancellable(() => recordExecution(execution));
  return execution;
}

/**
 * Calls the owning service under the job's own policy; a failure or a cancellation is returned, not thrown. A
 * cancellation names who asked for it, when an admin did (`cancelledBy`).
 */
async function callTheService(
  input: RunJobInput,
  execution: ExecutionRecord,
  cancelledBy: () => string | null,
): Promise<CallOutcome> {
  const { job } = input;
  const { callService } = proxyActivities<Activities>(callOptions(job));
  try {
    const result = await callService({
      job,
      executionId: execution.id,
      scheduledAt: execution.scheduledAt ?? execution.startedAt,
      trigger: input.trigger,
    });
    return {
      fields: {
        status: 'succeeded',
        attempts: result.attempt,
        httpStatus: result.httpStatus,
        response: result.response,
      },
      failure: null,
    };
  } catch (err) {
    return { fields: failureOutcome(err, job, cancelledBy()), failure: err };
  }
}

/**
 * The run as it ends: logged and counted, and its end row written in place, or handed to {@link mirrorExecution}
 * when the mirror cannot take it at once. Not cancellable, as its start.
 * @returns the end record: the start's fields, the call's outcome, `completedAt` and `durationMs` (workflow time).
 */
async function recordEnd(execution: ExecutionRecord, call: CallOutcome): Promise<ExecutionRecord> {
  const { fields } = call;
  const completedAt = new Date();
  const durationMs = completedAt.getTime() - workflowInfo().runStartTime.getTime();
  executions.ended({
    ...startEventOf(execution),
    status: fields.status ?? 'failed',
    attempts: fields.attempts ?? null,
    httpStatus: fields.httpStatus ?? null,
    durationMs,
    error: fields.error ?? null,
  });
  const ended: ExecutionRecord = { ...execution, ...fields, completedAt: completedAt.toISOString(), durationMs };
  await CancellationScope.nonCancellable(async () => {
    if (!(await writeEndRowInPlace(ended))) await handEndRowToChild(ended);
  });
  return ended;
}

/** Tries the end row once as a local activity (250 ms, 400 ms with queueing); false when it did not land in time. */
function writeEndRowInPlace(ended: ExecutionRecord): Promise<boolean> {
  return recordEndInPlace(ended).then(
    () => true,
    () => false,
  );
}

/**
 * Starts {@link mirrorExecution} with the end row and does not wait for it (parent-close policy ABANDON): the run
 * ends now, the child writes the row whenever the mirror takes it. A child already started (its id is the run's
 * own, `<execution id>-mirror`) already has the row.
 */
async function handEndRowToChild(ended: ExecutionRecord): Promise<void> {
  await startChild(mirrorExecution, {
    workflowId: `${ended.id}-mirror`,
    args: [ended],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  }).catch((err: unknown) => {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  });
}

/**
 * Ends the run with its end record, which also goes into the run's history, as its result or its failure's
 * details: the reconciler restores a lost row from it (a row written in place leaves no activity input behind).
 * A failed call fails the run in Temporal too, and for good: retrying is the activity's job, not the workflow's.
 */
function endWith(ended: ExecutionRecord, call: CallOutcome): ExecutionRecord {
  if (call.failure === null) return ended;
  if (isCancellation(call.failure)) throw call.failure;
  throw ApplicationFailure.create({
    message: call.fields.error ?? 'call failed',
    type: 'JobRunFailed',
    nonRetryable: true,
    details: [ended],
  });
}

/** What a run's start and end log lines and metrics carry of it. */
function startEventOf(execution: ExecutionRecord): ExecutionStarted {
  return {
    executionId: execution.id,
    job: execution.jobName,
    service: execution.service,
    trigger: execution.trigger,
    scheduledAt: execution.scheduledAt ?? execution.startedAt,
  };
}

function failureOutcome(err: unknown, job: JobDefinition, cancelledBy: string | null): Partial<ExecutionRecord> {
  if (isCancellation(err))
    return { status: 'cancelled', error: cancelledBy ? `cancelled by ${cancelledBy}` : 'cancelled' };
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
