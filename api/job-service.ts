import { randomUUID } from 'node:crypto';
import { ScheduleAlreadyRunning, type Client, type ScheduleDescription, type ScheduleHandle } from '@temporalio/client';
import { parseCron } from '../jobs/cron';
import { countFires } from '../jobs/fire-plan';
import { jobNameOfScheduleId, scheduledRunIdOf, scheduleIdOf, startedRunIdOf } from '../jobs/ids';
import { sameDefinition, type JobDefinition, type JobRegistration, type JsonObject } from '../jobs/job';
import type { ExecutionView } from './schemas/executions';
import type { JobView } from './schemas/jobs';
import type { ServiceRegistry } from '../jobs/services';
import { checkPayload, InvalidJobError, normalizeJob } from '../jobs/validate';
import { NO_TIMES, type JobRecord, type JobStore } from '../store/job-store';
import {
  ForbiddenError,
  InvalidRequestError,
  JobConflictError,
  JobDisabledError,
  JobNotFoundError,
  ServiceNotFoundError,
} from './errors';
import { mayActFor, type Caller } from './identity';
import { startRun } from '../temporal/runs';
import {
  adminPausedOf,
  definitionOfAction,
  DISABLED_NOTE,
  followsPlan,
  jobRecordOf,
  stateToApply,
  toScheduleOptions,
  type ScheduleState,
} from '../temporal/schedule-options';
import { type TemporalLinks } from '../temporal/links';
import { JOB_SERVICE } from '../temporal/search-attributes';
import { toExecutionView, toJobView } from './views';
import { scheduleTimesRefresher } from './schedule-times';
import { deleteSchedule, describeSchedule, scheduleMatchingTimes } from '../temporal/schedules';

export interface JobServiceDeps {
  client: Client;
  store: JobStore;
  services: ServiceRegistry;
  taskQueue: string;
  links: TemporalLinks;
}

export type RegisterStatus = 'created' | 'updated' | 'unchanged';

export interface JobFilter {
  service?: string;
  paused?: boolean;
  /** Only jobs named after this one: the previous page's `nextCursor`. */
  after?: string;
  limit: number;
}

export interface JobPage {
  jobs: JobView[];
  nextCursor: string | null;
}

/** What a declared set did (or, with `dryRun`, would do): job names, sorted. */
export interface ServiceJobsDiff {
  dryRun: boolean;
  created: string[];
  updated: string[];
  unchanged: string[];
  /** Jobs an earlier set declared that this one leaves out, and mirror rows whose schedule is gone. */
  removed: string[];
  /** The service's jobs this set leaves out but does not remove: they were registered one at a time. */
  kept: string[];
  /** Why each removed or kept job was. */
  reasons: Record<string, string>;
}

/** A job of a declared set: `service` may be left out, the path names it. */
export type DeclaredJob = Omit<JobRegistration, 'service'> & { service?: string };

export interface BackfillResult {
  executions: ExecutionView[];
  /** Occurrences in the range that already have a run (scheduled or backfilled): not run again. */
  skipped: { scheduledAt: string; executionId: string }[];
}

/** A backfill runs at most this many occurrences; a larger range is a 400. */
export const MAX_BACKFILL = 500;

