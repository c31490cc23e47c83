import type { JobRegistration, JsonObject } from '../../jobs/job';
import type { Caller } from '../identity';
import { removeJob, setPaused, triggerJob } from './admin-actions';
import { backfillJob } from './backfill';
import type { UseCaseContext } from './context';
import { replaceServiceJobs, type DeclaredJob } from './declared-set';
import { fleetFiresOf } from './fleet';
import { getJob, listJobs, type JobFilter } from './job-reads';
import { jobLedger } from './occurrences';
import { registerJob } from './register-job';
import { sharedReads } from './shared-reads';

/**
 * The job use cases the API's routes call, bound to one context: jobs as Temporal Schedules, Temporal first, then
 * the mirror. Each is documented where it is written (its errors included).
 */
export function createJobUseCases(ctx: UseCaseContext) {
  // identical list reads share an answer for a second (polling consoles); every write through the API drops them
  const pages = sharedReads((filter: JobFilter) => listJobs(ctx, filter));
  return {
    /** See {@link registerJob}. */
    register: (body: JobRegistration, caller: Caller) => registerJob(ctx, body, caller),
    /** See {@link replaceServiceJobs}. */
    replaceServiceJobs: (service: string, bodies: DeclaredJob[], caller: Caller, options?: { dryRun?: boolean }) =>
      replaceServiceJobs(ctx, service, bodies, caller, options),
    /** See {@link getJob}. */
    get: (name: string, caller: Caller) => getJob(ctx, name, caller),
    /** See {@link listJobs}; identical filters within a second share one answer ({@link sharedReads}). */
    list: (filter: JobFilter) => pages.read(filter),
    /** Drops the answers {@link list} shares, so that a read after a write sees it (the API calls it on every write). */
    forgetReads: pages.forget,
    /** See {@link fleetFiresOf}. */
    fleetFires: (query: Parameters<typeof fleetFiresOf>[1]) => fleetFiresOf(ctx, query),
    /** See {@link jobLedger}. */
    ledger: (name: string, window: { from?: string; to?: string }, caller: Caller) =>
      jobLedger(ctx, name, window, caller),
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
