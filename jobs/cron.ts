/**
 * The scheduler's cron dialect (docs/cron.md): what a job's `cron` string means, parsed into plain sets. Inert: no
 * I/O and no time zones; `jobs/fire-plan.ts` turns a parsed cron and a zone into fire instants.
 *
 * The dialect is Vixie/ISC cron as crontab(5) documents it, with the forms the JS libraries add (croner, cron-parser,
 * node-cron): an optional seconds field first, `?`, `L`, `<day>L` and `<day>#<n>`. Anything else is refused with a
 * {@link CronError} that says what to write instead; nothing is passed through to be read differently elsewhere.
 */
import cronstrue from 'cronstrue';
import { LRUCache } from 'lru-cache';
import { durationWords } from './text';

/** Thrown by {@link parseCron} when a cron string is not in the dialect; `message` says what to write instead. */
export class CronError extends Error {
  override readonly name = 'CronError';
}

/** A cron's day and time rules as sets of values. Days of the week are 0–6, Sunday 0; months 1–12. */
export interface CronFields {
  seconds: readonly number[];
  minutes: readonly number[];
  hours: readonly number[];
  daysOfMonth: readonly number[];
  /** `L` in day-of-month: the month's last day. */
  lastDayOfMonth: boolean;
  months: readonly number[];
  daysOfWeek: readonly number[];
  /** `MON#2`: the second Monday of the month (n 1–5). */
  nthWeekdays: readonly { weekday: number; n: number }[];
  /** `FRIL` / `5L`: the month's last Friday. */
  lastWeekdays: readonly number[];
  /** Day-of-month is not `*` or `?`. With {@link dowRestricted} too, a day matches if either field does (POSIX). */
  domRestricted: boolean;
  dowRestricted: boolean;
  /**
   * The minute or hour field starts with `*` (`*`, `*\/15`): a "wildcard" job in Vixie cron's DST rules, which runs
   * at every wall-clock time that matches (both copies of a repeated hour, none in a skipped one). Other jobs are
   * "fixed-time": a repeated time runs once, a skipped one at the first instant after the gap.
   */
  wildcard: boolean;
  /**
   * Every fire time moved this many seconds later, after the daylight-saving policy is applied (a job's spread,
   * jobs/spread.ts); absent: 0. Never set by {@link parseCron}.
   */
  shiftSeconds?: number;
}

/** A parsed cron: calendar fields, or a fixed interval (`@every`), with the zone of a `CRON_TZ=`/`TZ=` prefix. */
export type Cron =
  | { kind: 'calendar'; fields: CronFields; timezone: string | null; expression: string }
  | { kind: 'interval'; everySeconds: number; offsetSeconds: number; timezone: string | null; expression: string };

const SHORTHANDS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldKind {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Offset of `names[0]`'s value. */
  namesFrom?: number;
}
const SECOND: FieldKind = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldKind = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldKind = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldKind = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldKind = { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesFrom: 1 };
const DAY_OF_WEEK: FieldKind = { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, namesFrom: 0 };

/**
 * Parses a cron string in the scheduler's dialect.
 * - 5 fields `minute hour day-of-month month day-of-week`, or 6 with a seconds field first (as croner, cron-parser,
 *   node-cron and BullMQ read them); 7 fields (a year) are refused.
 * - `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`; `@every <duration>[/<offset>]`
 *   with units d, h, m, s (`@every 1h30m`, `@every 10m/2m`).
 * - An optional `CRON_TZ=<zone> ` or `TZ=<zone> ` prefix, returned in `timezone` (unchecked here).
 *
 * The answer is shared (treat it as read-only): the last {@link PARSED_KEPT} crons parsed are kept, since a job view
 * parses its cron several times and a page of jobs repeats a few crons (`lru-cache`).
 * @throws {@link CronError} naming the part at fault and what to write instead.
 */
