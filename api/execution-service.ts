import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { startedRunIdOf, scheduleIdOf } from '../jobs/ids';
import { RETRYABLE_STATUSES, type ExecutionRecord } from '../jobs/execution';
import type { ExecutionView } from './schemas/executions';
import type { ExecutionQuery, JobStore } from '../store/job-store';
import {
  ExecutionConflictError,
  ExecutionNotFoundError,
  ForbiddenError,
  InvalidRequestError,
  JobNotFoundError,
} from './errors';
import { mayActFor, type Caller } from './identity';
import { describeRun, inputOf, startRun } from '../temporal/runs';
import { definitionOfAction } from '../temporal/schedule-options';
import type { TemporalLinks } from '../temporal/links';
import { toExecutionView } from './views';
import { describeSchedule } from '../temporal/schedules';

export interface ExecutionServiceDeps {
  client: Client;
  store: JobStore;
  links: TemporalLinks;
  taskQueue: string;
}

export interface ExecutionPage {
  executions: ExecutionView[];
  /** Pass as `before` for the next, older page; null on the last page. */
  nextCursor: string | null;
}

export type ExecutionFilter = Omit<ExecutionQuery, 'before'> & { before?: string };

/** Runs as the mirror records them; Temporal answers for a run whose row is not written yet. */
export function createExecutionService({ client, store, links, taskQueue }: ExecutionServiceDeps) {
  async function find(id: string, caller: Caller): Promise<ExecutionRecord> {
    const execution = (await store.getExecution(id)) ?? (await describeRun(client, id));
    if (!execution || !mayActFor(caller, execution.service)) throw new ExecutionNotFoundError(id);
    return execution;
  }

  async function list(query: ExecutionFilter, caller: Caller): Promise<ExecutionPage> {
    if (caller.kind === 'service' && query.service && query.service !== caller.name) {
      throw new ForbiddenError('service: a service may only read its own executions');
    }
    const service = caller.kind === 'service' ? caller.name : query.service;
    const rows = await store.listExecutions({ ...query, service, before: decodeCursor(query.before) });
    const last = rows.length === query.limit ? rows[rows.length - 1] : undefined;
    return {
      executions: rows.map((r) => toExecutionView(r, links)),
      nextCursor: last ? encodeCursor(last) : null,
    };
  }

  /** The definition a job's schedule carries now, or null once the job is deleted. */
  async function currentDefinition(jobName: string) {
    const schedule = await describeSchedule(client, scheduleIdOf(jobName));
    return schedule && definitionOfAction(schedule.action);
  }

  return {
    async get(id: string, caller: Caller): Promise<ExecutionView> {
      return toExecutionView(await find(id, caller), links);
    },

    list,

    /** A job's runs; they outlive the job, so a deleted job's owner still reads them. 404 when there is nothing to see. */
    async listOfJob(jobName: string, query: Omit<ExecutionFilter, 'jobName'>, caller: Caller): Promise<ExecutionPage> {
      const page = await list({ ...query, jobName }, caller);
      if (page.executions.length > 0 || query.before) return page;
      const job = await currentDefinition(jobName);
      if (!job || !mayActFor(caller, job.service)) throw new JobNotFoundError(jobName);
      return page;
    },

    /**
     * Runs a finished, unsuccessful execution again as a new one (`trigger: "retry"`, `retryOf`), with the job's
     * current definition and the payload the original run had.
     */
    async retry(id: string, caller: Caller): Promise<ExecutionView> {
      const original = await find(id, caller);
      // A mirrored end is final even while the workflow is still closing; a mirror stuck at `running` (say, a
      // run terminated from Temporal Web) defers to Temporal.
      const status =
        original.status !== 'running' ? original.status : ((await describeRun(client, id))?.status ?? 'running');
      if (!RETRYABLE_STATUSES.includes(status)) {
        throw new ExecutionConflictError(
          `execution ${id} is ${status}: only ${RETRYABLE_STATUSES.join(', ')} runs can be retried`,
        );
      }
      const input = await inputOf(client, id);
      const current = await currentDefinition(original.jobName);
      // a deleted job's run retries as it was
      const job = current ? { ...current, payload: input?.job.payload ?? current.payload } : (input?.job ?? null);
      if (!job) throw new ExecutionConflictError(`execution ${id}: neither its job nor its input is known any more`);
      const execution = await startRun(client, taskQueue, {
        job,
        trigger: 'retry',
        triggeredBy: caller.name,
        retryOf: id,
        workflowId: startedRunIdOf(job.name, 'retry', randomUUID()),
      });
      return toExecutionView(execution!, links);
    },
  };
}

export type ExecutionService = ReturnType<typeof createExecutionService>;

const encodeCursor = (e: ExecutionRecord) => Buffer.from(JSON.stringify([e.startedAt, e.id])).toString('base64url');

function decodeCursor(cursor: string | undefined): ExecutionQuery['before'] {
  if (!cursor) return undefined;
  try {
    const [startedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof startedAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(startedAt))) {
      return { startedAt, id };
    }
  } catch {
    // falls through to the 400 below
  }
  throw new InvalidRequestError('before: not a cursor returned by this API');
}
