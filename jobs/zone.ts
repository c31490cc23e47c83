import { DateTime, IANAZone } from 'luxon';

/** A stretch of time in which a zone's UTC offset does not change. Times in epoch minutes, `[start, end)`. */
export interface OffsetPeriod {
  start: number;
  end: number;
  /** Local time minus UTC, in minutes (Europe/Berlin in winter: 60). */
  offset: number;
}

/** Sampling step when looking for offset changes: no zone changes its offset twice within six hours. */
const PROBE_MINUTES = 6 * 60;
const cache = new Map<string, OffsetPeriod[]>();

/** Whether `zone` is an IANA time zone name that this runtime knows (luxon, over ICU's tz data). */
export function isKnownZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/**
 * The zone's UTC offsets over `[from, to)` (epoch minutes) as consecutive periods, the first starting at `from` and
 * the last ending at `to`. Offsets come from luxon (ICU's tz data); each change is found by sampling every six hours
 * and bisecting to the minute. Cached per zone and span.
 * @throws Error if the zone is unknown, or changes its offset at an instant that is not a whole minute (no zone
 * does so after 1972).
 */
export function offsetPeriods(zone: string, from: number, to: number): readonly OffsetPeriod[] {
  const key = `${zone} ${from} ${to}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const tz = IANAZone.create(zone);
  if (!tz.isValid) throw new Error(`unknown time zone ${zone}`);
  const offsetAt = (minute: number) => tz.offset(minute * 60_000);
  const periods: OffsetPeriod[] = [];
  let start = from;
  let offset = offsetAt(from);
  for (let probe = from; probe < to;) {
    const next = Math.min(probe + PROBE_MINUTES, to);
    const after = offsetAt(next);
    if (after !== offset) {
      // bisect: lo keeps the old offset, hi the new one
      let [lo, hi] = [probe, next];
      while (hi - lo > 1) {
        const mid = lo + Math.floor((hi - lo) / 2);
        if (offsetAt(mid) === offset) lo = mid;
        else hi = mid;
      }
      if (tz.offset(hi * 60_000 - 1_000) !== offset) throw new Error(`${zone} changes its offset within a minute`);
      periods.push({ start, end: hi, offset });
      [start, offset] = [hi, offsetAt(hi)];
      probe = hi;
      continue;
    }
    probe = next;
  }
  periods.push({ start, end: to, offset });
  if (cache.size > 2_000) cache.clear();
  cache.set(key, periods);
  return periods;
}

/** An instant (epoch seconds) as the zone's wall clock with its offset: `2027-03-28T03:00:00+02:00`. */
export function wallClockOf(epochSeconds: number, zone: string): string {
  return DateTime.fromSeconds(epochSeconds, { zone }).toISO({ suppressMilliseconds: true }) ?? '';
}
