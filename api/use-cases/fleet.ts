import type { Static } from '@sinclair/typebox';
import { fleetFires, type FleetJob } from '../../jobs/fleet';
import type { JobStore } from '../../store/job-store';
import type { FleetFiresSchema } from '../schemas/fleet';
import type { UseCaseContext } from './context';

/** The fleet view's answer. */
type FleetFiresView = Static<typeof FleetFiresSchema>;

/** Rows per read of the mirror: only each page's definitions are kept, not 10,000 whole rows at once. */
const PAGE = 1000;

/**
 * How many jobs fire in each second of [from, from + seconds) (`from`: ISO-8601, default now, rounded up to a whole
 * second), and the herds against Temporal's start rate (`ctx.startRate`; jobs/fleet.ts). From the mirror's job rows
 * and the jobs' own plans (their spread included), never one describe per job: only jobs that will run count (their
 * service has them enabled and no admin has paused them). `service`: only that service's jobs.
 */
export async function fleetFiresOf(
  ctx: Pick<UseCaseContext, 'store' | 'startRate'>,
  query: { from?: string; seconds: number; service?: string },
  now = Date.now(),
): Promise<FleetFiresView> {
  const from = Math.ceil((query.from ? Date.parse(query.from) : now) / 1000);
  const jobs = await runningJobs(ctx.store, query.service);
  const fires = fleetFires(jobs, { from, seconds: query.seconds }, ctx.startRate);
  const iso = (at: number) => new Date(at * 1000).toISOString();
  return {
    ...fires,
    from: iso(fires.from),
    to: iso(fires.to),
    seconds: fires.seconds.map(({ at, count }) => ({ at: iso(at), count })),
    herds: fires.herds.map((herd) => ({ ...herd, at: iso(herd.at) })),
  };
}

/** Every job that will run, in name order, read page by page. */
async function runningJobs(store: JobStore, service: string | undefined): Promise<FleetJob[]> {
  const jobs: FleetJob[] = [];
  for (let after: string | undefined; ;) {
    const rows = await store.listJobs({ service, paused: false, after, limit: PAGE });
    for (const { definition } of rows) if (definition.enabled) jobs.push(definition);
    if (rows.length < PAGE) return jobs;
    after = rows[rows.length - 1]!.definition.name;
  }
}