export function parseCron(text: string): Cron {
  let cron = parsed.get(text);
  if (!cron) parsed.set(text, (cron = Object.freeze(parseText(text))));
  return cron;
}

/** How many parsed crons {@link parseCron} keeps. */
const PARSED_KEPT = 1000;
const parsed = new LRUCache<string, Cron>({ max: PARSED_KEPT });

function parseText(text: string): Cron {
  let rest = text.trim().replace(/\s+/g, ' ');
  let timezone: string | null = null;
  const prefix = /^(?:CRON_TZ|TZ)=(\S*)(?: |$)/.exec(rest);
  if (prefix) {
    timezone = prefix[1]!;
    rest = rest.slice(prefix[0].length);
    if (!timezone) throw new CronError(`${prefix[0].trim()} names no time zone: write e.g. CRON_TZ=Europe/Paris`);
  }
  if (!rest) throw new CronError('is empty: write five fields (minute hour day-of-month month day-of-week)');
  if (rest.startsWith('@every')) return { ...parseEvery(rest), timezone, expression: rest };
  if (rest.startsWith('@')) {
    const expanded = SHORTHANDS[rest.toLowerCase()];
    if (!expanded) {
      throw new CronError(
        `unknown shorthand ${rest}: use one of ${Object.keys(SHORTHANDS).join(', ')}, or @every <duration>` +
          (rest.toLowerCase() === '@reboot' ? ' (a schedule has no reboot: trigger the job instead)' : ''),
      );
    }
    return { kind: 'calendar', fields: parseFields(expanded.split(' ')), timezone, expression: rest };
  }
  const parts = rest.split(' ');
  if (parts.length === 5) return { kind: 'calendar', fields: parseFields(parts), timezone, expression: rest };
  if (parts.length === 6) {
    return { kind: 'calendar', fields: parseFields(parts.slice(1), parts[0]), timezone, expression: rest };
  }
  if (parts.length === 7) {
    throw new CronError(
      'has 7 fields: a year field is not supported; write 5 fields, or 6 with seconds first ' +
        '(second minute hour day-of-month month day-of-week)',
    );
  }
  throw new CronError(
    `has ${parts.length} field${parts.length === 1 ? '' : 's'}: write 5 (minute hour day-of-month month ` +
      'day-of-week), 6 with seconds first, a shorthand such as @daily, or @every <duration>',
  );
}

function parseFields([minute, hour, dom, month, dow]: string[], second = '0'): CronFields {
  const day = parseDayOfMonth(dom!);
  const week = parseDayOfWeek(dow!);
  return {
    seconds: parseField(second, SECOND),
    minutes: parseField(minute!, MINUTE),
    hours: parseField(hour!, HOUR),
    ...day,
    months: parseField(month!, MONTH),
    ...week,
    domRestricted: !isStar(dom!),
    dowRestricted: !isStar(dow!),
    wildcard: minute!.startsWith('*') || hour!.startsWith('*'),
  };
}

const isStar = (field: string) => field === '*' || field === '?';

function parseDayOfMonth(text: string): Pick<CronFields, 'daysOfMonth' | 'lastDayOfMonth'> {
  if (text === '?') return { daysOfMonth: range(1, 31), lastDayOfMonth: false };
  const items = text.split(',');
  const lastDayOfMonth = items.some((item) => item.toUpperCase() === 'L');
  for (const item of items) {
    if (/W/i.test(item)) {
      throw new CronError(
        `day-of-month ${item}: the nearest-weekday form (W) is not supported; list the days ` +
          '(e.g. 1-3 with a day-of-week of MON-FRI) or write L for the last day',
      );
    }
    if (/L/i.test(item) && item.toUpperCase() !== 'L') {
      throw new CronError(`day-of-month ${item}: only a plain L (the last day of the month) is supported`);
    }
  }
  const plain = items.filter((item) => item.toUpperCase() !== 'L');
  return { daysOfMonth: plain.length ? parseField(plain.join(','), DAY_OF_MONTH) : [], lastDayOfMonth };
}

