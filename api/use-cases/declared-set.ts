import type { Static } from '@sinclair/typebox';
import { jobNameOfScheduleId, scheduleIdOf } from '../../jobs/ids';
import type { JobDefinition, JobRegistration } from '../../jobs/job';
import { InvalidJobError, normalizeJob } from '../../jobs/validate';
import { definitionOfAction } from '../../temporal/schedule-options';
import { describeSchedule, LIST_PAGE_SIZE } from '../../temporal/schedules';
import { JOB_SERVICE } from '../../temporal/search-attributes';
import { ForbiddenError, ServiceNotFoundError } from '../errors';
import { mayActFor, type Caller } from '../identity';
import type { DeclaredSetReply } from '../schemas/services';
import { deleteJob, type UseCaseContext } from './context';
import { mapLimited, nested } from './lists';
import { applyJob, changeOf, type RegisterStatus } from './register-job';

/** A job of a declared set: `service` may be left out, the path names it. */
export type DeclaredJob = Omit<JobRegistration, 'service'> & { service?: string };

/**
 * What a declared set did (or, with `dryRun`, would do): job names, sorted. `removed`: the jobs an earlier set
 * declared that this one leaves out, and mirror rows whose schedule is gone; `kept`: the service's jobs this set
 * leaves out but does not remove, since they were registered one at a time; `reasons`: why each removed or kept job was.
 */
type ServiceJobsDiff = Static<typeof DeclaredSetReply>;

/** Why a declared set leaves a job of its service alone. */
const KEPT_REASON =
  'registered one at a time (POST /api/jobs/register), not declared: a declared set removes only the jobs it ' +
  'declared; DELETE /api/jobs/:name removes this one';
/** Why a declared set removes a mirror row of its service that has no schedule. */
const GONE_REASON = 'its schedule no longer exists in Temporal; its mirror row goes with it';

/**
 * A service's declared job set (`PUT /api/services/:service/jobs`): creates and updates those given (each marked
 * `declared`), and removes the service's jobs that an earlier set declared and this one leaves out. Jobs registered
 * one at a time are kept: only `DELETE` removes them. Every body is validated, and every name checked for another
 * owner, before anything changes; a cron that Temporal itself refuses stops the run at that job. With `dryRun`,
 * answers the same diff and changes nothing (Temporal's own verdict on a spec is then not asked).
 * @throws {@link ForbiddenError} when the caller may not act for `service`.
 * @throws {@link ServiceNotFoundError} when `service` is not a known target service.
 * @throws {@link InvalidJobError} on `jobs.<i>.<field>`, e.g. `jobs.0.service` naming another service than the path.
 * @throws {@link JobConflictError} on `jobs.<i>.name` when a name is another service's job.
 */
export async function replaceServiceJobs(
  ctx: UseCaseContext,
  service: string,
  bodies: DeclaredJob[],
  caller: Caller,
  { dryRun = false } = {},
): Promise<ServiceJobsDiff> {
  if (!mayActFor(caller, service)) throw new ForbiddenError('service: a service may only set its own jobs');
  if (!ctx.services.has(service)) throw new ServiceNotFoundError(service);
  const jobs = await declaredJobs(ctx, service, bodies);
  const diff: ServiceJobsDiff = { dryRun, created: [], updated: [], unchanged: [], removed: [], kept: [], reasons: {} };
  for (const [name, status] of await applyAll(ctx, jobs, dryRun)) diff[status].push(name);
  const declared = new Set(jobs.map((job) => job.name));
  for (const [name, earlier] of await fetchServiceJobs(ctx, service, declared)) {
    if (earlier === false) {
      diff.kept.push(name);
      diff.reasons[name] = KEPT_REASON;
      continue;
    }
    if (!dryRun) await deleteJob(ctx, name);
    diff.removed.push(name);
    diff.reasons[name] = earlier ? `declared by ${service} in an earlier set, left out of this one` : GONE_REASON;
  }
  for (const list of [diff.created, diff.updated, diff.unchanged, diff.removed, diff.kept]) list.sort();
  return diff;
}

/** The bodies as validated definitions of `service`, each marked `declared`; a name given twice is refused. */
async function declaredJobs(
  { services, alerts }: UseCaseContext,
  service: string,
  bodies: DeclaredJob[],
): Promise<JobDefinition[]> {
  const seen = new Set<string>();
  return Promise.all(
    bodies.map((body, i) =>
      nested(`jobs.${i}`, (): JobDefinition => {
        if (body.service !== undefined && body.service !== service) {
          throw new InvalidJobError('service', `must be ${service}, the service the path names, or left out`);
        }
        if (seen.has(body.name)) throw new InvalidJobError('name', `${body.name} appears twice`);
        seen.add(body.name);
        return { ...normalizeJob({ ...body, service }, services, alerts.destinations), declared: true };
      }),
    ),
  );
}

/**
 * Applies each job in order (with `dryRun`, only says what applying would do), after one describe per job, before
 * anything changes: a name another service owns is refused. @returns each job's name and status.
 */
async function applyAll(
  ctx: UseCaseContext,
  jobs: JobDefinition[],
  dryRun: boolean,
): Promise<[string, RegisterStatus][]> {
  const before = await mapLimited([...jobs.entries()], async ([i, job]) => {
    const schedule = await describeSchedule(ctx.client, scheduleIdOf(job.name));
    return schedule && { change: changeOf(ctx, schedule, job, `jobs.${i}.name`) };
  });
  const statuses: [string, RegisterStatus][] = [];
  for (const [i, job] of jobs.entries()) {
    const known = before[i];
    const status: RegisterStatus = dryRun
      ? known
        ? known.change
          ? 'updated'
          : 'unchanged'
        : 'created'
      : (await nested(`jobs.${i}`, () => applyJob(ctx, job))).status;
    statuses.push([job.name, status]);
  }
  return statuses;
}

/**
 * A service's jobs other than `except`, as the mirror and Temporal's visibility know them (either may lag the other), each with whether
 * its schedule says it was declared; null for a mirror row whose schedule no longer exists. A name only visibility
 * still lists, with neither a schedule nor a row, is already gone and left out.
 */
async function fetchServiceJobs(
  { client, store }: UseCaseContext,
  service: string,
  except: ReadonlySet<string>,
): Promise<Map<string, boolean | null>> {
  const rows = new Set((await store.listJobs({ service })).map((row) => row.definition.name));
  const names = new Set(rows);
  for await (const schedule of client.schedule.list({
    query: `${JOB_SERVICE.name} = "${service}"`,
    pageSize: LIST_PAGE_SIZE,
  })) {
    names.add(jobNameOfScheduleId(schedule.scheduleId));
  }
  const jobs = new Map<string, boolean | null>();
  // the set's own jobs were described already: only the others are asked about
  await mapLimited(
    [...names].filter((name) => !except.has(name)),
    async (name) => {
      const schedule = await describeSchedule(client, scheduleIdOf(name));
      const job = schedule && definitionOfAction(schedule.action);
      if (job) jobs.set(name, job.declared === true);
      else if (rows.has(name)) jobs.set(name, null);
    },
  );
  return jobs;
}
