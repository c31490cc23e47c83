import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import type { ExecutionRecord, ExecutionStatus, Trigger } from '../jobs/execution';
import type { ExecutionView } from '../jobs/schema';
import type { ExecutionQuery, JobStore } from '../store/job-store';
import { ExecutionNotFoundError, ForbiddenError, InvalidRequestError } from './errors';
import { mayActFor, type Caller } from './identity';
import { JOB_NAME, JOB_SERVICE, JOB_TRIGGER } from './temporal';
import type { TemporalLinks } from './temporal';
import { toExecutionView } from './views';

export interface ExecutionServiceDeps {
  client: Client;
  store: JobStore;
  links: TemporalLinks;
}

export interface ExecutionPage {
  executions: ExecutionView[];
  /** Pass as `before` for the next, older page; null on the last page. */
  nextCursor: string | null;
}

const STATUS_OF: Record<string, ExecutionStatus> = {
  RUNNING: 'running',
  COMPLETED: 'succeeded',
  FAILED: 'failed',
  TIMED_OUT: 'timed_out',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
};

/** Runs as the mirror records them; Temporal answers for a run whose row is not written yet. */
export function createExecutionService({ client, store, links }: ExecutionServiceDeps) {
  return {
    async get(id: string, caller: Caller): Promise<ExecutionView> {
      const execution = (await store.getExecution(id)) ?? (await fromTemporal(client, id));
      if (!execution || !mayActFor(caller, execution.service)) throw new ExecutionNotFoundError(id);
      return toExecutionView(execution, links);
    },

    async list(query: Omit<ExecutionQuery, 'before'> & { before?: string }, caller: Caller): Promise<ExecutionPage> {
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

async function fromTemporal(client: Client, id: string): Promise<ExecutionRecord | null> {
  let d: WorkflowExecutionDescription;
  try {
    d = await client.workflow.getHandle(id).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  const jobName = d.typedSearchAttributes.get(JOB_NAME);
  const service = d.typedSearchAttributes.get(JOB_SERVICE);
  if (d.type !== 'runJob' || !jobName || !service) return null;
  const memo = (d.memo ?? {}) as { triggeredBy?: string; retryOf?: string | null };
  const completedAt = d.closeTime ?? null;
  return {
    id,
    jobName,
    service,
    status: STATUS_OF[d.status.name] ?? 'running',
    trigger: (d.typedSearchAttributes.get(JOB_TRIGGER) ?? 'schedule') as Trigger,
    triggeredBy: memo.triggeredBy ?? null,
    retryOf: memo.retryOf ?? null,
    scheduledAt: d.startTime.toISOString(),
    startedAt: d.startTime.toISOString(),
    completedAt: completedAt?.toISOString() ?? null,
    durationMs: completedAt ? completedAt.getTime() - d.startTime.getTime() : null,
    attempts: 0,
    httpStatus: null,
    error: null,
    response: null,
    workflowId: id,
    runId: d.runId,
  };
}
