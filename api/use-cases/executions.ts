import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { startedWorkflowIdOf, scheduleIdOf } from '../../jobs/ids';
import { UNSUCCESSFUL_STATUSES, type ExecutionRecord } from '../../jobs/execution';
import type { ExecutionPageSchema, ExecutionView } from '../schemas/executions';
import type { ExecutionQuery, RetryRun } from '../../store/job-store';
import { fetchRunRow, fetchRunStatus } from '../../temporal/mirror';
import { describeRunCall } from '../../temporal/reports';
import { fetchRunInput, startRun } from '../../temporal/runs';
import { definitionOfAction } from '../../temporal/schedule-options';
import { describeSchedule } from '../../temporal/schedules';
import { ExecutionConflictError, ExecutionNotFoundError, ForbiddenError, JobNotFoundError } from '../errors';
import { mayActFor, type Caller } from '../identity';
import { toExecutionView } from '../views';
import type { UseCaseContext } from './context';
import { decodeCursor, encodeCursor } from './cursor';

/** A page of runs, newest first; pass `nextCursor` as `before` for the next, older page (null on the last). */
type ExecutionPage = Static<typeof ExecutionPageSchema>;

type ExecutionFilter = Omit<ExecutionQuery, 'before'> & { before?: string };

/** The execution use cases the API's routes call, bound to one context: runs as the mirror records them. */
export function createExecutionUseCases(ctx: UseCaseContext) {
  return {
    /** See {@link getExecution}. */
    get: (id: string, caller: Caller) => getExecution(ctx, id, caller),
    /** See {@link listExecutions}. */
    list: (query: ExecutionFilter, caller: Caller) => listExecutions(ctx, query, caller),
    /** See {@link listJobExecutions}. */
    listOfJob: (jobName: string, query: Omit<ExecutionFilter, 'jobName'>, caller: Caller) =>
      listJobExecutions(ctx, jobName, query, caller),
    /** See {@link retryExecution}. */
    retry: (id: string, caller: Caller) => retryExecution(ctx, id, caller),
  };
}

export type ExecutionUseCases = ReturnType<typeof createExecutionUseCases>;

/**
 * One run, from the mirror; Temporal answers for a run whose row is not written yet. A running one shows its call as
 * Temporal holds it (`call`: attempt, last heartbeat, progress).
 * @throws {@link ExecutionNotFoundError} when there is no such run, or the caller may not see it.
 */
export async function getExecution(ctx: UseCaseContext, id: string, caller: Caller): Promise<ExecutionView> {
  const execution = await loadExecution(ctx, id, caller);
  const view = toExecutionView(execution, ctx.links, await ctx.store.listRetriesOf([id]));
  if (execution.status !== 'running') return view;
  const call = (await describeRunCall(ctx.client, id))?.call;
  if (!call) return view;
  const { attempt, state, lastHeartbeatAt, progress, lastFailure } = call;
  return {
    ...view,
    call: { attempt, state, lastHeartbeatAt: lastHeartbeatAt?.toISOString() ?? null, progress, lastFailure },
  };
}

/**
 * A page of runs, newest first, from the mirror; a service reads only its own.
 * @throws {@link ForbiddenError} on `service` when a service asks for another's runs.
 * @throws InvalidRequestError on `before` when it is not a cursor this API returned (api/use-cases/cursor.ts).
 */
async function listExecutions(
  { store, links }: UseCaseContext,
  query: ExecutionFilter,
  caller: Caller,
): Promise<ExecutionPage> {
  if (caller.kind === 'service' && query.service && query.service !== caller.name) {
    throw new ForbiddenError('service: a service may only read its own executions');
  }
  const service = caller.kind === 'service' ? caller.name : query.service;
  const rows = await store.listExecutions({ ...query, service, before: positionOf(query.before) });
  const last = rows.length === query.limit ? rows[rows.length - 1] : undefined;
  const retries = new Map<string, RetryRun[]>();
  for (const retry of await store.listRetriesOf(rows.map((r) => r.id))) {
    retries.set(retry.retryOf, [...(retries.get(retry.retryOf) ?? []), retry]);
  }
  return {
    executions: rows.map((r) => toExecutionView(r, links, retries.get(r.id))),
    nextCursor: last ? encodeCursor(last.startedAt, last.id) : null,
  };
}

/**
 * A job's runs; they outlive the job, so a deleted job's owner still reads them.
 * @throws {@link JobNotFoundError} when there is nothing to see: no run, and no job the caller may see.
 */
async function listJobExecutions(
  ctx: UseCaseContext,
  jobName: string,
  query: Omit<ExecutionFilter, 'jobName'>,
  caller: Caller,
): Promise<ExecutionPage> {
  const page = await listExecutions(ctx, { ...query, jobName }, caller);
  if (page.executions.length > 0 || query.before) return page;
  const job = await fetchCurrentDefinition(ctx, jobName);
  if (!job || !mayActFor(caller, job.service)) throw new JobNotFoundError(jobName);
  return page;
}

/**
 * Runs a finished, unsuccessful execution again as a new one (`trigger: "retry"`, `retryOf`), with the job's
 * current definition and the payload the original run had (a deleted job's run retries as it was).
 * @returns the new run as it stands at its start.
 * @throws {@link ExecutionNotFoundError} when there is no such run, or the caller may not see it.
 * @throws {@link ExecutionConflictError} when the run is not in a retryable status, or neither its job nor its input
 * is known any more.
 */
async function retryExecution(ctx: UseCaseContext, id: string, caller: Caller): Promise<ExecutionView> {
  const original = await loadExecution(ctx, id, caller);
  const status = await fetchRunStatus(ctx.client, original);
  if (!UNSUCCESSFUL_STATUSES.includes(status)) {
    throw new ExecutionConflictError(
      `execution ${id} is ${status}: only ${UNSUCCESSFUL_STATUSES.join(', ')} runs can be retried`,
    );
  }
  const input = await fetchRunInput(ctx.client, id);
  const current = await fetchCurrentDefinition(ctx, original.jobName);
  const job = current ? { ...current, payload: input?.job.payload ?? current.payload } : (input?.job ?? null);
  if (!job) throw new ExecutionConflictError(`execution ${id}: neither its job nor its input is known any more`);
  const execution = await startRun(ctx.client, ctx.taskQueue, {
    job,
    trigger: 'retry',
    triggeredBy: caller.name,
    retryOf: id,
    workflowId: startedWorkflowIdOf(job.name, 'retry', randomUUID()),
  });
  return toExecutionView(execution!, ctx.links);
}

/**
 * The run `id` for a caller allowed to see it: its mirror row, else its row as Temporal describes it.
 * @throws {@link ExecutionNotFoundError} when there is no such run, or it is another service's.
 */
export async function loadExecution(
  { client, store }: UseCaseContext,
  id: string,
  caller: Caller,
): Promise<ExecutionRecord> {
  const execution = (await store.getExecution(id)) ?? (await fetchRunRow(client, id));
  if (!execution || !mayActFor(caller, execution.service)) throw new ExecutionNotFoundError(id);
  return execution;
}

/** The definition a job's schedule carries now, or null once the job is deleted. */
async function fetchCurrentDefinition({ client }: UseCaseContext, jobName: string) {
  const schedule = await describeSchedule(client, scheduleIdOf(jobName));
  return schedule && definitionOfAction(schedule.action);
}

/** The `before` position of a list of runs. */
function positionOf(cursor: string | undefined): ExecutionQuery['before'] {
  const position = decodeCursor(cursor);
  return position && { startedAt: position.at, id: position.id };
}
