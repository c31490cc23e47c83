import { parseCron } from './cron';
import { FireCalendar, nextFires, planFires, planHorizon } from './fire-plan';
import { jobCron, shiftCron, spreadOffsetOf } from './spread';
import { planJob } from './validate';
import { oracleFires, wallsOf } from '../test/support/dst-oracle';
import { changeCrons, changesOf, DST_CRONS, DST_ZONES } from '../test/support/dst-cases';

const NOW = new Date('2026-06-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: readonly number[]) => ms.map((t) => new Date(t).toISOString());

describe('spreadOffsetOf: the first 4 bytes of SHA-256(name), big-endian, mod spreadSeconds + 1', () => {
  // Pinned: a change here moves every spread schedule of every fleet. Worked out apart from the code under test
  // (`node -e "crypto.createHash('sha256').update(name).digest().readUInt32BE(0)"`).
  test.each([
    ['weekly-digest', 59, 3], // 971520063
    ['weekly-digest', 30, 27],
    ['nightly-report', 59, 12], // 1732491792
    ['billing-sync', 59, 44], // 1502142464
    ['a', 59, 50], // 3398926610: above 2^31, read unsigned
    ['cache-warm', 9, 9], // 650107209: the top of the range is reachable
  ])('%s with spreadSeconds %i fires %i s after each time', (name, spread, offset) => {
    expect(spreadOffsetOf(name, spread)).toBe(offset);
  });

  test('no spread, no shift; the same name always gets the same second', () => {
    expect(spreadOffsetOf('weekly-digest', 0)).toBe(0);
    expect(spreadOffsetOf('weekly-digest')).toBe(0);
    expect(spreadOffsetOf('weekly-digest', 59)).toBe(spreadOffsetOf('weekly-digest', 59));
  });

  test('a fleet of names spreads over the whole minute', () => {
    const seconds = new Set(Array.from({ length: 1000 }, (_, i) => spreadOffsetOf(`job-${i}`, 59)));
    expect(seconds.size).toBe(60);
  });
});

describe('the shifted plan: the cron plan moved o seconds', () => {
  const job = { name: 'weekly-digest', spreadSeconds: 59 }; // o = 3

  test('a UTC calendar fires at second o instead of 0', () => {
    const plan = planJob({ ...job, cron: '0 * * * *', timezone: 'UTC' }, NOW);
    expect(plan.calendars).toHaveLength(1);
    expect(plan.calendars[0]).toMatchObject({ hours: expect.any(Array), minutes: [0], seconds: [3] });
    const plain = planJob({ name: 'weekly-digest', cron: '0 * * * *', timezone: 'UTC' }, NOW);
    expect({ ...plan.calendars[0], seconds: [0] }).toEqual(plain.calendars[0]);
  });

  test("a zone's daily calendars fire at second o too", () => {
    const plan = planJob({ ...job, cron: '0 9 * * *', timezone: 'Europe/Berlin' }, NOW);
    expect(plan.calendars.length).toBeGreaterThan(1);
    expect(new Set(plan.calendars.flatMap((c) => c.seconds))).toEqual(new Set([3]));
  });

  test("an interval's offset becomes (offset + o) mod every", () => {
    expect(planJob({ ...job, cron: '@every 15m', timezone: 'UTC' }, NOW).intervals).toEqual([
      { everySeconds: 900, offsetSeconds: 3 },
    ]);
    expect(planJob({ ...job, cron: '@every 10m/2m', timezone: 'UTC' }, NOW).intervals).toEqual([
      { everySeconds: 600, offsetSeconds: 123 },
    ]);
    // an interval shorter than the offset: the offset wraps
    expect(shiftCron(parseCron('@every 2s/1s'), 3)).toMatchObject({ everySeconds: 2, offsetSeconds: 0 });
  });

  test('the next fire times are the plain ones, o seconds later', () => {
    const plain = nextFires(parseCron('0 * * * *'), 'UTC', NOW, 3).map((f) => f.at * 1000);
    const shifted = nextFires(jobCron({ ...job, cron: '0 * * * *' }), 'UTC', NOW, 3).map((f) => f.at * 1000);
    expect(iso(shifted)).toEqual(iso(plain.map((t) => t + 3000)));
    expect(iso(shifted)[0]).toBe('2026-06-01T00:00:03.000Z');
  });

  test('the same cron with and without a spread are planned apart (the plan cache keys the seconds)', () => {
    const plain = planFires(parseCron('0 9 * * *'), 'Europe/Berlin', NOW);
    const shifted = planFires(jobCron({ ...job, cron: '0 9 * * *' }), 'Europe/Berlin', NOW);
    expect(plain.calendars[0]!.seconds).toEqual([0]);
    expect(shifted.calendars[0]!.seconds).toEqual([3]);
  });
});

describe('a spread never meets a daylight-saving change differently (every change of 2025–2027, against Intl)', () => {
  // The shift is seconds within the minute, so each fire moves by exactly o: a minute in a gap is skipped (or moved
  // to the gap's end) and a repeated minute runs once or twice, as without the spread.
  const offset = 37;
  const named = Array.from({ length: 500 }, (_, i) => `job-${i}`).find((n) => spreadOffsetOf(n, 59) === offset)!;

  test.each(DST_ZONES.filter((zone) => changesOf(zone).length > 0).map((zone) => [zone]))('%s', (zone) => {
    const { from: start, to } = planHorizon(NOW);
    const changes = changesOf(zone);
    const windows = changes.map((at) => {
      const from = Math.floor(at / 60_000) * 60_000 - DAY;
      return { from, walls: wallsOf(zone, from - 3 * HOUR, from + 2 * DAY) };
    });
    for (const cron of [...DST_CRONS, ...changeCrons(zone, changes)]) {
      const shifted = jobCron({ name: named, cron: cron.cron, spreadSeconds: 59 });
      if (shifted.kind !== 'calendar') throw new Error('not a calendar cron');
      const calendar = new FireCalendar(shifted.fields, zone, start, to);
      for (const { from, walls } of windows) {
        const expected = oracleFires(cron, walls, from - 3 * HOUR, 3 * HOUR).map((t) => t + offset * 1000);
        const fires = calendar.fires(from / 1000, (from + 2 * DAY) / 1000 + offset).map((f) => f.at * 1000);
        expect({ zone, cron: cron.cron, fires: iso(fires) }).toEqual({ zone, cron: cron.cron, fires: iso(expected) });
      }
    }
  });
});
