/**
 * When a job fires: a parsed cron in a time zone, under the documented daylight-saving policy (docs/cron.md), as
 * instants and as a plan of UTC calendars that Temporal can follow exactly. Temporal only ever sees UTC: its own
 * daylight-saving arithmetic loses occurrences east of UTC (service/worker/scheduler/calendar.go in 1.29), so the
 * product does the zone arithmetic itself (offsets from luxon, see `jobs/zone.ts`) and never hands it a zone.
 *
 * The policy is Vixie/ISC cron's (cron(8)): a *wildcard* job (minute or hour field starting with `*`) runs at every
 * wall-clock time that matches, so it runs in both copies of a repeated hour and not at times a gap skips; a
 * *fixed-time* job runs a repeated time once, in its first copy, and a skipped time once, at the first instant after
 * the gap.
 */
import { matchesDay, matchesMinute, type Cron, type CronFields } from './cron';
import { offsetPeriods, type OffsetPeriod } from './zone';

/** One Temporal calendar in UTC: every field a set of values, null for "every". */
export interface UtcCalendar {
  years: readonly number[] | null;
  months: readonly number[] | null;
  daysOfMonth: readonly number[] | null;
  daysOfWeek: readonly number[] | null;
  hours: readonly number[];
  minutes: readonly number[];
  seconds: readonly number[];
}

/** What Temporal gets for a job: calendars and intervals, all in UTC. */
export interface FirePlan {
  calendars: UtcCalendar[];
  intervals: { everySeconds: number; offsetSeconds: number }[];
  /**
   * Plans for zones with daylight-saving (or any offset change) list their fire times year by year over
   * [from, to) (ISO-8601); the reconciler replans before `to` comes near. Null: the plan holds for ever.
   */
  horizon: { from: string; to: string } | null;
}

/** How a fire time relates to a daylight-saving change: moved out of a skipped gap, or a wall time seen twice. */
export type DstMark = 'shifted' | 'repeated' | null;

/** A fire instant in epoch seconds. */
export interface Fire {
  at: number;
  dst: DstMark;
}

const DAY = 1440; // minutes
/** Days around an offset change whose fire times are worked out minute by minute (a change moves at most 3 hours). */
const NEAR_CHANGE = 180;

/**
 * The years a plan covers when `now` is given: from the start of last year (for backfills) to the start of the
 * fourth year ahead. A replan moves them once a year.
 */
export function planHorizon(now: Date): { from: number; to: number } {
  const year = now.getUTCFullYear();
  return { from: Date.UTC(year - 1, 0, 1) / 60_000, to: Date.UTC(year + 4, 0, 1) / 60_000 };
}

/**
 * The fire times of a cron in a zone, one UTC day at a time, under the daylight-saving policy. Days away from an
 * offset change share a pattern that depends only on the offset and on whether the two local dates the UTC day
 * touches match; days near a change are worked out minute by minute.
 */
export class FireCalendar {
  private readonly periods: readonly OffsetPeriod[];
  private readonly nearChange = new Set<number>();
  private readonly patterns = new Map<string, readonly DayFire[]>();
  /** By minute of the day: whether the cron's hour and minute fields match it. */
  private readonly timeOk: boolean[];

  /** `from`, `to`: epoch minutes, the span this calendar can answer for. */
  constructor(
    private readonly fields: CronFields,
    zone: string,
    readonly from: number,
    readonly to: number,
  ) {
    this.periods = periodsAround(zone, from, to);
    this.timeOk = Array.from({ length: DAY }, (_, m) => matchesMinute(fields, Math.floor(m / 60), m % 60));
    for (const p of this.periods.slice(1)) {
      for (let d = Math.floor((p.start - NEAR_CHANGE) / DAY); d <= Math.floor((p.start + NEAR_CHANGE) / DAY); d++) {
        this.nearChange.add(d);
      }
    }
  }

  /** The fire times on one UTC day (epoch days), by second of the day, in order. */
  day(day: number): readonly DayFire[] {
    const start = day * DAY;
    if (this.nearChange.has(day)) return this.walk(start);
    const offset = this.periods[this.periodIndexAt(start)]!.offset;
    const key = `${offset} ${this.matchesLocalDay(start + offset)} ${this.matchesLocalDay(start + DAY - 1 + offset)}`;
    let pattern = this.patterns.get(key);
    if (!pattern) this.patterns.set(key, (pattern = this.walk(start)));
    return pattern;
  }

