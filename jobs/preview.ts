import { describeCron, parseCron } from './cron';
import type { DstMark } from './fire-plan';
import { upcomingFires, zoneOf } from './validate';
import { wallClockOf } from './zone';

/** What `POST /api/schedules/preview` answers: a cron's next fire times, in words, creating nothing. */
export interface SchedulePreview {
  cron: string;
  /** The zone it runs in: `timezone`, else the cron's `CRON_TZ=` prefix, else UTC. */
  timezone: string;
  description: string;
  nextRunTimes: {
    /** ISO-8601 in UTC. */
    at: string;
    /** The same instant on the zone's wall clock, with its offset. */
    wallClock: string;
    /** `shifted`: a fixed time that the spring-forward gap skips, run at the gap's end; `repeated`: a wall time
     * that the fall-back change shows twice. Null otherwise. */
    dst: DstMark;
  }[];
}

/**
 * The next `count` fire times of a cron in a zone as a registered job would have them (the same plan, the same
 * daylight-saving policy), and the cron in words.
 * @throws {@link InvalidJobError} on `cron` or `timezone` as a registration would, including a cron that never fires.
 */
export function previewSchedule(
  input: { cron: string; timezone?: string; count: number },
  now = new Date(),
): SchedulePreview {
  const cron = input.cron.trim();
  const timezone = zoneOf(cron, input.timezone);
  const fires = upcomingFires(parseCron(cron), timezone, now, input.count);
  return {
    cron,
    timezone,
    description: describeCron(cron, timezone),
    nextRunTimes: fires.map(({ at, dst }) => ({
      at: new Date(at * 1000).toISOString(),
      wallClock: wallClockOf(at, timezone),
      dst,
    })),
  };
}
