import { randomUUID } from 'node:crypto';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
} from '@temporalio/client';
import { scheduleIdOf, startedRunIdOf } from '../jobs/ids';
import { sameDefinition, type JobDefinition, type JobRegistration, type JsonObject } from '../jobs/job';
import type { ExecutionRecord, Trigger } from '../jobs/execution';
import type { RunJobInput } from '../jobs/run-input';
import type { ExecutionView, JobView } from '../jobs/schema';
import type { ServiceRegistry } from '../jobs/services';
import { InvalidJobError, normalizeJob } from '../jobs/validate';
import type { JobStore } from '../store/job-store';
import { ForbiddenError, JobConflictError, JobNotFoundError } from './errors';
import { mayActFor, type Caller } from './identity';
import { definitionOfAction, runSearchAttributes, toScheduleOptions } from './schedule-options';
import type { TemporalLinks } from './temporal';
import { scheduleStateOf, toExecutionView, toJobView, type ScheduleState } from './views';

export interface JobServiceDeps {
  client: Client;
  store: JobStore;
  services: ServiceRegistry;
  taskQueue: string;
  links: TemporalLinks;
}

export type RegisterStatus = 'created' | 'updated' | 'unchanged';

/** Jobs as Temporal Schedules: Temporal first, then the mirror. */
export function createJobService({ client, store, services, taskQueue, links }: JobServiceDeps) {
  /** The schedule and the definition it carries, for a caller allowed to see it. */
  async function load(name: string, caller: Caller): Promise<{ job: JobDefinition; schedule: ScheduleDescription }> {
    let schedule: ScheduleDescription;
    try {
      schedule = await client.schedule.getHandle(scheduleIdOf(name)).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new JobNotFoundError(name);
      throw err;
    }
    const job = definitionOfAction(schedule.action);
    // Another service's job is reported as absent: its existence must not leak.
    if (!job || !mayActFor(caller, job.service)) throw new JobNotFoundError(name);
    return { job, schedule };
  }

  async function view(job: JobDefinition, state: ScheduleState): Promise<JobView> {
    return toJobView(job, state, await store.getJob(job.name), links);
  }

  /**
   * Replaces a changed definition; keeps an admin's pause unless `enabled` itself changed.
   * @returns the outcome and the schedule's state after it.
   */
  async function update(handle: ScheduleHandle, job: JobDefinition): Promise<[RegisterStatus, ScheduleState]> {
    const before = await handle.describe();
    const current = definitionOfAction(before.action);
    if (!current || current.service !== job.service) throw new JobConflictError(job.name);
    if (sameDefinition(current, job)) return ['unchanged', scheduleStateOf(before)];
    const { spec, action, policies, state } = toScheduleOptions(job, taskQueue);
    await handle.update((prev) => ({
      ...prev,
      spec,
      action,
      policies,
      state: current.enabled === job.enabled ? prev.state : { ...prev.state, ...state },
    }));
    return ['updated', scheduleStateOf(await handle.describe())];
  }

  /** Starts one run outside the schedule, under a unique id, so it can carry its own payload and trigger. */
  async function start(
    job: JobDefinition,
    trigger: Trigger,
    caller: Caller,
    retryOf: string | null = null,
  ): Promise<ExecutionView> {
    const input: RunJobInput = { job, trigger, triggeredBy: caller.name, retryOf };
    const handle = await client.workflow.start('runJob', {
      taskQueue,
      workflowId: startedRunIdOf(job.name, trigger, randomUUID()),
      args: [input],
      typedSearchAttributes: runSearchAttributes(job, trigger),
      memo: { triggeredBy: caller.name, retryOf },
    });
    const now = new Date().toISOString();
    const execution: ExecutionRecord = {
      id: handle.workflowId,
      jobName: job.name,
      service: job.service,
      status: 'running',
      trigger,
      triggeredBy: caller.name,
      retryOf,
      scheduledAt: now,
      startedAt: now,
      completedAt: null,
      durationMs: null,
      attempts: 0,
      httpStatus: null,
      error: null,
      response: null,
      workflowId: handle.workflowId,
      runId: handle.firstExecutionRunId,
    };
    return toExecutionView(execution, links);
  }

  return {
    /** Creates or updates a job's schedule; an identical repeat changes nothing in Temporal.
     * @throws {@link InvalidJobError} when the registration, or Temporal, rejects a field. */
    async register(body: JobRegistration, caller: Caller): Promise<{ status: RegisterStatus; job: JobView }> {
      const job = normalizeJob(body, services);
      if (!mayActFor(caller, job.service))
        throw new ForbiddenError('service: a service may only register its own jobs');
      const options = toScheduleOptions(job, taskQueue);
      let outcome: [RegisterStatus, ScheduleState];
      try {
        await client.schedule.create(options);
        // Temporal computes the first run times asynchronously; describing at once would wait for that and cost
        // a second round trip on every registration. GET /api/jobs/:name has them a moment later.
        const now = new Date();
        const state = {
          paused: !job.enabled,
          note: options.state?.note ?? null,
          nextRunTimes: [],
          createdAt: now,
          updatedAt: now,
        };
        outcome = ['created', state];
      } catch (err) {
        if (err instanceof TypeError) throw specError(err);
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        outcome = await update(client.schedule.getHandle(options.scheduleId), job).catch((e: unknown) => {
          throw e instanceof TypeError ? specError(e) : e;
        });
      }
      const [status, state] = outcome;
      await store.upsertJob({
        definition: job,
        enabled: !state.paused,
        createdAt: state.createdAt.toISOString(),
        updatedAt: state.updatedAt.toISOString(),
      });
      return { status, job: await view(job, state) };
    },

    async get(name: string, caller: Caller): Promise<JobView> {
      const { job, schedule } = await load(name, caller);
      return view(job, scheduleStateOf(schedule));
    },

    /** The mirror's jobs, each described by Temporal (paused state and next run times are Temporal's). */
    async list(filter: { service?: string; paused?: boolean }, caller: Caller): Promise<JobView[]> {
      const service = caller.kind === 'service' ? caller.name : filter.service;
      const rows = await store.listJobs({ service });
      const views = await Promise.all(
        rows.map(async (row) => {
          try {
            const schedule = await client.schedule.getHandle(scheduleIdOf(row.definition.name)).describe();
            const job = definitionOfAction(schedule.action) ?? row.definition;
            return toJobView(job, scheduleStateOf(schedule), row, links);
          } catch (err) {
            if (err instanceof ScheduleNotFoundError) return null; // gone from Temporal; the reconciler mends the row
            throw err;
          }
        }),
      );
      return views.filter(
        (v): v is JobView => v !== null && (filter.paused === undefined || v.paused === filter.paused),
      );
    },

    /** Runs the job now; `payload` replaces the registered one for this run only. */
    async trigger(name: string, options: { payload?: JsonObject }, caller: Caller): Promise<ExecutionView> {
      const { job } = await load(name, caller);
      return start(options.payload ? { ...job, payload: options.payload } : job, 'manual', caller);
    },
  };
}

export type JobService = ReturnType<typeof createJobService>;

/** Temporal's own verdict on a spec, e.g. `Minute is not in range [0-59]` or `unknown time zone Mars/Olympus`. */
function specError(err: TypeError): InvalidJobError {
  return new InvalidJobError(
    /time ?zone/i.test(err.message) ? 'timezone' : 'cron',
    `rejected by Temporal: ${err.message}`,
  );
}
