import { describeCron } from './cron';
import { gapSkips, type DstMark } from './fire-plan';
import { jobCron, spreadOffsetOf, spreadProblem } from './spread';
import { InvalidJobError, upcomingFires, zoneOf } from './validate';
import { wallClockOf } from './zone';

/** What `POST /api/schedules/preview` answers: a cron's next fire times, in words, creating nothing. */
export interface SchedulePreview {
  cron: string;
  /** The zone it runs in: `timezone`, else the cron's `CRON_TZ=` prefix, else UTC. */
  timezone: string;
  description: string;
  /** Seconds after each time the cron names: the offset `name` and `spreadSeconds` give; 0 without them. */
  spreadOffsetSeconds: number;
  nextRunTimes: {
    /** ISO-8601 in UTC. */
    at: string;
    /** The same instant on the zone's wall clock, with its offset. */
    wallClock: string;
    /** `shifted`: a fixed time that the spring-forward gap skips, run at the gap's end; `repeated`: a wall time
     * that the fall-back change shows twice. Null otherwise. */
    dst: DstMark;
  }[];
  /**
   * Wall times up to the last of `nextRunTimes` that never show because the clocks spring forward over them, and
   * that this (wildcard) job therefore skips; each as a wall clock without offset.
   */
  skipped: string[];
}

/**
 * The next `count` fire times of a cron in a zone as a registered job would have them (the same plan, the same
 * daylight-saving policy, and with `name` and `spreadSeconds` the same spread offset), and the cron in words.
 * @throws {@link InvalidJobError} on `cron` or `timezone` as a registration would, including a cron that never fires;
 * on `spreadSeconds` as a registration would; on `name` when `spreadSeconds` is given without it (the offset comes
 * from the name).
 */
export function previewSchedule(
  input: { cron: string; timezone?: string; count: number; name?: string; spreadSeconds?: number },
  now = new Date(),
): SchedulePreview {
  const cron = input.cron.trim();
  const timezone = zoneOf(cron, input.timezone);
  const spreadSeconds = input.spreadSeconds ?? 0;
  const problem = spreadProblem(cron, spreadSeconds);
  if (problem !== null) throw new InvalidJobError('spreadSeconds', problem);
  if (spreadSeconds > 0 && input.name === undefined) {
    throw new InvalidJobError('name', "is needed with spreadSeconds: the job's offset is derived from its name");
  }
  const name = input.name ?? '';
  const parsed = jobCron({ name, cron, spreadSeconds });
  const fires = upcomingFires(parsed, timezone, now, input.count);
  const last = new Date((fires[fires.length - 1]!.at + 1) * 1000);
  return {
    cron,
    timezone,
    description: describeCron(cron, timezone),
    spreadOffsetSeconds: spreadOffsetOf(name, spreadSeconds),
    nextRunTimes: fires.map(({ at, dst }) => ({
      at: new Date(at * 1000).toISOString(),
      wallClock: wallClockOf(at, timezone),
      dst,
    })),
    skipped: gapSkips(parsed, timezone, now, last, now).map((wall) => new Date(wall * 1000).toISOString().slice(0, 19)),
  };
}
