import { previewSchedule } from './preview';
import { InvalidJobError } from './validate';

describe('previewSchedule', () => {
  test('the next times in UTC and on the wall clock, marked on a daylight-saving change, and the cron in words', () => {
    const preview = previewSchedule(
      { cron: '30 2 * * *', timezone: 'Europe/Berlin', count: 3 },
      new Date('2027-03-27T00:00:00Z'),
    );
    expect(preview).toEqual({
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      description: 'At 02:30 (Europe/Berlin)',
      spreadOffsetSeconds: 0,
      nextRunTimes: [
        { at: '2027-03-27T01:30:00.000Z', wallClock: '2027-03-27T02:30:00+01:00', dst: null },
        { at: '2027-03-28T01:00:00.000Z', wallClock: '2027-03-28T03:00:00+02:00', dst: 'shifted' },
        { at: '2027-03-29T00:30:00.000Z', wallClock: '2027-03-29T02:30:00+02:00', dst: null },
      ],
      skipped: [],
    });
  });

  test('a wildcard job lists the wall times it skips in a gap', () => {
    const preview = previewSchedule(
      { cron: '0 * * * *', timezone: 'America/New_York', count: 4 },
      new Date('2027-03-14T05:30:00Z'),
    );
    expect(preview.nextRunTimes.map((t) => t.wallClock)).toEqual([
      '2027-03-14T01:00:00-05:00',
      '2027-03-14T03:00:00-04:00',
      '2027-03-14T04:00:00-04:00',
      '2027-03-14T05:00:00-04:00',
    ]);
    expect(preview.skipped).toEqual(['2027-03-14T02:00:00']);
  });

  test('the zone of a CRON_TZ= prefix; words for @every; refusals as a registration has them', () => {
    expect(previewSchedule({ cron: 'CRON_TZ=Asia/Tokyo 0 9 * * MON#1', count: 1 }).timezone).toBe('Asia/Tokyo');
    expect(previewSchedule({ cron: '@every 1h30m/5m', count: 1 }).description).toBe(
      'Every 1 hour 30 minutes, offset by 5 minutes, counted from 1970-01-01T00:00:00Z in any time zone',
    );
    const field = (input: { cron: string; timezone?: string }) => {
      try {
        previewSchedule({ ...input, count: 1 });
        return null;
      } catch (err) {
        return err instanceof InvalidJobError ? err.field : 'other';
      }
    };
    expect(field({ cron: '0 0 31 2 *' })).toBe('cron');
    expect(field({ cron: 'CRON_TZ=Asia/Tokyo 0 9 * * *', timezone: 'UTC' })).toBe('cron');
    expect(field({ cron: '0 9 * * *', timezone: 'Mars/Olympus' })).toBe('timezone');
  });

  test("with the job's name and spreadSeconds, the times its spread gives it (daylight-saving policy kept)", () => {
    const preview = previewSchedule(
      { cron: '30 2 * * *', timezone: 'Europe/Berlin', count: 2, name: 'weekly-digest', spreadSeconds: 59 },
      new Date('2027-03-27T00:00:00Z'),
    );
    expect(preview.spreadOffsetSeconds).toBe(3);
    expect(preview.nextRunTimes).toEqual([
      { at: '2027-03-27T01:30:03.000Z', wallClock: '2027-03-27T02:30:03+01:00', dst: null },
      { at: '2027-03-28T01:00:03.000Z', wallClock: '2027-03-28T03:00:03+02:00', dst: 'shifted' },
    ]);
  });

  test('a spread it cannot honour, or one without the name it comes from, is refused naming the field', () => {
    const fieldOf = (input: Partial<Parameters<typeof previewSchedule>[0]>) => {
      try {
        previewSchedule({ cron: '0 * * * *', count: 1, ...input });
        return null;
      } catch (err) {
        if (err instanceof InvalidJobError) return err.field;
        throw err;
      }
    };
    expect(fieldOf({ spreadSeconds: 30 })).toBe('name');
    expect(fieldOf({ cron: '0 0 * * * *', name: 'x', spreadSeconds: 30 })).toBe('spreadSeconds');
    expect(fieldOf({ name: 'x', spreadSeconds: 60 })).toBe('spreadSeconds');
    expect(fieldOf({ name: 'x', spreadSeconds: 0 })).toBeNull();
  });
});
