import type { Client } from '@temporalio/client';
import { scheduleIdOf } from '../jobs/ids';
import type { JobRecord, JobStore } from '../store/job-store';
import { jobRecordOf } from '../temporal/schedule-options';
import { describeSchedule } from '../temporal/schedules';
import { upcoming } from './views';

/** Describes in flight at once: reads never wait for them, and Temporal is never flooded by them. */
const CONCURRENCY = 4;

/**
 * Keeps the mirror's next run times current without putting Temporal on the read path. A read that finds a row
 * without them (a job just created) or with some passed asks for a refresh here: the schedule is described in the
 * background and the row rewritten from it (upsertJob orders it against concurrent writes). Each job is queued once
 * however often it is asked for; a failed refresh is left to the next read, or to the reconciler.
 */
export function scheduleTimesRefresher(client: Client, store: JobStore) {
  const queued = new Set<string>();
  const waiting: string[] = [];
  let running = 0;

  async function refreshNow(name: string): Promise<void> {
    const schedule = await describeSchedule(client, scheduleIdOf(name));
    const record = schedule && jobRecordOf(schedule);
    // a schedule found gone was deleted in Temporal itself: its row goes too, as the reconciler would do
    await (record ? store.upsertJob(record) : store.deleteJob(name));
  }

  function pump(): void {
    while (running < CONCURRENCY && waiting.length > 0) {
      const name = waiting.shift()!;
      running++;
      void refreshNow(name)
        .catch(() => undefined)
        .finally(() => {
          running--;
          queued.delete(name);
          pump();
        });
    }
  }

  function refresh(name: string): void {
    if (queued.has(name)) return;
    queued.add(name);
    waiting.push(name);
    pump();
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
