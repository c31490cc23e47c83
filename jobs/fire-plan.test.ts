import { parseCron } from './cron';
import { countFires, FireCalendar, gapSkips, nextFires, planFires, planHorizon } from './fire-plan';
import { oracleFires, wallsOf } from '../test/support/dst-oracle';
import { changeCrons, changesOf, DST_CRONS, DST_ZONES } from '../test/support/dst-cases';

const NOW = new Date('2026-06-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function calendarOf(cron: string, zone: string): FireCalendar {
  const parsed = parseCron(cron);
  if (parsed.kind !== 'calendar') throw new Error('not a calendar cron');
  const { from, to } = planHorizon(NOW);
  return new FireCalendar(parsed.fields, zone, from, to);
}

const iso = (ms: number[]) => ms.map((t) => new Date(t).toISOString());

describe('fire times across every daylight-saving change of 2025–2027 (planner against the Intl oracle)', () => {
  const summary = { zones: 0, crons: 0, windows: 0, comparisons: 0 };

  test.each(DST_ZONES.map((zone) => [zone]))('%s', (zone) => {
    const changes = changesOf(zone);
    // zones that do not change are still tried, on a day when others do
    const windows = changes.length ? changes : [Date.UTC(2026, 2, 29, 1)];
    const crons = [...DST_CRONS, ...changeCrons(zone, changes)];
    summary.zones++;
    summary.crons += crons.length;
    for (const at of windows) {
      const from = Math.floor(at / 60_000) * 60_000 - DAY;
      const walls = wallsOf(zone, from - 3 * HOUR, from + 2 * DAY);
      summary.windows++;
      for (const cron of crons) {
        const expected = oracleFires(cron, walls, from - 3 * HOUR, 3 * HOUR);
        const planned = calendarOf(cron.cron, zone)
          .fires(from / 1000, (from + 2 * DAY) / 1000)
          .map((f) => f.at * 1000);
        summary.comparisons++;
        expect({ zone, cron: cron.cron, change: new Date(at).toISOString(), fires: iso(planned) }).toEqual({
          zone,
          cron: cron.cron,
          change: new Date(at).toISOString(),
          fires: iso(expected),
        });
      }
    }
  });

  afterAll(() => {
    // the size of the property test, for the record
    console.log(`DST property test (planner): ${JSON.stringify(summary)}`);
  });
});

describe('the plan given to Temporal', () => {
  test('a zone at UTC+0 keeps the cron fields, with no horizon', () => {
    const plan = planFires(parseCron('0 13 * * MON#1'), 'UTC', NOW);
    expect(plan.horizon).toBeNull();
    expect(plan.calendars).toEqual([
      {
        years: null,
        months: null,
        daysOfMonth: [1, 2, 3, 4, 5, 6, 7],
        daysOfWeek: [1],
        hours: [13],
        minutes: [0],
        seconds: [0],
      },
    ]);
  });

  test('day-of-month and day-of-week restricted together: either matches (POSIX)', () => {
    const plan = planFires(parseCron('0 0 13 * FRI'), 'UTC', NOW);
    expect(plan.calendars.map((c) => [c.daysOfMonth, c.daysOfWeek])).toEqual([
      [[13], null],
      [null, [5]],
    ]);
  });

  test('a zone with daylight-saving: UTC calendars over five years', () => {
    const plan = planFires(parseCron('0 9 * * *'), 'Europe/Berlin', NOW);
    expect(plan.horizon).toEqual({ from: '2025-01-01T00:00:00.000Z', to: '2030-01-01T00:00:00.000Z' });
    const hours = new Set(plan.calendars.flatMap((c) => c.hours));
    expect([...hours].sort()).toEqual([7, 8]); // 09:00 CEST and 09:00 CET
    expect(plan.calendars.length).toBeLessThan(60);
  });

  test('@every is an interval from the epoch, in no zone', () => {
    expect(planFires(parseCron('@every 10m/2m'), 'Europe/Berlin', NOW)).toEqual({
      calendars: [],
      intervals: [{ everySeconds: 600, offsetSeconds: 120 }],
      horizon: null,
    });
  });
});