/** Jobs as Temporal Schedules: Temporal first, then the mirror. */
export function createJobService({ client, store, services, taskQueue, links }: JobServiceDeps) {
  const times = scheduleTimesRefresher(client, store);

  /** The schedule and the definition it carries, for a caller allowed to see it. */
  async function load(name: string, caller: Caller): Promise<{ job: JobDefinition; schedule: ScheduleDescription }> {
    const schedule = await describeSchedule(client, scheduleIdOf(name));
    if (!schedule) throw new JobNotFoundError(name);
    const job = definitionOfAction(schedule.action);
    // Another service's job is reported as absent: its existence must not leak.
    if (!job || !mayActFor(caller, job.service)) throw new JobNotFoundError(name);
    return { job, schedule };
  }

  /** The mirror row of a job's schedule, as Temporal describes it (definition included). */
  function recordOf(schedule: ScheduleDescription): JobRecord {
    const record = jobRecordOf(schedule);
    if (!record) throw new Error('not a job schedule: its action carries no job definition');
    return record;
  }

  /** Writes the job's mirror row; answers the job's view from it. */
  async function mirror(record: JobRecord): Promise<JobView> {
    await store.upsertJob(record);
    return toJobView((await store.getJob(record.definition.name)) ?? record, links);
  }

  /**
   * What registering `job` over the schedule `before` describes would change: null for nothing, else the state to
   * apply (null to keep it). The schedule is paused while the job's service has it disabled or an admin has paused
   * it: an admin's pause and note survive every registration, `enabled` is the service's to change.
   * @throws {@link JobConflictError} when the schedule is another service's job, or not a job.
   */
  function changeOf(
    before: ScheduleDescription,
    job: JobDefinition,
    field = 'name',
  ): { state: ScheduleState | null } | null {
    const current = definitionOfAction(before.action);
    if (!current || current.service !== job.service) throw new JobConflictError(job.name, field);
    const sameQueue = before.action.type === 'startWorkflow' && before.action.taskQueue === taskQueue;
    const state = stateToApply(before.state, current, job);
    // a schedule made before the plan of today (another horizon, or the cron handed to Temporal as written) is replanned
    if (sameQueue && !state && sameDefinition(current, job) && followsPlan(before.spec, job)) return null;
    return { state };
  }

  /** Replaces a changed definition; @returns the outcome and the schedule's mirror row after it. */
  async function update(handle: ScheduleHandle, job: JobDefinition): Promise<[RegisterStatus, JobRecord]> {
    const before = await handle.describe();
    const change = changeOf(before, job);
    if (!change) return ['unchanged', recordOf(before)];
    const { spec, action, policies } = toScheduleOptions(job, taskQueue);
    await handle.update((prev) => ({
      ...prev,
      spec,
      action,
      policies,
      state: change.state ? { ...prev.state, ...change.state } : prev.state,
    }));
    return ['updated', recordOf(await handle.describe())];
  }

  /** Creates or updates one validated job. */
  async function apply(job: JobDefinition): Promise<{ status: RegisterStatus; job: JobView }> {
    const options = toScheduleOptions(job, taskQueue);
    let outcome: [RegisterStatus, JobRecord];
    try {
      await client.schedule.create(options);
      // Temporal computes the first run times asynchronously; describing at once would wait for that and cost
      // a second round trip on every registration. The first read of the job refreshes its row with them.
      const now = new Date().toISOString();
      const record = { definition: job, paused: false, pauseNote: null };
      outcome = ['created', { ...record, times: NO_TIMES, createdAt: now, updatedAt: now, scheduleUpdatedAt: null }];
    } catch (err) {
      if (err instanceof TypeError) throw specError(err);
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      outcome = await update(client.schedule.getHandle(options.scheduleId), job).catch((e: unknown) => {
        throw e instanceof TypeError ? specError(e) : e;
      });
    }
    const [status, record] = outcome;
    return { status, job: await mirror(record) };
  }

  /** Deletes a job's schedule (its runs and their history stay) and its mirror row. */
  async function remove(name: string): Promise<void> {
    await deleteSchedule(client, scheduleIdOf(name));
    await store.deleteJob(name);
  }

  /**
   * An admin's pause or resume, with the admin's note. Resuming a job its service has disabled lifts the admin's
   * pause only: the job stays paused in Temporal until its service registers it with `enabled: true`.
   * @throws {@link JobDisabledError} on resuming a disabled job no admin has paused: nothing to resume.
   */
  async function setPaused(name: string, paused: boolean, note: string, caller: Caller): Promise<JobView> {
    const { job, schedule } = await load(name, caller);
    const handle = client.schedule.getHandle(scheduleIdOf(name));
    const text = `${paused ? 'paused' : 'resumed'} by ${caller.name}${note ? `: ${note}` : ''}`;
    if (paused) await handle.pause(text);
    else if (job.enabled) await handle.unpause(text);
    else if (adminPausedOf(job, schedule.state)) await handle.pause(DISABLED_NOTE);
    else throw new JobDisabledError(job);
    return mirror(recordOf(await handle.describe()));
  }

  return {
    /** Creates or updates a job's schedule; an identical repeat changes nothing in Temporal.
     * @throws {@link InvalidJobError} when the registration, or Temporal, rejects a field. */
    async register(body: JobRegistration, caller: Caller): Promise<{ status: RegisterStatus; job: JobView }> {
      const job = normalizeJob(body, services);
      if (!mayActFor(caller, job.service))
        throw new ForbiddenError('service: a service may only register its own jobs');
      return apply(job);
    },

    /**
     * A service's declared job set: creates and updates those given (each marked `declared`), and removes the
     * service's jobs that an earlier set declared and this one leaves out. Jobs registered one at a time are kept:
     * only `DELETE` removes them. Every body is validated, and every name checked for another owner, before anything
     * changes; a cron that Temporal itself refuses stops the run at that job. With `dryRun`, answers the same diff
     * and changes nothing (Temporal's own verdict on a spec is then not asked).
     * @throws {@link InvalidJobError} on `jobs.<i>.<field>`, e.g. `jobs.0.service` naming another service than the path.
     */
    async replaceServiceJobs(
      service: string,
      bodies: DeclaredJob[],
      caller: Caller,
      { dryRun = false } = {},
    ): Promise<ServiceJobsDiff> {
      if (!mayActFor(caller, service)) throw new ForbiddenError('service: a service may only set its own jobs');
      if (!services.has(service)) throw new ServiceNotFoundError(service);
      const seen = new Set<string>();
      const jobs = await Promise.all(
        bodies.map((body, i) =>
          nested(`jobs.${i}`, (): JobDefinition => {
            if (body.service !== undefined && body.service !== service) {
              throw new InvalidJobError('service', `must be ${service}, the service the path names, or left out`);
            }
            if (seen.has(body.name)) throw new InvalidJobError('name', `${body.name} appears twice`);
            seen.add(body.name);
            return { ...normalizeJob({ ...body, service }, services), declared: true };
          }),
        ),
      );
      // One describe per job, before anything changes: a name another service owns is refused.
      const before = await mapLimited([...jobs.entries()], async ([i, job]) => {
        const schedule = await describeSchedule(client, scheduleIdOf(job.name));
        return schedule && { schedule, change: changeOf(schedule, job, `jobs.${i}.name`) };
      });
      const diff: ServiceJobsDiff = {
        dryRun,
        created: [],
        updated: [],
        unchanged: [],
        removed: [],
        kept: [],
        reasons: {},
      };
      for (const [i, job] of jobs.entries()) {
        const known = before[i];
        const status = dryRun
          ? known
            ? known.change
              ? 'updated'
              : 'unchanged'
            : 'created'
          : (await nested(`jobs.${i}`, () => apply(job))).status;
        diff[status].push(job.name);
      }
      for (const [name, declared] of await serviceJobs(service)) {
        if (seen.has(name)) continue;
        if (declared === false) {
          diff.kept.push(name);
          diff.reasons[name] = KEPT_REASON;
          continue;
        }
        if (!dryRun) await remove(name);
        diff.removed.push(name);
        diff.reasons[name] = declared ? `declared by ${service} in an earlier set, left out of this one` : GONE_REASON;
      }
      for (const list of [diff.created, diff.updated, diff.unchanged, diff.removed, diff.kept]) list.sort();
      return diff;
    },

    /** From the mirror: no call to Temporal, unless the job has no row (yet). */
    async get(name: string, caller: Caller): Promise<JobView> {
      const row = await store.getJob(name);
      if (!row) {
        return toJobView(recordOf((await load(name, caller)).schedule), links);
      }
      // Another service's job is reported as absent: its existence must not leak.
      if (!mayActFor(caller, row.definition.service)) throw new JobNotFoundError(name);
      times.refreshIfStale(row);
      return toJobView(row, links);
    },

    /**
     * For admins: a page of jobs in name order, from the mirror. `nextCursor` is the name to pass as `after` for the
     * next page; null on the last.
     */
    async list(filter: JobFilter): Promise<JobPage> {
      const rows = await store.listJobs({
        service: filter.service,
        paused: filter.paused,
        after: filter.after,
        limit: filter.limit,
      });
      for (const row of rows) times.refreshIfStale(row);
      return {
        jobs: rows.map((row) => toJobView(row, links)),
        nextCursor: rows.length === filter.limit ? rows[rows.length - 1]!.definition.name : null,
      };
    },

    async remove(name: string, caller: Caller): Promise<void> {
      await load(name, caller);
      await remove(name);
    },

    pause: (name: string, note: string, caller: Caller) => setPaused(name, true, note, caller),
    resume: (name: string, note: string, caller: Caller) => setPaused(name, false, note, caller),

    /** Runs the job now, under a unique id; `payload` replaces the registered one for this run only. */
    async trigger(name: string, options: { payload?: JsonObject }, caller: Caller): Promise<ExecutionView> {
      const { job } = await load(name, caller);
      if (options.payload) checkPayload(options.payload, job.method);
      const execution = await startRun(client, taskQueue, {
        job: options.payload ? { ...job, payload: options.payload } : job,
        trigger: 'manual',
        triggeredBy: caller.name,
        workflowId: startedRunIdOf(job.name, 'manual', randomUUID()),
      });
      return toExecutionView(execution!, links);
    },

    /**
     * Runs each occurrence of the job's schedule in [from, to] (both inclusive) once, with `trigger: "backfill"`,
     * paused or not: an admin asked for these occurrences. A backfilled run takes the id the scheduled run of that
     * occurrence has, so an occurrence that already ran is skipped.
     */
    async backfill(name: string, range: { from: string; to: string }, caller: Caller): Promise<BackfillResult> {
      const { job } = await load(name, caller);
      const from = new Date(range.from);
      const to = new Date(range.to);
      if (to < from) throw new InvalidRequestError('to: must not be before from', 'to');
      if (to.getTime() > Date.now()) throw new InvalidRequestError('to: must not be in the future', 'to');
      const times = await scheduleMatchingTimes(client, scheduleIdOf(name), from, to, MAX_BACKFILL + 1);
      if (times.length > MAX_BACKFILL) {
        // counted by the plan the schedule follows: listing them all from Temporal takes a call per 1000
        const count = countFires(parseCron(job.cron), job.timezone, from, to);
        throw new InvalidRequestError(
          `from: the range holds ${count} occurrences; at most ${MAX_BACKFILL} per backfill: split it`,
          'from',
        );
      }
      const result: BackfillResult = { executions: [], skipped: [] };
      // Temporal refuses an id it still keeps; the mirror remembers runs past Temporal's retention too.
      const ids = times.map((time) => scheduledRunIdOf(name, time));
      const mirrored = new Set((await store.getExecutions(ids)).map((e) => e.id));
      for (const [i, time] of times.entries()) {
        const workflowId = ids[i]!;
        const started =
          !mirrored.has(workflowId) &&
          (await startRun(client, taskQueue, {
            job,
            trigger: 'backfill',
            triggeredBy: caller.name,
            workflowId,
            rejectDuplicate: true,
          }));
        if (started) result.executions.push(toExecutionView(started, links));
        else result.skipped.push({ scheduledAt: time.toISOString(), executionId: workflowId });
      }
      return result;
    },
  };

  /**
   * A service's jobs, as the mirror and Temporal's visibility know them (either may lag the other), each with whether
   * its schedule says it was declared; null for a mirror row whose schedule no longer exists. A name only visibility
   * still lists, with neither a schedule nor a row, is already gone and left out.
   */
  async function serviceJobs(service: string): Promise<Map<string, boolean | null>> {
    const rows = new Set((await store.listJobs({ service })).map((row) => row.definition.name));
    const names = new Set(rows);
    for await (const schedule of client.schedule.list({ query: `${JOB_SERVICE.name} = "${service}"` })) {
      names.add(jobNameOfScheduleId(schedule.scheduleId));
    }
    const jobs = new Map<string, boolean | null>();
    await mapLimited([...names], async (name) => {
      const schedule = await describeSchedule(client, scheduleIdOf(name));
      const job = schedule && definitionOfAction(schedule.action);
      if (job) jobs.set(name, job.declared === true);
      else if (rows.has(name)) jobs.set(name, null);
    });
    return jobs;
  }
}

/** Why a declared set leaves a job of its service alone. */
const KEPT_REASON =
  'registered one at a time (POST /api/jobs/register), not declared: a declared set removes only the jobs it ' +
  'declared; DELETE /api/jobs/:name removes this one';
/** Why a declared set removes a mirror row of its service that has no schedule. */
const GONE_REASON = 'its schedule no longer exists in Temporal; its mirror row goes with it';

export type JobService = ReturnType<typeof createJobService>;

/** Runs `fn` on every item, at most `limit` at a time (one describe per job must not flood the frontend). */
async function mapLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, limit = 8): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** Prefixes the field of an InvalidJobError raised for one job of a list. */
async function nested<T>(prefix: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof InvalidJobError ? err.within(prefix) : err;
  }
}

/** Temporal's own verdict on a spec, e.g. `Minute is not in range [0-59]` or `unknown time zone Mars/Olympus`. */
function specError(err: TypeError): InvalidJobError {
  return new InvalidJobError(
    /time ?zone/i.test(err.message) ? 'timezone' : 'cron',
    `rejected by Temporal: ${err.message}`,
  );
}