  /** Fire times in [from, to) (epoch seconds), in order, at most `limit`. */
  fires(from: number, to: number, limit = Infinity): Fire[] {
    const out: Fire[] = [];
    for (let day = Math.floor(from / 86_400); day * 86_400 < to && out.length < limit; day++) {
      for (const fire of this.day(day)) {
        const at = day * 86_400 + fire.second;
        if (at >= from && at < to && out.length < limit) out.push({ at, dst: fire.dst });
      }
    }
    return out;
  }

  /** How many fire times fall in [from, to) (epoch seconds), without listing them: whole days by their pattern. */
  count(from: number, to: number): number {
    let n = 0;
    for (let day = Math.floor(from / 86_400); day * 86_400 < to; day++) {
      const start = day * 86_400;
      const fires = this.day(day);
      if (start >= from && start + 86_400 <= to) n += fires.length;
      else n += fires.filter((f) => start + f.second >= from && start + f.second < to).length;
    }
    return n;
  }

  /**
   * The wall times a wildcard job does not run because a spring-forward gap skips them (the policy's one kind of
   * skip), for changes in [from, to) (epoch seconds): each as the wall clock that never showed (epoch seconds read
   * as UTC). Fixed-time jobs skip none: they run at the gap's end.
   */
  gapSkips(from: number, to: number): number[] {
    if (!this.fields.wildcard) return [];
    const skipped: number[] = [];
    this.periods.forEach((p, i) => {
      const prev = this.periods[i - 1];
      if (!prev || p.offset <= prev.offset || p.start * 60 < from || p.start * 60 >= to) return;
      for (let g = p.start + prev.offset; g < p.start + p.offset; g++) {
        if (this.matchesLocal(g)) for (const s of this.fields.seconds) skipped.push(g * 60 + s + this.shift);
      }
    });
    return skipped;
  }

  /** A spread's shift (seconds), added to every fire time the policy gives. */
  private get shift(): number {
    return this.fields.shiftSeconds ?? 0;
  }

