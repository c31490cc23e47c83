import type { JobRegistration, JsonObject } from '../../jobs/job';
import type { Caller } from '../identity';
import { removeJob, setPaused, triggerJob } from './admin-actions';
import { backfillJob } from './backfill';
import type { UseCaseContext } from './context';
import { replaceServiceJobs, type DeclaredJob } from './declared-set';
import { getJob, listJobs, type JobFilter } from './job-reads';
import { registerJob } from './register-job';

/**
 * The job use cases the API's routes call, bound to one context: jobs as Temporal Schedules, Temporal first, then
 * the mirror. Each is documented where it is written (its errors included).
 */
export function createJobUseCases(ctx: UseCaseContext) {
  return {
    /** See {@link registerJob}. */
    register: (body: JobRegistration, caller: Caller) => registerJob(ctx, body, caller),
    /** See {@link replaceServiceJobs}. */
    replaceServiceJobs: (service: string, bodies: DeclaredJob[], caller: Caller, options?: { dryRun?: boolean }) =>
      replaceServiceJobs(ctx, service, bodies, caller, options),
    /** See {@link getJob}. */
    get: (name: string, caller: Caller) => getJob(ctx, name, caller),
    /** See {@link listJobs}. */
    list: (filter: JobFilter) => listJobs(ctx, filter),
    /** See {@link removeJob}. */
    remove: (name: string, caller: Caller) => removeJob(ctx, name, caller),
    /** An admin's pause; see {@link setPaused}. */
    pause: (name: string, note: string, caller: Caller) => setPaused(ctx, name, true, note, caller),
    /** An admin's resume; see {@link setPaused}. */
    resume: (name: string, note: string, caller: Caller) => setPaused(ctx, name, false, note, caller),
    /** See {@link triggerJob}. */
    trigger: (name: string, options: { payload?: JsonObject }, caller: Caller) =>
      triggerJob(ctx, name, options, caller),
    /** See {@link backfillJob}. */
    backfill: (name: string, range: { from: string; to: string }, caller: Caller) =>
      backfillJob(ctx, name, range, caller),
  };
}

export type JobUseCases = ReturnType<typeof createJobUseCases>;
