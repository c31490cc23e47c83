/**
 * The fleet view (docs/herds.md): how many jobs fire in each second of a window, and the herds, the seconds in which
 * more jobs fire than Temporal starts in one second. Worked out from the jobs' own plans (jobs/fire-plan.ts, each
 * shifted by its spread, jobs/spread.ts), never by asking Temporal, so ten thousand jobs cost one read of the mirror.
 */
import { CronError } from './cron';
import { firesIn } from './fire-plan';
import { jobCron, MAX_SPREAD_SECONDS, spreadOffsetOf, type JobTiming } from './spread';
import type { JobDefinition } from './job';

/** A herd lists this many of its jobs by name (in the order given); `more` counts the rest. */
export const HERD_JOBS_LISTED = 20;

/** What the fleet view needs of a job that will run (enabled, not paused). */
export type FleetJob = JobTiming & Pick<JobDefinition, 'timezone'>;

/** A second in which more jobs fire than Temporal starts per second. */
export interface Herd {
  /** Epoch seconds. */
  at: number;
  count: number;
  /**
   * How much later than its time the last of them starts, at most: `count / startRate` seconds (one decimal).
   * Herds in consecutive seconds queue behind each other, so their delays add up.
   */
  expectedDelaySeconds: number;
  /** The first {@link HERD_JOBS_LISTED} of its jobs. */
  jobs: string[];
  /** How many more jobs fire in that second. */
  more: number;
}

/** The fleet's fires over [from, to) (epoch seconds). */
export interface FleetFires {
  from: number;
  to: number;
  /** Temporal's scheduled starts per second per namespace, as configured (`SCHEDULER_TEMPORAL_START_RATE`). */
  startRate: number;
  /** The jobs counted; `unplanned`: those whose stored cron is no longer in the dialect (none counted). */
  jobs: number;
  unplanned: number;
  totalFires: number;
  /** Only the seconds in which some job fires, ascending. */
  seconds: { at: number; count: number }[];
  /** Ascending. */
  herds: Herd[];
}

/**
 * How many of `jobs` fire in each second of [from, from + seconds) (epoch seconds), and the herds against
 * `startRate`. Jobs that share a cron, a zone and a spread offset share one list of times, made from the plan their
 * cron and zone share: a spread moves every time of a plan by exactly its offset (jobs/spread.ts, proved across every
 * daylight-saving change in jobs/spread.test.ts), so a fleet of ten thousand jobs on a few crons plans a few times.
 */
export function fleetFires(
  jobs: Iterable<FleetJob>,
  window: { from: number; seconds: number },
  startRate: number,
): FleetFires {
  const { from, seconds } = window;
  const to = from + seconds;
  const counts = new Uint32Array(seconds);
  const names: string[][] = [];
  const plans = new Map<string, readonly number[] | null>();
  const bases = new Map<string, readonly number[] | null>();
  let [counted, unplanned, totalFires] = [0, 0, 0];
  for (const job of jobs) {
    const offset = spreadOffsetOf(job.name, job.spreadSeconds);
    const key = `${job.timezone} ${offset} ${job.cron}`;
    let fires = plans.get(key);
    if (fires === undefined) {
      const baseKey = `${job.timezone} ${job.cron}`;
      let base = bases.get(baseKey);
      if (base === undefined) bases.set(baseKey, (base = planned(job, from - MAX_SPREAD_SECONDS, to)));
      fires = base && base.map((at) => at + offset).filter((at) => at >= from && at < to);
      plans.set(key, fires);
    }
    if (fires === null) {
      unplanned++;
      continue;
    }
    counted++;
    totalFires += fires.length;
    for (const at of fires) {
      const i = at - from;
      counts[i]!++;
      const listed = (names[i] ??= []);
      if (listed.length < HERD_JOBS_LISTED) listed.push(job.name);
    }
  }
  const active: FleetFires['seconds'] = [];
  const herds: Herd[] = [];
  counts.forEach((count, i) => {
    if (count === 0) return;
    active.push({ at: from + i, count });
    if (count <= startRate) return;
    const jobsListed = names[i] ?? [];
    herds.push({
      at: from + i,
      count,
      expectedDelaySeconds: Math.round((count / startRate) * 10) / 10,
      jobs: jobsListed,
      more: count - jobsListed.length,
    });
  });
  return { from, to, startRate, jobs: counted, unplanned, totalFires, seconds: active, herds };
}

/** The fire times of a job's cron without its spread in [from, to), or null for a cron stored before the dialect refused it. */
function planned(job: FleetJob, from: number, to: number): number[] | null {
  try {
    return firesIn(jobCron({ ...job, spreadSeconds: 0 }), job.timezone, from, to);
  } catch (err) {
    if (err instanceof CronError) return null;
    throw err;
  }
}
