import type { Client } from '@temporalio/client';
import type { JobRecord, JobStore } from '../../store/job-store';
import { refreshJobRow } from '../../temporal/mirror';
import { upcoming } from '../views';
import { concurrencyLimit } from './lists';

/** Describes in flight at once: reads never wait for them, and Temporal is never flooded by them. */
const CONCURRENCY = 4;

/**
 * Keeps the mirror's next run times current without putting Temporal on the read path. A read that finds a row
 * without them (a job just created) or with some passed asks for a refresh here: the schedule is described in the
 * background and the row rewritten from it (upsertJob orders it against concurrent writes). Each job is queued once
 * however often it is asked for; a failed refresh is left to the next read, or to the reconciler.
 */
export function scheduleTimesRefresher(client: Client, store: JobStore): ScheduleTimesRefresher {
  const queued = new Set<string>();
  const limited = concurrencyLimit(CONCURRENCY);

  function refresh(name: string): void {
    if (queued.has(name)) return;
    queued.add(name);
    void limited(() => refreshJobRow(client, store, name))
      .catch(() => undefined)
      .finally(() => queued.delete(name));
  }

  return {
    refreshIfStale(row: JobRecord, now = Date.now()): void {
      const { nextRunTimes } = row.times;
      if (nextRunTimes.length === 0 || upcoming(row.times, now).length < nextRunTimes.length) {
        refresh(row.definition.name);
      }
    },
  };
}

/** See {@link scheduleTimesRefresher}. */
export interface ScheduleTimesRefresher {
  /** Queues a refresh of the job's row when it has no next run times, or some already passed; never waits for it. */
  refreshIfStale(row: JobRecord, now?: number): void;
}
