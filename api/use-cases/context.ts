import type { Client, ScheduleDescription } from '@temporalio/client';
import { scheduleIdOf } from '../../jobs/ids';
import type { AlertSettings } from '../../jobs/alert-rules';
import type { JobDefinition } from '../../jobs/job';
import type { JobView } from '../schemas/jobs';
import type { ServiceRegistry } from '../../jobs/services';
import type { JobRecord, JobStore } from '../../store/job-store';
import type { TemporalLinks } from '../../temporal/links';
import { jobRowOf } from '../../temporal/mirror';
import { definitionOfAction } from '../../temporal/schedule-options';
import { deleteSchedule, describeSchedule } from '../../temporal/schedules';
import type { WatchNotifier } from '../../temporal/watch';
import { JobNotFoundError } from '../errors';
import { mayActFor, type Caller } from '../identity';
import { toJobView } from '../views';
import { scheduleTimesRefresher, type ScheduleTimesRefresher } from './schedule-times';

/** What the use cases are built over: Temporal first, then the mirror. This file also holds the steps they share. */
export interface UseCaseDeps {
  client: Client;
  store: JobStore;
  /** The target services a job may call (`<NAME>_SERVICE_URL`). */
  services: ServiceRegistry;
  /** The task queue job runs are started on. */
  taskQueue: string;
  links: TemporalLinks;
  /**
   * The configured alert destinations (a job may name only these) and default rules (`config.alerts`): the job view
   * shows each job's rules in effect.
   */
  alerts: AlertSettings;
  /** The jobs' alert watches: told of new rules, ended with their job. Absent: none is started (unit tests). */
  watch?: Pick<WatchNotifier, 'rulesChangedLater' | 'stop'>;
  /**
   * `SCHEDULER_SIGNING_SECRET`, when the calls are signed: a service may then report on an async job's run with the
   * call's own signature instead of its token (api/use-cases/reports.ts).
   */
  signingSecret?: string;
  /**
   * Scheduled runs Temporal starts per second in the namespace (config `temporal.startRate`): a second in which more
   * jobs fire is a herd (api/use-cases/fleet.ts).
   */
  startRate: number;
  /** The admin console's address (`…/admin/`, with its slash), which alerts link to (config `alerts.consoleUrl`). */
  consoleUrl: string;
}

/** The deps, and the one refresher of next run times that every read shares. */
export interface UseCaseContext extends UseCaseDeps {
  times: ScheduleTimesRefresher;
}

export const createUseCaseContext = (deps: UseCaseDeps): UseCaseContext => ({
  ...deps,
  times: scheduleTimesRefresher(deps.client, deps.store),
});

/**
 * The job named `name` as its schedule carries it, and the schedule, for a caller allowed to see it.
 * @throws {@link JobNotFoundError} when there is no such job, or it is another service's: its existence must not leak.
 */
export async function loadJob(
  { client }: UseCaseContext,
  name: string,
  caller: Caller,
): Promise<{ job: JobDefinition; schedule: ScheduleDescription }> {
  const schedule = await describeSchedule(client, scheduleIdOf(name));
  if (!schedule) throw new JobNotFoundError(name);
  const job = definitionOfAction(schedule.action);
  if (!job || !mayActFor(caller, job.service)) throw new JobNotFoundError(name);
  return { job, schedule };
}

/**
 * The mirror row of a job's schedule, as Temporal describes it (temporal/mirror.ts).
 * @throws Error when the schedule is not a job's: callers pass only schedules they found to be one.
 */
export function jobRowOfSchedule(schedule: ScheduleDescription): JobRecord {
  const row = jobRowOf(schedule);
  if (!row) throw new Error('not a job schedule: its action carries no job definition');
  return row;
}

/** Writes a job's mirror row; answers the job's view from the row the store then has (counters, last run). */
export async function writeJobRow(ctx: UseCaseContext, row: JobRecord): Promise<JobView> {
  await ctx.store.upsertJob(row);
  return toJobView((await ctx.store.getJob(row.definition.name)) ?? row, ctx);
}

/** Deletes a job's schedule (its runs and their history stay) and its mirror row; a job already gone is fine. */
export async function deleteJob({ client, store, watch }: UseCaseContext, name: string): Promise<void> {
  await deleteSchedule(client, scheduleIdOf(name));
  await store.deleteJob(name);
  await watch?.stop(name);
}