function parseDayOfWeek(text: string): Pick<CronFields, 'daysOfWeek' | 'nthWeekdays' | 'lastWeekdays'> {
  if (text === '?') return { daysOfWeek: range(0, 6), nthWeekdays: [], lastWeekdays: [] };
  const plain: string[] = [];
  const nthWeekdays: { weekday: number; n: number }[] = [];
  const lastWeekdays: number[] = [];
  for (const item of text.split(',')) {
    const nth = /^([^#]+)#(.*)$/.exec(item);
    const last = /^(.+)L$/i.exec(item);
    if (nth) {
      const n = Number(nth[2]);
      if (!/^[1-5]$/.test(nth[2]!)) {
        throw new CronError(`day-of-week ${item}: after # write 1 to 5 (MON#1 is the first Monday of the month)`);
      }
      nthWeekdays.push({ weekday: weekdayOf(nth[1]!, item), n });
    } else if (last && !/^[A-Z]{3}$/i.test(item)) {
      lastWeekdays.push(weekdayOf(last[1]!, item));
    } else if (item.toUpperCase() === 'L') {
      throw new CronError('day-of-week L: write the day, e.g. FRIL or 5L for the last Friday of the month');
    } else {
      plain.push(item);
    }
  }
  const daysOfWeek = plain.length ? [...new Set(parseField(plain.join(','), DAY_OF_WEEK).map((d) => d % 7))] : [];
  return { daysOfWeek: daysOfWeek.sort((a, b) => a - b), nthWeekdays, lastWeekdays };
}

function weekdayOf(text: string, item: string): number {
  const value = valueOf(text, DAY_OF_WEEK, item);
  return value % 7;
}

/** One field's comma list of `*`, values, ranges `a-b` and steps `*\/n`, `a-b/n`, `a/n` (a to the field's max). */
function parseField(text: string, kind: FieldKind): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new CronError(`${kind.name} field ${text}: an empty item between commas`);
    const special = /[#LWH?]/i.exec(item.replace(/[A-Z]{3}/gi, (name) => (isName(name, kind) ? '' : name)));
    if (special) {
      throw new CronError(
        special[0].toUpperCase() === 'H'
          ? `${kind.name} ${item}: H (a hashed value) is not supported; write a value, or set spreadSeconds to spread runs over a minute by name (docs/herds.md)`
          : special[0] === '?'
            ? `${kind.name} ${item}: ? is only allowed alone in day-of-month or day-of-week`
            : `${kind.name} ${item}: ${special[0]} is not allowed in the ${kind.name} field`,
      );
    }
    const [span, stepText, extra] = item.split('/');
    if (extra !== undefined) throw new CronError(`${kind.name} ${item}: one step (/n) at most`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        throw new CronError(`${kind.name} ${item}: a step must be a whole number of at least 1`);
      }
      step = Number(stepText);
    }
    let start: number;
    let end: number;
    if (span === '*') [start, end] = [kind.min, kind === DAY_OF_WEEK ? 6 : kind.max];
    else if (span!.includes('-')) {
      const [from, to, more] = span!.split('-');
      if (more !== undefined) throw new CronError(`${kind.name} ${item}: a range has one dash (a-b)`);
      start = valueOf(from!, kind, item);
      end = valueOf(to!, kind, item);
      if (end < start) {
        throw new CronError(
          `${kind.name} ${item}: a range must not wrap around; write it as two, e.g. ` +
            `${from}-${kind === DAY_OF_WEEK ? 6 : kind.max},${kind.min}-${to}`,
        );
      }
    } else {
      start = valueOf(span!, kind, item);
      end = stepText !== undefined ? (kind === DAY_OF_WEEK ? 6 : kind.max) : start;
    }
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

function isName(name: string, kind: FieldKind): boolean {
  return !!kind.names?.includes(name.toUpperCase());
}

function valueOf(text: string, kind: FieldKind, item: string): number {
  const named = kind.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + kind.namesFrom!;
  if (!/^\d+$/.test(text)) {
    throw new CronError(
      `${kind.name} ${item}: ${JSON.stringify(text)} is not a number` +
        (kind.names ? ` or a name (${kind.names.join(', ')})` : ''),
    );
  }
  const value = Number(text);
  if (value < kind.min || value > kind.max) {
    throw new CronError(`${kind.name} ${item}: ${value} is out of range ${kind.min}-${kind.max}`);
  }
  return value;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const UNIT_SECONDS: Readonly<Record<string, number>> = { d: 86_400, h: 3_600, m: 60, s: 1 };

/** `@every 1h30m`, `@every 10m/2m`: a fixed interval from the Unix epoch, independent of any time zone. */
function parseEvery(text: string): { kind: 'interval'; everySeconds: number; offsetSeconds: number } {
  const match = /^@every ([^/ ]+)(?:\/([^/ ]+))?$/.exec(text);
  if (!match) throw new CronError('@every takes one duration and an optional offset: @every 15m or @every 1h/10m');
  const everySeconds = durationSeconds(match[1]!);
  const offsetSeconds = match[2] === undefined ? 0 : durationSeconds(match[2]);
  if (everySeconds < 1) throw new CronError('@every must be at least 1s');
  if (offsetSeconds >= everySeconds) throw new CronError('@every: the offset after / must be less than the interval');
  return { kind: 'interval', everySeconds, offsetSeconds };
}

function durationSeconds(text: string): number {
  if (!/^(\d+[dhms])+$/.test(text)) {
    throw new CronError(`@every ${text}: write a duration of whole d, h, m and s units, e.g. 90s, 15m or 1h30m`);
  }
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([dhms])/g)) total += Number(n) * UNIT_SECONDS[unit!]!;
  return total;
}

/** Days in a month of the proleptic Gregorian calendar (month 1–12). */
function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Whether a calendar day matches the cron's day rules: its month, and day-of-month and day-of-week combined as
 * POSIX says (either, when both are restricted; otherwise the restricted one).
 */
export function matchesDay(f: CronFields, year: number, month: number, day: number): boolean {
  if (!f.months.includes(month)) return false;
  const length = daysInMonth(year, month);
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  const dom = () => f.daysOfMonth.includes(day) || (f.lastDayOfMonth && day === length);
  const dow = () =>
    f.daysOfWeek.includes(weekday) ||
    f.nthWeekdays.some((x) => x.weekday === weekday && Math.ceil(day / 7) === x.n) ||
    f.lastWeekdays.some((x) => x === weekday && day + 7 > length);
  if (f.domRestricted && f.dowRestricted) return dom() || dow();
  if (f.domRestricted) return dom();
  if (f.dowRestricted) return dow();
  return true;
}

/** Whether a time of day (hour, minute) matches the cron's hour and minute fields. */
export function matchesMinute(f: CronFields, hour: number, minute: number): boolean {
  return f.hours.includes(hour) && f.minutes.includes(minute);
}

/**
 * A valid cron in words, in its zone: `At 13:00, on the first Monday of the month (Europe/Paris)`. Calendar forms
 * through cronstrue (which reads the same dialect: seconds first in six fields, `L`, `#`); `@every` in our own
 * words, since cronstrue has none for it.
 * @throws {@link CronError} if the cron is not in the dialect.
 */
export function describeCron(text: string, timezone: string): string {
  const cron = parseCron(text);
  if (cron.kind === 'interval') {
    const offset = cron.offsetSeconds ? `, offset by ${durationWords(cron.offsetSeconds)}` : '';
    return `Every ${durationWords(cron.everySeconds)}${offset}, counted from 1970-01-01T00:00:00Z in any time zone`;
  }
  return `${cronstrue.toString(cron.expression, { use24HourTimeFormat: true, verbose: false })} (${timezone})`;
}
