import type { Client } from '@temporalio/client';
import { scheduleIdOf } from '../jobs/ids';
import type { JobRecord, JobStore } from '../store/job-store';
import { jobRecordOf } from '../temporal/schedule-options';
import { describeSchedule } from '../temporal/schedules';
import { upcoming } from './views';

/** Describes in flight at once: reads never wait for them, and Temporal is never flooded by them. */
const MAX_IN_FLIGHT = 8;

/**
 * Keeps the mirror's next run times current without putting Temporal on the read path. A read that finds a row's
 * next run times passed (or none known yet) answers from the row and asks for a refresh here: the schedule is
 * described in the background and the row rewritten from it (upsertJob orders it against concurrent writes). One
 * refresh per job at a time; a failed one is left to the next read, or to the reconciler.
 */
export function scheduleTimesRefresher(client: Client, store: JobStore) {
  const inFlight = new Set<string>();

  function refresh(name: string): void {
    if (inFlight.has(name) || inFlight.size >= MAX_IN_FLIGHT) return;
    inFlight.add(name);
    void describeSchedule(client, scheduleIdOf(name))
      .then((schedule) => {
        const record = schedule && jobRecordOf(schedule);
        // a schedule found gone was deleted in Temporal itself: its row goes too, as the reconciler would do
        return record ? store.upsertJob(record) : store.deleteJob(name);
      })
      .catch(() => undefined)
      .finally(() => inFlight.delete(name));
  }

  return {
    refresh,
    refreshIfStale(row: JobRecord, now = Date.now()): void {
      const { nextRunTimes } = row.times;
      if (nextRunTimes.length === 0 || upcoming(row.times, now).length < nextRunTimes.length) {
        refresh(row.definition.name);
      }
    },
  };
}