  private periodIndexAt(minute: number): number {
    let lo = 0;
    let hi = this.periods.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.periods[mid]!.start <= minute) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private matchesLocalDay(localMinute: number): boolean {
    const d = new Date(localMinute * 60_000);
    return matchesDay(this.fields, d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
  }

  /** Whether a wall-clock minute (epoch minutes read as UTC) matches: the time first, the day only then. */
  private matchesLocal(localMinute: number): boolean {
    const minuteOfDay = ((localMinute % DAY) + DAY) % DAY;
    return this.timeOk[minuteOfDay]! && this.matchesLocalDay(localMinute);
  }

  /** One UTC day, minute by minute, with the daylight-saving policy applied at each offset change. */
  private walk(start: number): DayFire[] {
    const out: DayFire[] = [];
    const { seconds, wildcard } = this.fields;
    const shift = this.shift;
    let i = this.periodIndexAt(start);
    for (let t = 0; t < DAY; t++) {
      const u = start + t;
      while (u >= this.periods[i]!.end) i++;
      const { offset } = this.periods[i]!;
      const prev = this.periods[i - 1];
      const next = this.periods[i + 1];
      const matches = this.matchesLocal(u + offset);
      // a spring-forward gap: its wall times [change + old offset, change + new offset) never show
      const gapEnd = !wildcard && !matches && !!prev && u === this.periods[i]!.start && offset > prev.offset;
      if (!matches && !gapEnd) continue;
      if (gapEnd) {
        for (let g = u + prev!.offset; g < u + offset; g++) {
          if (this.matchesLocal(g)) {
            out.push({ second: t * 60 + shift, dst: 'shifted' });
            break;
          }
        }
        continue;
      }
      // a fall-back change repeats the wall times of [change, change + difference)
      const secondCopy = !!prev && prev.offset > offset && u < this.periods[i]!.start + prev.offset - offset;
      const firstCopy = !!next && offset > next.offset && u >= next.start - (offset - next.offset);
      if (wildcard || !secondCopy) {
        const dst = secondCopy || firstCopy ? 'repeated' : null;
        for (const s of seconds) out.push({ second: t * 60 + s + shift, dst });
      }
    }
    return out;
  }
}

/** A fire time within a UTC day. */
export interface DayFire {
  /** Second of the UTC day. */
  second: number;
  dst: DstMark;
}

/**
 * The plan Temporal follows for a cron in a zone, as of `now`.
 * - `@every`: an interval from the epoch, zone-free, for ever.
 * - A zone at UTC+0 all through the horizon (UTC, Etc/*, Africa/Abidjan…): the cron's fields as calendars, for ever.
 * - Any other zone: the fire times of each UTC day, grouped into calendars by year, month and day, over the
 *   horizon of {@link planHorizon}.
 */
export function planFires(cron: Cron, zone: string, now: Date): FirePlan {
  if (cron.kind === 'interval') {
    return {
      calendars: [],
      intervals: [{ everySeconds: cron.everySeconds, offsetSeconds: cron.offsetSeconds }],
      horizon: null,
    };
  }
  const horizon = horizonOf(cron, zone, now);
  if (!horizon) return { calendars: structuralCalendars(cron.fields)!, intervals: [], horizon: null };
  // services register the same jobs on every start: a plan is made once per cron, zone and horizon
  const key = `${cron.expression} +${cron.fields.shiftSeconds ?? 0} ${zone} ${horizon.from}`;
  let plan = plans.get(key);
  if (!plan) {
    const { from, to } = planHorizon(now);
    const calendars = dailyCalendars(fireCalendarOf(cron.fields, zone, from, to), from / DAY, to / DAY);
    if (plans.size >= 500) plans.clear();
    plans.set(key, (plan = { calendars, intervals: [], horizon }));
  }
  return plan;
}

const plans = new Map<string, FirePlan>();

/**
 * The horizon {@link planFires} gives a cron's plan as of `now`, without making the plan: null for a plan that
 * holds for ever (an interval, or calendar fields in a zone at UTC+0 throughout).
 */
export function horizonOf(cron: Cron, zone: string, now: Date): FirePlan['horizon'] {
  if (cron.kind === 'interval') return null;
  const { from, to } = planHorizon(now);
  const atUtc = periodsAround(zone, from, to).every((p) => p.offset === 0 || p.end <= from || p.start >= to);
  if (atUtc && structuralCalendars(cron.fields)) return null;
  return { from: new Date(from * 60_000).toISOString(), to: new Date(to * 60_000).toISOString() };
}

/** The cron's own fields as UTC calendars; null when a field (L, FRIL) has no calendar form. */
function structuralCalendars(f: CronFields): UtcCalendar[] | null {
  if (f.lastDayOfMonth || f.lastWeekdays.length > 0) return null;
  const shift = f.shiftSeconds ?? 0;
  const time = { years: null, hours: f.hours, minutes: f.minutes, seconds: f.seconds.map((s) => s + shift) };
  const months = f.months.length === 12 ? null : f.months;
  const days = (daysOfMonth: readonly number[] | null, daysOfWeek: readonly number[] | null): UtcCalendar => ({
    ...time,
    months,
    daysOfMonth,
    daysOfWeek,
  });
  const weekClauses = [
    ...(f.daysOfWeek.length ? [days(null, f.daysOfWeek)] : []),
    // the nth weekday of a month is that weekday within the month's nth seven days
    ...f.nthWeekdays.map(({ weekday, n }) => days(span(7 * n - 6, Math.min(7 * n, 31)), [weekday])),
  ];
  if (f.domRestricted && f.dowRestricted) return [days(f.daysOfMonth, null), ...weekClauses];
  if (f.domRestricted) return [days(f.daysOfMonth, null)];
  if (f.dowRestricted) return weekClauses;
  return [days(null, null)];
}

/** Every day's fire times over [fromDay, toDay), grouped: days that fire at the same times share calendars. */
function dailyCalendars(calendar: FireCalendar, fromDay: number, toDay: number): UtcCalendar[] {
  const byPattern = new Map<string, { boxes: Box[]; days: number[] }>();
  // days away from a change share their pattern's array: its boxes are worked out once
  const shapes = new Map<readonly DayFire[], { boxes: Box[]; key: string }>();
  for (let day = fromDay; day < toDay; day++) {
    const fires = calendar.day(day);
    if (fires.length === 0) continue;
    let shape = shapes.get(fires);
    if (!shape) {
      const boxes = boxesOf(fires.map((f) => f.second));
      shapes.set(fires, (shape = { boxes, key: JSON.stringify(boxes) }));
    }
    const { boxes, key } = shape;
    const group = byPattern.get(key) ?? { boxes, days: [] };
    group.days.push(day);
    byPattern.set(key, group);
  }
  const calendars: UtcCalendar[] = [];
  for (const { boxes, days } of byPattern.values()) {
    for (const dates of dateGroups(days)) {
      for (const box of boxes) calendars.push({ ...dates, daysOfWeek: null, ...box });
    }
  }
  return calendars;
}

interface Box {
  hours: number[];
  minutes: number[];
  seconds: number[];
}

/** Seconds of a day as hour × minute × second products: the fewest boxes that a calendar can say. */
function boxesOf(secondsOfDay: readonly number[]): Box[] {
  // hour → minute → seconds
  const hours = new Map<number, Map<number, number[]>>();
  for (const s of secondsOfDay) {
    const [h, m] = [Math.floor(s / 3600), Math.floor(s / 60) % 60];
    const minutes = hours.get(h) ?? new Map<number, number[]>();
    const seconds = minutes.get(m) ?? [];
    seconds.push(s % 60);
    minutes.set(m, seconds);
    hours.set(h, minutes);
  }
  const byShape = new Map<string, Box>();
  for (const [h, minutes] of hours) {
    const bySeconds = new Map<string, { minutes: number[]; seconds: number[] }>();
    for (const [m, seconds] of minutes) {
      const key = seconds.join(',');
      const entry = bySeconds.get(key) ?? { minutes: [], seconds };
      entry.minutes.push(m);
      bySeconds.set(key, entry);
    }
    for (const { minutes: ms, seconds } of bySeconds.values()) {
      const key = `${ms.join(',')}|${seconds.join(',')}`;
      const box = byShape.get(key) ?? { hours: [], minutes: ms, seconds };
      box.hours.push(h);
      byShape.set(key, box);
    }
  }
  return [...byShape.values()];
}

/** Epoch days as calendar fields: by year, the months that share a day-of-month list ("every day" when whole). */
function dateGroups(days: readonly number[]): Pick<UtcCalendar, 'years' | 'months' | 'daysOfMonth'>[] {
  const byYear = new Map<number, Map<number, number[]>>();
  for (const day of days) {
    const d = new Date(day * 86_400_000);
    const months = byYear.get(d.getUTCFullYear()) ?? new Map<number, number[]>();
    months.set(d.getUTCMonth() + 1, [...(months.get(d.getUTCMonth() + 1) ?? []), d.getUTCDate()]);
    byYear.set(d.getUTCFullYear(), months);
  }
  // year → (day-of-month list → months), then years that share all of it
  const byShape = new Map<string, { years: number[]; months: number[]; daysOfMonth: number[] | null }>();
  for (const [year, months] of byYear) {
    const byDays = new Map<string, number[]>();
    for (const [month, doms] of months) {
      const whole = doms.length === new Date(Date.UTC(year, month, 0)).getUTCDate();
      const key = whole ? '*' : doms.join(',');
      byDays.set(key, [...(byDays.get(key) ?? []), month]);
    }
    for (const [key, ms] of byDays) {
      const shape = `${ms.join(',')}|${key}`;
      const group = byShape.get(shape) ?? {
        years: [],
        months: ms,
        daysOfMonth: key === '*' ? null : key.split(',').map(Number),
      };
      group.years.push(year);
      byShape.set(shape, group);
    }
  }
  return [...byShape.values()].map((g) => ({ ...g, months: g.months.length === 12 ? null : g.months }));
}

const span = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * The first `count` fire times at or after `from`, as the plan of `from` has them (so within its horizon: an
 * empty answer means the cron does not fire in the coming years).
 */
export function nextFires(cron: Cron, zone: string, from: Date, count: number): Fire[] {
  const at = Math.ceil(from.getTime() / 1000);
  if (cron.kind === 'interval') {
    const { everySeconds: every, offsetSeconds: offset } = cron;
    const first = Math.ceil((at - offset) / every) * every + offset;
    return Array.from({ length: count }, (_, i) => ({ at: first + i * every, dst: null }));
  }
  const { from: start, to } = planHorizon(from);
  return fireCalendarOf(cron.fields, zone, start, to).fires(at, to * 60, count);
}

/**
 * Every fire time in [from, to) (epoch seconds), ascending, as the plan of `from` has them: for short windows (the
 * fleet view's hour); a whole UTC day is read from its cached pattern.
 */
export function firesIn(cron: Cron, zone: string, from: number, to: number): number[] {
  if (cron.kind === 'interval') {
    const { everySeconds: every, offsetSeconds: offset } = cron;
    const out: number[] = [];
    for (let at = Math.ceil((from - offset) / every) * every + offset; at < to; at += every) out.push(at);
    return out;
  }
  const horizon = planHorizon(new Date(from * 1000));
  const calendar = fireCalendarOf(cron.fields, zone, horizon.from, horizon.to);
  return calendar.fires(from, Math.min(to, horizon.to * 60)).map((fire) => fire.at);
}

/**
 * How many times the plan of `now` fires in [from, to] (both inclusive), counted without listing them: the
 * occurrences Temporal holds there (a plan by dates holds none before its horizon).
 */
export function countFires(cron: Cron, zone: string, from: Date, to: Date, now = new Date()): number {
  const first = Math.ceil(from.getTime() / 1000);
  const end = Math.floor(to.getTime() / 1000) + 1;
  if (cron.kind === 'interval') {
    const { everySeconds: every, offsetSeconds: offset } = cron;
    return Math.max(0, Math.ceil((end - offset) / every) - Math.ceil((first - offset) / every));
  }
  const span = horizonOf(cron, zone, now)
    ? planHorizon(now)
    : { from: Math.floor(first / 86_400) * DAY, to: Math.ceil(end / 86_400) * DAY };
  const [start, stop] = [Math.max(first, span.from * 60), Math.min(end, span.to * 60)];
  return start < stop ? fireCalendarOf(cron.fields, zone, span.from, span.to).count(start, stop) : 0;
}

/**
 * The longest wait between consecutive fire times of the plan of `from`, among the fires in [from, to): from each
 * such fire to the next one (which may come after `to`), and from `from` to the first fire (a lower bound of the gap
 * `from` falls in: for a cron that fires rarely, all there is). Seconds; null when the cron does not fire before its
 * plan's horizon. A whole day is taken by its cached pattern, so a per-second cron costs little more than a daily one.
 */
export function longestFireGap(cron: Cron, zone: string, from: Date, to: Date): number | null {
  if (cron.kind === 'interval') return cron.everySeconds; // the first fire comes sooner, every later one this long after
  const start = Math.ceil(from.getTime() / 1000);
  const end = Math.ceil(to.getTime() / 1000);
  const horizon = planHorizon(from);
  const calendar = fireCalendarOf(cron.fields, zone, horizon.from, horizon.to);
  let previous = start; // where the gap being measured began: `from`, then each fire
  let longest: number | null = null;
  for (let day = Math.floor(start / 86_400); day * 86_400 < horizon.to * 60; day++) {
    const base = day * 86_400;
    const fires = calendar.day(day);
    const first = fires[0];
    const last = fires[fires.length - 1];
    if (!first || !last) continue;
    if (base >= start && base + last.second < end) {
      longest = Math.max(longest ?? 0, base + first.second - previous, innerGapOf(fires));
      previous = base + last.second;
      continue;
    }
    for (const fire of fires) {
      const at = base + fire.second;
      if (at < start) continue;
      longest = Math.max(longest ?? 0, at - previous);
      if (at >= end) return longest;
      previous = at;
    }
  }
  return longest;
}

const innerGaps = new WeakMap<readonly DayFire[], number>();

/** The longest wait between consecutive fires within one day's pattern (cached with the pattern). */
function innerGapOf(fires: readonly DayFire[]): number {
  let gap = innerGaps.get(fires);
  if (gap === undefined) {
    gap = 0;
    for (let i = 1; i < fires.length; i++) gap = Math.max(gap, fires[i]!.second - fires[i - 1]!.second);
    innerGaps.set(fires, gap);
  }
  return gap;
}

/** A zone's offsets over a span and two days either side (the days a span's UTC days touch), cached. */
const periodsAround = (zone: string, from: number, to: number) => offsetPeriods(zone, from - 2 * DAY, to + 2 * DAY);

const calendars = new Map<string, FireCalendar>();

/** FireCalendars are cached by cron, zone and span: their day patterns are the expensive part. */
function fireCalendarOf(fields: CronFields, zone: string, from: number, to: number): FireCalendar {
  const key = `${JSON.stringify(fields)} ${zone} ${from} ${to}`;
  let calendar = calendars.get(key);
  if (!calendar) {
    if (calendars.size >= 64) calendars.clear(); // a sub-minute cron's day patterns are large
    calendars.set(key, (calendar = new FireCalendar(fields, zone, from, to)));
  }
  return calendar;
}

/**
 * The wall times (epoch seconds read as UTC) that the cron does not run in [from, to) because a spring-forward gap
 * skips them (see {@link FireCalendar.gapSkips}), as the plan of `now` knows them (from the start of last year).
 */
export function gapSkips(cron: Cron, zone: string, from: Date, to: Date, now = new Date()): number[] {
  // only wildcard jobs skip: the others need no calendar (job views ask this of every job)
  if (cron.kind === 'interval' || !cron.fields.wildcard) return [];
  const horizon = planHorizon(now);
  return fireCalendarOf(cron.fields, zone, horizon.from, horizon.to).gapSkips(
    from.getTime() / 1000,
    to.getTime() / 1000,
  );
}