describe('nextFires', () => {
  const at = (cron: string, zone: string, from: string, count = 3) =>
    nextFires(parseCron(cron), zone, new Date(from), count).map((f) => [new Date(f.at * 1000).toISOString(), f.dst]);

  test('the first Monday of the month, not every Monday', () => {
    expect(at('0 13 * * MON#1', 'UTC', '2026-11-29T00:00:00Z')).toEqual([
      ['2026-12-07T13:00:00.000Z', null],
      ['2027-01-04T13:00:00.000Z', null],
      ['2027-02-01T13:00:00.000Z', null],
    ]);
  });

  test('six fields are seconds first', () => {
    expect(at('*/10 * * * * *', 'UTC', '2026-11-29T00:00:01Z')).toEqual([
      ['2026-11-29T00:00:10.000Z', null],
      ['2026-11-29T00:00:20.000Z', null],
      ['2026-11-29T00:00:30.000Z', null],
    ]);
    expect(at('0 */5 * * * *', 'UTC', '2026-11-29T00:00:01Z')).toEqual([
      ['2026-11-29T00:05:00.000Z', null],
      ['2026-11-29T00:10:00.000Z', null],
      ['2026-11-29T00:15:00.000Z', null],
    ]);
  });

  test('the last day of the month and the last Friday', () => {
    expect(at('0 0 L * *', 'UTC', '2027-01-15T00:00:00Z')).toEqual([
      ['2027-01-31T00:00:00.000Z', null],
      ['2027-02-28T00:00:00.000Z', null],
      ['2027-03-31T00:00:00.000Z', null],
    ]);
    expect(at('0 18 * * FRIL', 'America/New_York', '2027-01-01T00:00:00Z', 2)).toEqual([
      ['2027-01-29T23:00:00.000Z', null],
      ['2027-02-26T23:00:00.000Z', null],
    ]);
  });

  test('a fixed time in the spring gap runs at the first instant after it; in the repeated hour, once', () => {
    // Berlin 2027-03-28: 02:00 CET → 03:00 CEST at 01:00Z; 2027-10-31: 03:00 CEST → 02:00 CET at 01:00Z
    expect(at('30 2 * * *', 'Europe/Berlin', '2027-03-27T12:00:00Z', 2)).toEqual([
      ['2027-03-28T01:00:00.000Z', 'shifted'],
      ['2027-03-29T00:30:00.000Z', null],
    ]);
    expect(at('30 2 * * *', 'Europe/Berlin', '2027-10-30T12:00:00Z', 2)).toEqual([
      ['2027-10-31T00:30:00.000Z', 'repeated'],
      ['2027-11-01T01:30:00.000Z', null],
    ]);
  });

  test('a wildcard job keeps its real-time cadence through the repeated hour', () => {
    expect(at('*/15 * * * *', 'Europe/Berlin', '2027-10-31T00:30:00Z', 8).map(([t]) => t)).toEqual([
      '2027-10-31T00:30:00.000Z',
      '2027-10-31T00:45:00.000Z',
      '2027-10-31T01:00:00.000Z',
      '2027-10-31T01:15:00.000Z',
      '2027-10-31T01:30:00.000Z',
      '2027-10-31T01:45:00.000Z',
      '2027-10-31T02:00:00.000Z',
      '2027-10-31T02:15:00.000Z',
    ]);
  });

  test('a date that never exists has no fire time', () => {
    expect(at('0 0 31 2 *', 'UTC', '2026-11-29T00:00:00Z')).toEqual([]);
    expect(at('0 0 30 2 *', 'Europe/Paris', '2026-11-29T00:00:00Z')).toEqual([]);
  });
});

