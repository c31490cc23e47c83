/**
 * An oracle for fire times across daylight-saving changes, independent of the product's planner: it reads wall
 * clocks through `Intl.DateTimeFormat` (not luxon, not offsets), matches each cron through a predicate written by
 * hand in the test (not the product's parser), and applies the documented policy (docs/cron.md) by watching the
 * wall clock minute by minute: a wall time seen before is a repeat; a jump of more than a minute is a gap.
 */

/** A wall-clock minute. `weekday` 0–6, Sunday 0. */
export interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

/** A cron as the test states it: its text, a predicate on wall clocks, and whether it is a fixed-time job. */
export interface OracleCron {
  cron: string;
  matches: (w: Wall) => boolean;
  /** Fixed-time (minute and hour fields do not start with `*`): repeated times once, skipped times after the gap. */
  fixed: boolean;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall clock in `zone` at an instant (epoch ms), through Intl. */
export function wallAt(zone: string, ms: number): Wall {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formats.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAYS.indexOf(parts.weekday!),
  };
}

/** A wall clock as if it were UTC, in ms: differences between two of them are wall-clock differences. */
const wallMs = (w: Wall) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
const wallOf = (ms: number): Wall => {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    weekday: d.getUTCDay(),
  };
};

/** The walls of every minute in [from, to) (epoch ms, whole minutes), read once and shared by every cron. */
export function wallsOf(zone: string, from: number, to: number): Wall[] {
  const walls: Wall[] = [];
  for (let ms = from; ms < to; ms += 60_000) walls.push(wallAt(zone, ms));
  return walls;
}

/**
 * The instants (epoch ms) in [from + warmUp, to) at which the policy fires `cron`, given the walls of every minute of
 * [from, to). The first `warmUp` ms only teach the oracle which wall times it has seen.
 */
export function oracleFires(cron: OracleCron, walls: readonly Wall[], from: number, warmUp: number): number[] {
  const fires: number[] = [];
  const seen = new Set<number>();
  let previous: number | null = null;
  walls.forEach((wall, i) => {
    const at = from + i * 60_000;
    const now = wallMs(wall);
    const repeat = seen.has(now);
    seen.add(now);
    let fire = cron.matches(wall) && !(cron.fixed && repeat);
    if (!fire && cron.fixed && !cron.matches(wall) && previous !== null && now - previous > 60_000) {
      for (let gap = previous + 60_000; gap < now; gap += 60_000) {
        if (cron.matches(wallOf(gap))) fire = true;
      }
    }
    previous = now;
    if (fire && at >= from + warmUp) fires.push(at);
  });
  return fires;
}

/** The instants (epoch ms, whole minutes) in [from, to) at which the zone's UTC offset changes, through Intl. */
export function offsetChanges(zone: string, from: number, to: number): number[] {
  const offset = (ms: number) => wallMs(wallAt(zone, ms)) - Math.floor(ms / 60_000) * 60_000;
  const changes: number[] = [];
  const step = 6 * 3_600_000;
  for (let ms = from; ms < to; ms += step) {
    if (offset(ms) === offset(ms + step)) continue;
    let [lo, hi] = [ms, ms + step];
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (offset(mid) === offset(lo)) lo = mid;
      else hi = mid;
    }
    changes.push(hi);
  }
  return changes;
}

/** The zone's offset (wall minus UTC, in minutes) just before and at an instant. */
export function offsetsAround(zone: string, at: number): { before: number; after: number } {
  const offset = (ms: number) => (wallMs(wallAt(zone, ms)) - ms) / 60_000;
  return { before: offset(at - 60_000), after: offset(at) };
}