describe('countFires: how many occurrences a range holds, without listing them', () => {
  const count = (cron: string, zone: string, from: string, to: string) =>
    countFires(parseCron(cron), zone, new Date(from), new Date(to), NOW);
  const listed = (cron: string, zone: string, from: string, to: string) =>
    calendarOf(cron, zone).fires(Date.parse(from) / 1000, Date.parse(to) / 1000 + 1).length;

  test.each([
    ['*/1 * * * *', 'UTC', '2026-03-01T00:00:00Z', '2026-03-03T00:00:00Z'],
    ['*/15 * * * *', 'Europe/Berlin', '2025-10-25T00:00:00Z', '2025-10-28T00:00:30Z'],
    ['30 2 * * *', 'America/New_York', '2026-03-01T00:00:00Z', '2026-03-31T12:00:00Z'],
    ['*/10 * * * * *', 'Australia/Lord_Howe', '2026-04-04T00:00:00Z', '2026-04-06T00:00:00Z'],
    ['0 9 L * *', 'Europe/Paris', '2025-01-01T00:00:00Z', '2026-05-31T23:59:59Z'],
  ])('%s in %s: as many as the planner lists, both ends included', (cron, zone, from, to) => {
    expect(count(cron, zone, from, to)).toBe(listed(cron, zone, from, to));
  });

  test('the range is inclusive at both ends: from == to on an occurrence is one', () => {
    expect(count('*/1 * * * *', 'UTC', '2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z')).toBe(1);
    expect(count('*/1 * * * *', 'UTC', '2026-03-01T10:00:30Z', '2026-03-01T10:00:30Z')).toBe(0);
    expect(count('*/1 * * * *', 'UTC', '2026-03-01T10:00:00Z', '2026-03-01T10:02:00Z')).toBe(3);
  });

  test('intervals count from the epoch, offsets included', () => {
    expect(count('@every 15m', 'UTC', '2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z')).toBe(97);
    expect(count('@every 1h/5m', 'UTC', '2026-03-01T00:00:00Z', '2026-03-01T02:59:59Z')).toBe(3);
    expect(count('@every 1h/5m', 'UTC', '2026-03-01T00:06:00Z', '2026-03-01T00:07:00Z')).toBe(0);
  });

  test('a year of every minute in UTC is counted in full (what Temporal answers stops at 1000)', () => {
    expect(count('* * * * *', 'UTC', '2025-06-01T00:00:00Z', '2026-05-31T23:59:00Z')).toBe(365 * 1440);
  });

  test('a plan by dates holds nothing before its horizon (the start of last year)', () => {
    expect(count('0 12 * * *', 'Europe/Paris', '2020-01-01T00:00:00Z', '2025-01-01T10:59:59Z')).toBe(0);
    expect(count('0 12 * * *', 'Europe/Paris', '2020-01-01T00:00:00Z', '2025-01-01T11:00:00Z')).toBe(1);
  });
});

describe('gapSkips: the one kind of skip, counted', () => {
  const wall = (cron: string, zone: string) =>
    gapSkips(parseCron(cron), zone, new Date('2027-03-27T00:00:00Z'), new Date('2027-03-29T00:00:00Z'), NOW).map((s) =>
      new Date(s * 1000).toISOString().slice(11, 19),
    );

  test('a wildcard job skips the wall times a spring-forward gap jumps over', () => {
    expect(wall('*/15 * * * *', 'Europe/Berlin')).toEqual(['02:00:00', '02:15:00', '02:30:00', '02:45:00']);
    expect(wall('0 */2 * * *', 'Europe/Berlin')).toEqual(['02:00:00']);
  });

  test('a fixed-time job skips none (it runs at the gap end), nor does a zone without a change', () => {
    expect(wall('30 2 * * *', 'Europe/Berlin')).toEqual([]);
    expect(wall('*/15 * * * *', 'Asia/Tokyo')).toEqual([]);
  });
});
